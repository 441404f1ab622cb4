package config

import (
	"time"

	"github.com/hookworker/hookworker/trigger"
)

// Default returns the configuration with every default filled in.
func Default() Config {
	return Config{
		Embedded: Embedded{Enabled: true, Host: "127.0.0.1", Port: 4222, StoreDir: "./data", NKeys: []string{}},
		NATS:     NATS{Name: "hookworker", Replicas: 1},
		Names: Names{
			Stream:         trigger.DefaultStream,
			FiredPrefix:    trigger.DefaultFiredPrefix,
			OrderedPrefix:  trigger.DefaultOrderedPrefix,
			Consumer:       "hookworker",
			ResultPrefix:   trigger.DefaultResultPrefix,
			DLQStream:      trigger.DefaultDLQStream,
			DLQPrefix:      trigger.DefaultDLQPrefix,
			AdvisoryStream: "CONNECTIONS_ADVISORIES",
			AttemptsBucket: "hookworker-attempts",
			ReplayPrefix:   trigger.DefaultReplayPrefix,
			RetryStream:    trigger.DefaultRetryStream,
			RetryPrefix:    trigger.DefaultRetryPrefix,
		},
		Retry: Retry{
			MaxAttempts: 8,
			MaxAge:      24 * time.Hour,
			MaxDelay:    10 * time.Hour,
			Schedule: []time.Duration{
				5 * time.Second, 5 * time.Minute, 30 * time.Minute,
				2 * time.Hour, 5 * time.Hour, 10 * time.Hour,
			},
			QuickAttempts: 2,
			QuickInitial:  200 * time.Millisecond,
			QuickMaxWait:  2 * time.Second,
			Floor429:      5 * time.Second,
		},
		Worker: Worker{
			Concurrency:   64,
			BotShare:      0.5,
			ParkMax:       10_000,
			ParkBytes:     64 << 20,
			ParkWait:      10 * time.Second,
			MaxAckPending: 65_536,
			AckWait:       30 * time.Second,
			MaxDeliver:    20,
			PullExpiry:    5 * time.Second,
			ShutdownGrace: 20 * time.Second,
			StreamRefresh: 5 * time.Second,
			TopologyCheck: 5 * time.Second,
			GCPercent:     400,
		},
		Ordering: Ordering{Partitions: 8},
		Isolation: Isolation{
			BreakerFailureRatio: 0.5,
			BreakerMinRequests:  20,
			BreakerWindow:       30 * time.Second,
			BreakerOpenFor:      30 * time.Second,
			BreakerProbes:       1,
		},
		HTTP: HTTP{
			MaxResponseBytes:    1 << 20,
			MaxIdleConnsPerHost: 64,
			UserAgent:           "hookworker/1",
		},
		Webhooks: Webhooks{Dir: "configs/webhooks", TemplatesDir: "configs/templates", Bucket: "hookworker-webhooks"},
		// The defaults of render.DefaultLimits (TestRenderDefaults in
		// cmd/hookworker checks they agree).
		Render: Render{
			MaxTemplateSize: 64 << 10,
			MaxDepth:        200,
			MaxOutput:       1 << 20,
			MaxMemory:       32 << 20,
			MaxSteps:        2_000_000,
			MaxCallDepth:    100,
		},
		Secrets: Secrets{Shared: []string{}, Bucket: "hookworker-secrets"},
		Results: Results{ReplyAllow: []string{}},
		Log:     Log{Level: "info", Format: "console", SuccessSample: 100},
		Ops:     Ops{Listen: "127.0.0.1:9464"},
	}
}
