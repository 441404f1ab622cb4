package main

import (
	"context"
	"runtime"
	"strings"
	"testing"
)

// TestCommandLineErrors: a command line that cannot run exits 2 and says
// why (with a suggestion for a near miss); it never prints help and exits 0.
func TestCommandLineErrors(t *testing.T) {
	tests := []struct {
		args   []string
		stderr string
	}{
		{[]string{"dlq", "lst"}, `unknown command "lst" for "hookworker dlq" (did you mean list?)`},
		{[]string{"webhook", "pt"}, `unknown command "pt" for "hookworker webhook" (did you mean get or put?)`},
		{[]string{"dlq"}, "hookworker dlq needs a subcommand"},
		{[]string{"lst"}, `unknown command "lst" for "hookworker"`},
		{[]string{"run", "--concurency", "8"}, "unknown flag: --concurency"},
		{[]string{"dlq", "list", "--limt", "3"}, "unknown flag: --limt"},
		{[]string{"run", "extra"}, `unknown command "extra" for "hookworker run"`},
		{[]string{"render"}, "accepts 1 arg(s), received 0"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			code, out, errOut := runCLI(t, context.Background(), nil, tt.args...)
			if code != exitUsage {
				t.Errorf("exit %d, want %d\nstdout: %s\nstderr: %s", code, exitUsage, out, errOut)
			}
			if !strings.Contains(errOut, tt.stderr) {
				t.Errorf("stderr %q does not say %q", errOut, tt.stderr)
			}
		})
	}
}

func TestVersion(t *testing.T) {
	for _, args := range [][]string{{"version"}, {"--version"}} {
		code, out, errOut := runCLI(t, context.Background(), nil, args...)
		if code != 0 || !strings.HasPrefix(out, "hookworker ") || !strings.Contains(out, runtime.Version()) {
			t.Errorf("%v: exit %d, %q %q", args, code, out, errOut)
		}
	}
	version = "v9.8.7"
	defer func() { version = "" }()
	if b := buildInfo(); b.Version != "v9.8.7" || b.GoVersion != runtime.Version() {
		t.Errorf("buildInfo with -X main.version: %+v", b)
	}
}

// TestEnvironmentAtStart: run refuses a near miss of a known variable,
// naming the nearest; it warns once about another unknown one; and under
// configs/production.yaml, with no NATS URL, it says so instead of
// starting a private server.
func TestEnvironmentAtStart(t *testing.T) {
	code, _, errOut := runCLI(t, context.Background(), map[string]string{"HOOKWORKER_CONCURENCY": "8"}, "run")
	if code != 1 || !strings.Contains(errOut, "HOOKWORKER_CONCURENCY: unknown variable (did you mean HOOKWORKER_CONCURRENCY?)") {
		t.Errorf("near miss: exit %d, %q", code, errOut)
	}
	code, _, errOut = runCLI(t, context.Background(), map[string]string{"HOOKWORKER_TENANT": "x", "HOOKWORKER_PORT_9464_TCP": "tcp://10.0.0.1:9464"},
		"validate", "../../configs/webhooks/order-status.yaml")
	if code != 0 || strings.Count(errOut, "HOOKWORKER_TENANT: unknown variable, ignored") != 1 || strings.Contains(errOut, "9464") {
		t.Errorf("unknown variable: exit %d, %q", code, errOut)
	}
	code, out, errOut := runCLI(t, context.Background(), nil, "run", "--config", "../../configs/production.yaml")
	if code != 1 || !strings.Contains(errOut, "no NATS server configured and embedded.enabled is false") || strings.Contains(out+errOut, "embedded NATS") {
		t.Errorf("production config without a URL: exit %d, %q %q", code, out, errOut)
	}
}
