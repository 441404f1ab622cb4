package config

import (
	"strings"
	"testing"
)

func TestOpsListen(t *testing.T) {
	if got := Default().Ops.Addr(); got != "127.0.0.1:9464" {
		t.Errorf("default ops address %q", got)
	}
	cfg, err := loadEnv("", map[string]string{"HOOKWORKER_OPS_LISTEN": ":9100"})
	if err != nil || cfg.Ops.Listen != ":9100" || cfg.Validate() != nil {
		t.Errorf("HOOKWORKER_OPS_LISTEN=:9100: %q, %v, %v", cfg.Ops.Listen, err, cfg.Validate())
	}
	for _, tt := range []struct {
		listen, addr string
		valid        bool
	}{
		{"127.0.0.1:9464", "127.0.0.1:9464", true},
		{":9464", ":9464", true},
		{"[::1]:9464", "[::1]:9464", true},
		{"localhost:0", "localhost:0", true},
		{"", "", true},
		{"off", "", true},
		{"OFF", "", true},
		{"9464", "9464", false},
		{"127.0.0.1", "127.0.0.1", false},
		{"127.0.0.1:", "127.0.0.1:", false},
		{"127.0.0.1:http", "127.0.0.1:http", false},
		{"127.0.0.1:70000", "127.0.0.1:70000", false},
		{"127.0.0.1:-1", "127.0.0.1:-1", false},
		{"127.0.0.1:09464", "127.0.0.1:09464", false},
		{"::1:9464", "::1:9464", false},
	} {
		c := Default()
		c.Ops.Listen = tt.listen
		if got := c.Ops.Addr(); got != tt.addr {
			t.Errorf("Addr() of %q = %q, want %q", tt.listen, got, tt.addr)
		}
		err := c.Validate()
		if tt.valid != (err == nil) {
			t.Errorf("ops.listen %q: Validate() = %v, want valid %v", tt.listen, err, tt.valid)
		}
		if err != nil && !strings.Contains(err.Error(), "ops.listen:") {
			t.Errorf("ops.listen %q: error %v does not name the field", tt.listen, err)
		}
	}
}
