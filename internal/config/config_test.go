package config

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// TestShippedConfigIsTheDefaults: configs/hookworker.yaml documents the
// defaults; loading it gives Default(), except the development allow list
// and the walk-through's shared secret names.
func TestShippedConfigIsTheDefaults(t *testing.T) {
	cfg, err := loadEnv("../../configs/hookworker.yaml", nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	want := Default()
	want.HTTP.Allow = []string{"127.0.0.0/8", "::1/128"}
	want.Secrets.Shared = []string{"ZENDESK_API_TOKEN", "ORDERS_API_TOKEN", "HOOK_SIGNING_KEY"}
	if !reflect.DeepEqual(cfg, want) {
		t.Errorf("configs/hookworker.yaml differs from Default():\n got %+v\nwant %+v", cfg, want)
	}
}

func TestEnvOverrides(t *testing.T) {
	env := map[string]string{
		"HOOKWORKER_NATS_URL":        "nats://10.0.0.1:4222",
		"HOOKWORKER_CONCURRENCY":     "7",
		"HOOKWORKER_ACK_WAIT":        "45s",
		"HOOKWORKER_RETRY_SCHEDULE":  "1s, 2m,3h",
		"HOOKWORKER_HTTP_ALLOW":      "10.1.0.0/16, 192.168.1.5",
		"HOOKWORKER_HTTP_HTTPS_ONLY": "true",
		"HOOKWORKER_LOG_FORMAT":      "json",
	}
	cfg, err := loadEnv("", env)
	if err != nil {
		t.Fatal(err)
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"nats.url", cfg.NATS.URL, "nats://10.0.0.1:4222"},
		{"worker.concurrency", cfg.Worker.Concurrency, 7},
		{"worker.ack_wait", cfg.Worker.AckWait, 45 * time.Second},
		{"retry.schedule", cfg.Retry.Schedule, []time.Duration{time.Second, 2 * time.Minute, 3 * time.Hour}},
		{"http.allow", cfg.HTTP.Allow, []string{"10.1.0.0/16", "192.168.1.5"}},
		{"http.https_only", cfg.HTTP.HTTPSOnly, true},
		{"log.format", cfg.Log.Format, "json"},
		{"untouched", cfg.Worker.MaxDeliver, 20},
	}
	for _, c := range checks {
		if !reflect.DeepEqual(c.got, c.want) {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
	if err := cfg.Validate(); err != nil {
		t.Errorf("Validate: %v", err)
	}
}

func TestLoadErrors(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	tests := []struct {
		name string
		path string
		env  map[string]string
		want string
	}{
		{"unknown key", write("unknown.yaml", "worker:\n  concurency: 3\n"), nil, "concurency"},
		{"bad yaml", write("bad.yaml", "worker: [\n"), nil, "bad.yaml"},
		{"missing file", filepath.Join(dir, "nope.yaml"), nil, "nope.yaml"},
		{"bad int env", "", map[string]string{"HOOKWORKER_CONCURRENCY": "many"}, "HOOKWORKER_CONCURRENCY"},
		{"bad duration env", "", map[string]string{"HOOKWORKER_ACK_WAIT": "soon"}, "HOOKWORKER_ACK_WAIT"},
		{"bad list env", "", map[string]string{"HOOKWORKER_RETRY_SCHEDULE": "1s,x"}, "HOOKWORKER_RETRY_SCHEDULE"},
		{"bad bool env", "", map[string]string{"HOOKWORKER_HTTP_HTTPS_ONLY": "perhaps"}, "HOOKWORKER_HTTP_HTTPS_ONLY"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := loadEnv(tt.path, tt.env)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err %v, want one naming %q", err, tt.want)
			}
		})
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*Config)
		field  string
	}{
		{"concurrency", func(c *Config) { c.Worker.Concurrency = 0 }, "worker.concurrency"},
		{"bot share", func(c *Config) { c.Worker.BotShare = 0 }, "worker.bot_share"},
		{"bot share above 1", func(c *Config) { c.Worker.BotShare = 1.5 }, "worker.bot_share"},
		{"max ack pending", func(c *Config) { c.Worker.MaxAckPending = 1 }, "worker.max_ack_pending"},
		{"ack wait", func(c *Config) { c.Worker.AckWait = time.Millisecond }, "worker.ack_wait"},
		{"max deliver below attempts", func(c *Config) { c.Worker.MaxDeliver = 3 }, "worker.max_deliver"},
		{"stream name", func(c *Config) { c.Names.Stream = "a.b" }, "names.stream"},
		{"prefix", func(c *Config) { c.Names.FiredPrefix = "a.*" }, "names.fired_prefix"},
		{"bucket", func(c *Config) { c.Webhooks.Bucket = "a b" }, "webhooks.bucket"},
		{"render memory", func(c *Config) { c.Render.MaxMemory = 0 }, "render.max_memory"},
		{"render depth above its ceiling", func(c *Config) { c.Render.MaxDepth = 5000 }, "render.max_depth"},
		{"schedule", func(c *Config) { c.Retry.Schedule = nil }, "retry.schedule"},
		{"schedule entry", func(c *Config) { c.Retry.Schedule = []time.Duration{time.Second, 0} }, "retry.schedule[1]"},
		{"allow", func(c *Config) { c.HTTP.Allow = []string{"10.0.0.0/8", "nope"} }, "http.allow[1]"},
		{"redirects", func(c *Config) { c.HTTP.MaxRedirects = 99 }, "http.max_redirects"},
		{"log level", func(c *Config) { c.Log.Level = "loud" }, "log.level"},
		{"log success sample", func(c *Config) { c.Log.SuccessSample = -1 }, "log.success_sample"},
		{"pull batch negative", func(c *Config) { c.Worker.PullBatch = -1 }, "worker.pull_batch"},
		{"pull batch over max ack pending", func(c *Config) { c.Worker.PullBatch = c.Worker.MaxAckPending + 1 }, "worker.pull_batch"},
		{"embedded port", func(c *Config) { c.Embedded.Port = 70000 }, "embedded.port"},
		{"allow port", func(c *Config) { c.HTTP.Allow = []string{"127.0.0.1:8090", "10.0.0.0/8:0"} }, "http.allow[1]"},
		{"embedded open without auth", func(c *Config) { c.Embedded.Host = "0.0.0.0" }, "embedded.host"},
		{"shared wildcard", func(c *Config) { c.Secrets.Shared = []string{"A", "ZENDESK_*"} }, "secrets.shared[1]"},
		{"shared all", func(c *Config) { c.Secrets.Shared = []string{"*"} }, "secrets.shared[0]"},
		{"shared name", func(c *Config) { c.Secrets.Shared = []string{"a.b"} }, "secrets.shared[0]"},
		{"secrets bucket", func(c *Config) { c.Secrets.Bucket = "a.b" }, "secrets.bucket"},
		{"sealing key", func(c *Config) { c.Secrets.Key = "SUAJUNK" }, "secrets.key"},
		{"sealing key file", func(c *Config) { c.Secrets.KeyFile = "/nonexistent/secrets.nk" }, "secrets.key_file"},
		{"public key", func(c *Config) { c.Secrets.PublicKey = "UABC" }, "secrets.public_key"},
		{"reply allow", func(c *Config) { c.Results.ReplyAllow = []string{"_INBOX.>", "a.>.b"} }, "results.reply_allow[1]"},
		{"reply allow empty", func(c *Config) { c.Results.ReplyAllow = []string{""} }, "results.reply_allow[0]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := Default()
			tt.mutate(&c)
			err := c.Validate()
			if err == nil || !strings.Contains(err.Error(), tt.field+":") {
				t.Errorf("err %v, want one naming %s", err, tt.field)
			}
		})
	}
	if c := Default(); c.Validate() != nil {
		t.Errorf("defaults invalid: %v", c.Validate())
	}
}

// TestEmbeddedBeyondLoopback: an embedded server listening beyond
// loopback needs authentication; with it, or on loopback, it is fine, as
// it is when no embedded server is used.
func TestEmbeddedBeyondLoopback(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*Config)
		ok     bool
	}{
		{"loopback", func(c *Config) { c.Embedded.Host = "127.0.0.1" }, true},
		{"localhost", func(c *Config) { c.Embedded.Host = "localhost" }, true},
		{"ipv6 loopback", func(c *Config) { c.Embedded.Host = "::1" }, true},
		{"all interfaces", func(c *Config) { c.Embedded.Host = "0.0.0.0" }, false},
		{"empty", func(c *Config) { c.Embedded.Host = "" }, false},
		{"all interfaces with a token", func(c *Config) { c.Embedded.Host, c.Embedded.Token = "0.0.0.0", "t" }, true},
		{"an interface with nkeys", func(c *Config) {
			c.Embedded.Host, c.Embedded.NKeys = "10.0.0.5", []string{"UDXU4RCSJNZOIQHZNWXHXORDPRTGNJAHAHFRGZNEEJCPQTT2M7NLCNF4"}
			c.NATS.Token = "x"
		}, true},
		{"remote server", func(c *Config) { c.Embedded.Host, c.NATS.URL = "0.0.0.0", "nats://127.0.0.1:4222" }, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := Default()
			tt.mutate(&c)
			err := c.Validate()
			if tt.ok && err != nil {
				t.Errorf("err %v", err)
			}
			if !tt.ok && (err == nil || !strings.Contains(err.Error(), "embedded.host:")) {
				t.Errorf("err %v, want one naming embedded.host", err)
			}
		})
	}
}
