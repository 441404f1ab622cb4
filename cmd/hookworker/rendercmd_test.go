package main

import (
	"context"
	"strings"
	"testing"
)

func TestRenderCommand(t *testing.T) {
	const hook = "../../configs/webhooks/zendesk-ticket-status.yaml"
	secrets := []string{"--secret", "ZENDESK_EMAIL=agent@acme.test", "--secret", "ZENDESK_API_TOKEN=tok-123456"}
	tests := []struct {
		name     string
		args     []string
		env      map[string]string
		code     int
		stderr   string // substring of standard error
		noSecret bool   // standard output and error must not contain the token
	}{
		{name: "request_only", args: append([]string{"render", hook, "--cvars", "testdata/cvars.json"}, secrets...), noSecret: true},
		{name: "with_response", args: append([]string{"render", hook, "--cvars", "testdata/cvars.json", "--response", "testdata/ticket-response.json"}, secrets...), noSecret: true},
		{name: "with_response_json", args: append([]string{"render", hook, "--cvars", "testdata/cvars.json", "--response", "testdata/ticket-response.json", "--json"}, secrets...), noSecret: true},
		{name: "secrets_from_env", args: []string{"render", hook, "--cvars", "testdata/cvars.json"},
			env: map[string]string{"HOOKWORKER_SECRET_ZENDESK_EMAIL": "agent@acme.test", "HOOKWORKER_SECRET_ZENDESK_API_TOKEN": "tok-123456"}, noSecret: true},
		{name: "undefined_secret", args: []string{"render", hook, "--cvars", "testdata/cvars.json", "--secret", "ZENDESK_EMAIL=agent@acme.test"},
			code: 1, stderr: `secret "ZENDESK_API_TOKEN" is not defined`},
		{name: "missing_file", args: []string{"render", "testdata/nope.yaml"}, code: 1, stderr: "nope.yaml"},
		{name: "bad_cvars", args: []string{"render", hook, "--cvars", "testdata/ticket-response.json.nope"}, code: 1, stderr: "ticket-response.json.nope"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := runCLI(t, context.Background(), tt.env, tt.args...)
			if code != tt.code {
				t.Fatalf("exit %d, want %d; stderr: %s", code, tt.code, errOut)
			}
			if tt.stderr != "" && !strings.Contains(errOut, tt.stderr) {
				t.Errorf("stderr %q does not mention %q", errOut, tt.stderr)
			}
			if tt.noSecret && (strings.Contains(out+errOut, "tok-123456") || strings.Contains(out+errOut, "agent@acme.test")) {
				t.Errorf("a secret leaked into the output:\n%s%s", out, errOut)
			}
			if tt.code == 0 {
				golden(t, "render_"+tt.name, out)
			}
		})
	}
}
