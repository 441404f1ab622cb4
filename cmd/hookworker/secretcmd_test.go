package main

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/hookworker/hookworker/internal/jstest"
	"github.com/hookworker/hookworker/internal/secret"
)

// runWithInput runs the command line with stdin.
func runWithInput(t *testing.T, env map[string]string, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	var environ []string
	for k, v := range env {
		environ = append(environ, k+"="+v)
	}
	code := run(context.Background(), args, stdio{in: strings.NewReader(stdin), out: &out, err: &errOut}, environ)
	return code, out.String(), errOut.String()
}

// TestSecretCommands: keygen, put (stdin only), list (names, never
// values), delete; what is stored opens with the seed and is bound to its
// bot; nothing the commands print holds a value.
func TestSecretCommands(t *testing.T) {
	srv := jstest.Server(t)
	_, js := jstest.Connect(t, srv)
	code, seed, pubLine := runWithInput(t, nil, "", "secret", "keygen")
	if code != 0 || !strings.HasPrefix(seed, "SX") || !strings.HasPrefix(pubLine, "public key: X") {
		t.Fatalf("keygen: exit %d: %q %q", code, seed, pubLine)
	}
	pub := strings.TrimSpace(strings.TrimPrefix(pubLine, "public key: "))
	env := map[string]string{"HOOKWORKER_NATS_URL": srv.ClientURL()}

	// No key given, none in the bucket: a clear refusal, nothing stored.
	code, _, errOut := runWithInput(t, env, "v-1234567\n", "secret", "put", "--bot", "bot-a", "TOKEN")
	if code != 1 || !strings.Contains(errOut, "no sealing key") {
		t.Fatalf("put without a key: exit %d: %s", code, errOut)
	}
	env["HOOKWORKER_SECRETS_PUBLIC_KEY"] = pub
	const value = "zd-token-0123456789"
	var printed strings.Builder
	put := func(bot, name, stdin string) {
		t.Helper()
		code, out, errOut := runWithInput(t, env, stdin, "secret", "put", "--bot", bot, name)
		printed.WriteString(out + errOut)
		if code != 0 || !strings.Contains(out, "stored secret "+name+" of bot "+bot) {
			t.Fatalf("put %s %s: exit %d: %s%s", bot, name, code, out, errOut)
		}
	}
	put("bot-a", "ZENDESK_API_TOKEN", value+"\n")
	put("bot-a", "OTHER", "other-value-1")
	put("bot-b", "ZENDESK_API_TOKEN", "b-token-987654")

	// The value can only come from stdin: an extra argument is refused.
	code, _, errOut = runWithInput(t, env, "", "secret", "put", "--bot", "bot-a", "TOKEN", value)
	if code != 2 {
		t.Errorf("put with the value as an argument: exit %d: %s", code, errOut)
	}
	code, _, errOut = runWithInput(t, env, "", "secret", "put", "--bot", "bot-a", "EMPTY")
	if code != 1 || !strings.Contains(errOut, "no value on standard input") {
		t.Errorf("put with nothing on stdin: exit %d: %s", code, errOut)
	}
	code, _, errOut = runWithInput(t, env, "x", "secret", "put", "TOKEN")
	if code != 2 || !strings.Contains(errOut, `"bot" not set`) {
		t.Errorf("put without --bot: exit %d: %s", code, errOut)
	}
	code, _, errOut = runWithInput(t, env, "x", "secret", "put", "--bot", "bot-a", "a.b")
	if code != 2 || !strings.Contains(errOut, "letters, digits") {
		t.Errorf("put with a bad name: exit %d: %s", code, errOut)
	}

	code, out, errOut := runWithInput(t, env, "", "secret", "list", "--bot", "bot-a")
	printed.WriteString(out + errOut)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if code != 0 || len(lines) != 3 || !strings.HasPrefix(lines[0], "NAME") || !strings.HasPrefix(lines[1], "OTHER ") || !strings.HasPrefix(lines[2], "ZENDESK_API_TOKEN ") {
		t.Fatalf("list: exit %d:\n%s%s", code, out, errOut)
	}
	code, out, _ = runWithInput(t, env, "", "secret", "list", "--bot", "bot-a", "--json")
	printed.WriteString(out)
	var entries []secret.Entry
	if code != 0 || json.Unmarshal([]byte(out), &entries) != nil || len(entries) != 2 || time.Since(entries[0].Updated) > time.Minute {
		t.Fatalf("list --json: exit %d: %s", code, out)
	}

	// What the bucket holds opens with the seed, as bot-a's value, and is
	// sealed: the value is nowhere in it.
	ctx := context.Background()
	kv, err := js.KeyValue(ctx, "hookworker-secrets")
	if err != nil {
		t.Fatal(err)
	}
	e, err := kv.Get(ctx, secret.Key("bot-a", "ZENDESK_API_TOKEN"))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(e.Value(), []byte(value)) {
		t.Fatal("the bucket holds the value in clear")
	}
	o, err := secret.NewOpener([][]byte{[]byte(strings.TrimSpace(seed))})
	if err != nil {
		t.Fatal(err)
	}
	if got, err := o.Open("bot-a", "ZENDESK_API_TOKEN", e.Value()); err != nil || got != value {
		t.Fatalf("Open = %q, %v (one trailing newline dropped)", got, err)
	}

	code, out, errOut = runWithInput(t, env, "", "secret", "delete", "--bot", "bot-a", "OTHER")
	if code != 0 || out != "deleted secret OTHER of bot bot-a\n" {
		t.Errorf("delete: exit %d: %s%s", code, out, errOut)
	}
	code, _, errOut = runWithInput(t, env, "", "secret", "delete", "--bot", "bot-a", "OTHER")
	if code != 1 || !strings.Contains(errOut, "bot-a has no secret OTHER") {
		t.Errorf("second delete: exit %d: %s", code, errOut)
	}
	if _, err := kv.Get(ctx, secret.Key("bot-a", "OTHER")); err != jetstream.ErrKeyNotFound {
		t.Errorf("after delete: %v", err)
	}
	for _, v := range []string{value, "other-value-1", "b-token-987654"} {
		if strings.Contains(printed.String(), v) {
			t.Errorf("a command printed the value %q:\n%s", v, printed.String())
		}
	}
}
