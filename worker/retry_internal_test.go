package worker

import (
	"net/http"
	"testing"
	"time"

	"github.com/hookworker/hookworker/internal/config"
	"github.com/hookworker/hookworker/trigger"
	"github.com/hookworker/hookworker/trigger/webhook"
)

func TestRetryAfter(t *testing.T) {
	now := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name   string
		status int
		value  string
		want   time.Duration
	}{
		{"seconds on 429", 429, "7", 7 * time.Second},
		{"seconds on 503", 503, " 2 ", 2 * time.Second},
		{"ignored on 500", 500, "7", 0},
		{"http date", 429, now.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second},
		{"date in the past", 503, now.Add(-time.Minute).Format(http.TimeFormat), 0},
		{"zero", 429, "0", 0},
		{"negative", 429, "-3", 0},
		{"garbage", 429, "soon", 0},
		{"absent", 429, "", 0},
		{"huge is capped at a year", 429, "99999999999", 365 * 24 * time.Hour},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := http.Header{}
			if tt.value != "" {
				h.Set("Retry-After", tt.value)
			}
			if got := retryAfter(tt.status, h, now); got != tt.want {
				t.Errorf("retryAfter(%d, %q) = %s, want %s", tt.status, tt.value, got, tt.want)
			}
		})
	}
}

func TestPolicy(t *testing.T) {
	def := config.Default().Retry
	p := newPolicy(def, nil)
	retriable := []struct {
		class  trigger.Class
		status int
		want   bool
	}{
		{trigger.ClassNetwork, 0, true},
		{trigger.ClassTimeout, 0, true},
		{trigger.ClassHTTPStatus, 408, true},
		{trigger.ClassHTTPStatus, 425, true},
		{trigger.ClassHTTPStatus, 429, true},
		{trigger.ClassHTTPStatus, 500, true},
		{trigger.ClassHTTPStatus, 503, true},
		{trigger.ClassHTTPStatus, 599, true},
		{trigger.ClassHTTPStatus, 400, false},
		{trigger.ClassHTTPStatus, 404, false},
		{trigger.ClassHTTPStatus, 409, false},
		{trigger.ClassRender, 0, false},
		{trigger.ClassTooLarge, 200, false},
		{trigger.ClassMapping, 200, false},
		{trigger.ClassBlocked, 0, false},
	}
	for _, r := range retriable {
		if got := p.retriable(r.class, r.status); got != r.want {
			t.Errorf("default policy retriable(%s, %d) = %v, want %v", r.class, r.status, got, r.want)
		}
	}
	// A webhook's own retry.on replaces the default list.
	custom := newPolicy(def, &webhook.Retry{On: []string{"409", "network"}, MaxAttempts: 3, MaxDelay: webhook.Duration(time.Minute)})
	if !custom.retriable(trigger.ClassHTTPStatus, 409) || custom.retriable(trigger.ClassHTTPStatus, 503) ||
		!custom.retriable(trigger.ClassNetwork, 0) || custom.retriable(trigger.ClassTimeout, 0) {
		t.Errorf("custom retry.on not applied: %+v", custom.on)
	}
	if custom.maxAttempts != 3 || custom.maxDelay != time.Minute || custom.maxAge != def.MaxAge {
		t.Errorf("custom policy %+v", custom)
	}
	// The durable schedule: Svix-like, the last entry repeats.
	want := []time.Duration{5 * time.Second, 5 * time.Minute, 30 * time.Minute, 2 * time.Hour, 5 * time.Hour, 10 * time.Hour, 10 * time.Hour}
	for k, d := range want {
		if got := p.durableDelay(k); got != d {
			t.Errorf("durableDelay(%d) = %s, want %s", k, got, d)
		}
	}
	// Quick backoff: exponential with jitter within ±50%, capped.
	b := p.quickBackOff()
	base := def.QuickInitial
	for i := range 5 {
		d := b.NextBackOff()
		lo, hi := time.Duration(float64(base)*0.5), time.Duration(float64(base)*1.5)
		if d < lo || d > hi {
			t.Errorf("backoff %d = %s, want within [%s, %s]", i, d, lo, hi)
		}
		base = min(2*base, def.QuickMaxWait)
	}
}
