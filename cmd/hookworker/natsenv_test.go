package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hookworker/hookworker/internal/config"
)

// TestNATSConventions: the settings of the NATS ecosystem reach a server
// that requires a user and password: a nats CLI context (NATS_CONTEXT or
// --context, by name under XDG_CONFIG_HOME or by file), NATS_URL with
// NATS_USER/NATS_PASSWORD, and -s/--server; and the documented precedence
// holds (flags over HOOKWORKER_* over NATS_* over the context over the
// file).
func TestNATSConventions(t *testing.T) {
	r := startEmbeddedRun(t, map[string]string{"HOOKWORKER_EMBEDDED_USER": "eng", "HOOKWORKER_EMBEDDED_PASSWORD": "pw-0123"},
		config.NATS{User: "eng", Password: "pw-0123"})
	target := ticketTarget(t)
	xdg := t.TempDir()
	ctxDir := filepath.Join(xdg, "nats", "context")
	if err := os.MkdirAll(ctxDir, 0o700); err != nil {
		t.Fatal(err)
	}
	writeCtx := func(name, url, pw string) string {
		p := filepath.Join(ctxDir, name+".json")
		body, _ := json.Marshal(map[string]string{"url": url, "user": "eng", "password": pw})
		if err := os.WriteFile(p, body, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	good := writeCtx("hw-good", r.url(), "pw-0123")
	writeCtx("hw-wrongpw", r.url(), "nope")
	writeCtx("hw-nowhere", "nats://127.0.0.1:1", "pw-0123")
	// No embedded server for these commands: they must find the server
	// through the NATS settings alone.
	base := map[string]string{"HOOKWORKER_EMBEDDED_ENABLED": "false", "XDG_CONFIG_HOME": xdg}
	with := func(kv ...string) map[string]string {
		m := map[string]string{}
		for k, v := range base {
			m[k] = v
		}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	n := 0
	fire := func(env map[string]string, args ...string) (int, string) {
		n++
		code, _, errOut := runCLI(t, context.Background(), env,
			append([]string{"fire", writeEvent(t, fmt.Sprintf("nc-%d", n), target), "--timeout", "10s"}, args...)...)
		return code, errOut
	}
	tests := []struct {
		name string
		env  map[string]string
		args []string
		ok   bool
		err  string
	}{
		{"nothing: no server and no embedded one", with(), nil, false, "embedded.enabled is false"},
		{"NATS_CONTEXT by name", with("NATS_CONTEXT", "hw-good"), nil, true, ""},
		{"--context by file", with(), []string{"--context", good}, true, ""},
		{"a context with a wrong password", with("NATS_CONTEXT", "hw-wrongpw"), nil, false, "connect to NATS"},
		{"NATS_PASSWORD over the context's", with("NATS_CONTEXT", "hw-wrongpw", "NATS_PASSWORD", "pw-0123"), nil, true, ""},
		{"NATS_URL over the context's", with("NATS_CONTEXT", "hw-nowhere", "NATS_URL", r.url()), nil, true, ""},
		{"HOOKWORKER_NATS_URL over NATS_URL", with("NATS_CONTEXT", "hw-good", "NATS_URL", r.url(), "HOOKWORKER_NATS_URL", "nats://127.0.0.1:1"), nil, false, "connect to NATS"},
		{"-s over HOOKWORKER_NATS_URL", with("NATS_CONTEXT", "hw-good", "HOOKWORKER_NATS_URL", "nats://127.0.0.1:1"), []string{"-s", r.url()}, true, ""},
		{"--server, NATS_USER and NATS_PASSWORD", with("NATS_USER", "eng", "NATS_PASSWORD", "pw-0123"), []string{"--server", r.url()}, true, ""},
		{"a context that does not exist", with("NATS_CONTEXT", "hw-missing"), nil, false, `nats context "hw-missing"`},
		{"--context over NATS_CONTEXT", with("NATS_CONTEXT", "hw-missing"), []string{"--context", "hw-good"}, true, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, errOut := fire(tt.env, tt.args...)
			if (code == 0) != tt.ok || !strings.Contains(errOut, tt.err) {
				t.Errorf("exit %d, stderr %q; want ok=%v and %q", code, errOut, tt.ok, tt.err)
			}
			if strings.Contains(errOut, "pw-0123") {
				t.Errorf("a password shows: %s", errOut)
			}
		})
	}
	// config print names each source; the password is masked.
	creds := filepath.Join(t.TempDir(), "u.creds")
	if err := os.WriteFile(creds, []byte("not checked by config print"), 0o600); err != nil {
		t.Fatal(err)
	}
	// The flag's credentials replace the context's user and password.
	code, out, errOut := runCLI(t, context.Background(), with("NATS_CONTEXT", "hw-good", "NATS_URL", r.url()), "config", "print", "--creds", creds)
	if code != 0 {
		t.Errorf("config print: exit %d: %s", code, errOut)
	}
	for _, want := range []string{
		"nats.url: " + r.url(), "# env NATS_URL",
		"nats.creds_file: " + creds, "# flag --creds", "replaced by --creds",
		"nats.context: hw-good", "# env NATS_CONTEXT",
		"embedded.enabled: false", "# env HOOKWORKER_EMBEDDED_ENABLED",
		"worker.concurrency: 64", "# default (HOOKWORKER_CONCURRENCY)",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("config print lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "pw-0123") || !strings.Contains(out, `nats.user: ""`) {
		t.Errorf("config print: the flag's creds should replace the context's user and password:\n%s", out)
	}
	_, out, _ = runCLI(t, context.Background(), with("NATS_CONTEXT", "hw-good"), "config", "print")
	if !strings.Contains(out, "nats.password: '****'") || !strings.Contains(out, "# context hw-good") || strings.Contains(out, "pw-0123") {
		t.Errorf("config print with a context's password:\n%s", out)
	}
}
