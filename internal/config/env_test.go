package config

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// loadEnv loads path with the environment env, as a process would.
func loadEnv(path string, env map[string]string) (Config, error) {
	var environ []string
	for k, v := range env {
		environ = append(environ, k+"="+v)
	}
	l, err := Load(Options{Path: path, Environ: environ})
	if l == nil {
		return Config{}, err
	}
	return l.Config, err
}

// TestEnvironmentNames: a HOOKWORKER_* variable that is a near miss of a
// known one refuses to load naming the nearest; other unknown ones are
// warned about; Kubernetes service links and secrets are left alone.
func TestEnvironmentNames(t *testing.T) {
	tests := []struct {
		env      map[string]string
		err      string
		warnings []string
	}{
		{map[string]string{"HOOKWORKER_CONCURENCY": "8"}, "HOOKWORKER_CONCURENCY: unknown variable (did you mean HOOKWORKER_CONCURRENCY?)", nil},
		{map[string]string{"HOOKWORKER_NATS_UR": "nats://x"}, "did you mean HOOKWORKER_NATS_URL?", nil},
		{map[string]string{"HOOKWORKER_HTTP_ALOW": ""}, "did you mean HOOKWORKER_HTTP_ALLOW?", nil},
		{map[string]string{"HOOKWORKER_TENANT": "x", "HOOKWORKER_COLOUR_SCHEME": "dark"}, "",
			[]string{"HOOKWORKER_COLOUR_SCHEME: unknown variable, ignored", "HOOKWORKER_TENANT: unknown variable, ignored"}},
		{map[string]string{
			"HOOKWORKER_SERVICE_HOST": "10.96.0.7", "HOOKWORKER_SERVICE_PORT": "9464", "HOOKWORKER_SERVICE_PORT_METRICS": "9464",
			"HOOKWORKER_PORT": "tcp://10.96.0.7:9464", "HOOKWORKER_PORT_9464_TCP": "tcp://10.96.0.7:9464",
			"HOOKWORKER_PORT_9464_TCP_PROTO": "tcp", "HOOKWORKER_PORT_9464_TCP_PORT": "9464", "HOOKWORKER_PORT_9464_TCP_ADDR": "10.96.0.7",
			"HOOKWORKER_OPS_SERVICE_HOST": "10.96.0.8", "HOOKWORKER_OPS_PORT_9464_TCP_ADDR": "10.96.0.8",
			"HOOKWORKER_SECRET_ZENDESK_API_TOKEN": "s3cr3t", "HOOKWORKER_CONSOLE_TOKEN": "t",
		}, "", nil},
	}
	for _, tt := range tests {
		var environ []string
		for k, v := range tt.env {
			environ = append(environ, k+"="+v)
		}
		l, err := Load(Options{Environ: environ})
		switch {
		case tt.err == "" && err != nil:
			t.Errorf("%v: %v", tt.env, err)
		case tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)):
			t.Errorf("%v: error %v, want %q", tt.env, err, tt.err)
		}
		if !reflect.DeepEqual(l.Warnings, tt.warnings) {
			t.Errorf("%v: warnings %q, want %q", tt.env, l.Warnings, tt.warnings)
		}
	}
}

// TestEnvironmentEmpties: a variable set to the empty string is set: it
// empties a list or a string the file gave; an absent one leaves it.
func TestEnvironmentEmpties(t *testing.T) {
	shipped := filepath.Join("..", "..", "configs", "hookworker.yaml")
	cfg, err := loadEnv(shipped, map[string]string{"HOOKWORKER_HTTP_ALLOW": "", "HOOKWORKER_RETRY_SCHEDULE": "", "HOOKWORKER_EMBEDDED_NKEYS": ""})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.HTTP.Allow == nil || len(cfg.HTTP.Allow) != 0 || len(cfg.Retry.Schedule) != 0 {
		t.Errorf("allow %q, schedule %v: want both empty", cfg.HTTP.Allow, cfg.Retry.Schedule)
	}
	if cfg, _ := loadEnv(shipped, nil); len(cfg.HTTP.Allow) != 2 {
		t.Errorf("without the variable: allow %q", cfg.HTTP.Allow)
	}
	p := filepath.Join(t.TempDir(), "c.yaml")
	if err := os.WriteFile(p, []byte("nats:\n  url: nats://file:4222\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if cfg, err := loadEnv(p, map[string]string{"HOOKWORKER_NATS_URL": ""}); err != nil || cfg.NATS.URL != "" {
		t.Errorf("HOOKWORKER_NATS_URL= : url %q, %v", cfg.NATS.URL, err)
	}
	if _, err := loadEnv("", map[string]string{"HOOKWORKER_CONCURRENCY": ""}); err == nil || !strings.Contains(err.Error(), "HOOKWORKER_CONCURRENCY") {
		t.Errorf("an empty integer: %v", err)
	}
}

// TestProductionConfig: configs/production.yaml is the defaults but for
// the embedded server (off), http.allow (none) and JSON logs.
func TestProductionConfig(t *testing.T) {
	cfg, err := loadEnv(filepath.Join("..", "..", "configs", "production.yaml"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	want := Default()
	want.Embedded.Enabled = false
	want.HTTP.Allow = []string{}
	want.Log.Format = "json"
	if !reflect.DeepEqual(cfg, want) {
		t.Errorf("configs/production.yaml:\n got %+v\nwant %+v", cfg, want)
	}
}
