package main

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hookworker/hookworker/internal/jstest"
)

// TestValidateFixture: testdata/validate/bad is a configs directory with
// exactly one error of each kind; every one is reported, at its line.
func TestValidateFixture(t *testing.T) {
	code, out, errOut := runCLI(t, context.Background(), nil, "validate", "testdata/validate/bad")
	if code != 1 {
		t.Errorf("exit %d, want 1", code)
	}
	if want := "hookworker: 13 errors in 11 of 14 files\n"; errOut != want {
		t.Errorf("stderr %q, want %q", errOut, want)
	}
	golden(t, "validate/bad", out)

	// The lines, asserted one by one: each points at the node at fault.
	const dir = "testdata/validate/bad/"
	want := []struct {
		file string
		line int
		msg  string // a prefix of the message
		node string // the text of that line
	}{
		{"webhooks/a-syntax.yaml", 3, "yaml: mapping values are not allowed", "  method: GET"},
		{"webhooks/b-unknown-field.yaml", 4, `unknown field "retries"`, "retries: 3"},
		{"webhooks/c-missing-url.yaml", 2, "url: required", "id: missing-url"}, // absent: the definition's first line
		{"webhooks/d-bad-method.yaml", 3, `method: "FETCH" is not one of`, "method: FETCH"},
		{"webhooks/e-bad-header.yaml", 5, "headers.X-Token: parse:", `  X-Token: "{{ x "`},
		{"webhooks/f-bad-mapper.yaml", 7, "cvars[1].mapper: parse:", `    mapper: "{{ a | }}"`},
		{"webhooks/g-unknown-template.yaml", 2, `uses: unknown webhook template "no-such-template"`, "uses: no-such-template"},
		{"webhooks/h-missing-param.yaml", 3, `with: template "ticket-lookup" needs ticket_id`, "with:"},
		{"webhooks/j-dup-second.yaml", 3, `id: "dup" is also defined in testdata/validate/bad/webhooks/i-dup-first.yaml:2`, "id: dup"},
		{"webhooks/l-unknown-names.yaml", 2, "url: parse: No filter named 'nosuchfilter'", `url: "https://api.example.com/orders/{{ order_id | nosuchfilter }}"`},
		{"webhooks/l-unknown-names.yaml", 4, "headers.X-Flag: No test named 'nosuchtest'", `  X-Flag: "{{ 'yes' if order_id is nosuchtest else 'no' }}"`},
		{"webhooks/l-unknown-names.yaml", 8, "body: no function named 'nosuchfn'", `    "when": {{ nosuchfn() | tojson }}`},
		{"templates/broken-template.yaml", 6, "params[0].default: a required parameter has no default", "    default: eu"},
	}
	got := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(got) != len(want) {
		t.Fatalf("%d lines, want %d:\n%s", len(got), len(want), out)
	}
	re := regexp.MustCompile(`^(.+?):(\d+): (.*)$`)
	for i, w := range want {
		m := re.FindStringSubmatch(got[i])
		if m == nil {
			t.Errorf("line %d %q is not file:line: message", i+1, got[i])
			continue
		}
		line, _ := strconv.Atoi(m[2])
		if m[1] != dir+w.file || line != w.line || !strings.HasPrefix(m[3], w.msg) {
			t.Errorf("got %s:%d: %s\nwant %s:%d: %s...", m[1], line, m[3], dir+w.file, w.line, w.msg)
			continue
		}
		// And that line of the file is the node at fault.
		data, err := os.ReadFile(dir + w.file)
		if err != nil {
			t.Fatal(err)
		}
		if lines := strings.Split(string(data), "\n"); lines[line-1] != w.node {
			t.Errorf("%s:%d is %q, want %q", w.file, line, lines[line-1], w.node)
		}
	}
}

// TestValidateClean: the repository's configs validate, by a configs
// directory, by explicit directories, and by default (the config's dirs).
func TestValidateClean(t *testing.T) {
	webhooks, _ := filepath.Glob("../../configs/webhooks/*.yaml")
	templates, _ := filepath.Glob("../../configs/templates/*.yaml")
	n := len(webhooks) + len(templates)
	if len(webhooks) == 0 || len(templates) == 0 {
		t.Fatal("no configs found")
	}
	wantOut := strconv.Itoa(n) + " files OK\n"
	env := map[string]string{
		"HOOKWORKER_WEBHOOKS_DIR":  "../../configs/webhooks",
		"HOOKWORKER_TEMPLATES_DIR": "../../configs/templates",
	}
	for _, args := range [][]string{
		{"validate", "../../configs"},
		{"validate", "../../configs/webhooks", "../../configs/templates"},
		{"validate"},
	} {
		code, out, errOut := runCLI(t, context.Background(), env, args...)
		if code != 0 || out != wantOut {
			t.Errorf("%v: exit %d, stdout %q (want %q)\n%s", args, code, out, wantOut, errOut)
		}
	}
	// Definitions alone resolve `uses` through the config's templates.
	code, out, errOut := runCLI(t, context.Background(), env, "validate", "../../configs/webhooks")
	if code != 0 || out != strconv.Itoa(len(webhooks))+" files OK\n" {
		t.Errorf("webhooks only: exit %d: %s%s", code, out, errOut)
	}
}

func TestValidateHelp(t *testing.T) {
	code, out, _ := runCLI(t, context.Background(), nil, "validate", "--help")
	for _, want := range []string{`"file:line: message"`, `a directory named "templates"`, `"webhook:" or
    "params:" key`, "N files OK"} {
		if code != 0 || !strings.Contains(out, want) {
			t.Errorf("help lacks %q:\n%s", want, out)
		}
	}
}

// TestRunRefusesInvalidWebhooks: `run` does not start on a webhooks
// directory with a bad file, and says which file and why.
func TestRunRefusesInvalidWebhooks(t *testing.T) {
	srv := jstest.Server(t) // so run does not start the embedded server
	tests := []struct {
		name, file, content string
		want                string
	}{
		{"unknown field", "unknown.yaml", "id: x\nurl: https://example.com/\nretries: 3\n", "field retries not found"},
		{"missing url", "no-url.yaml", "id: x\nmethod: POST\n", "url: required"},
		{"bad mapper", "bad-mapper.yaml", "id: x\nurl: https://example.com/\ncvars:\n  - name: a\n    mapper: \"{{ a | }}\"\n", "cvars[0].mapper: parse"},
		{"bad header template", "bad-header.yaml", "id: x\nurl: https://example.com/\nheaders:\n  X-Token: \"{{ x \"\n", "headers.X-Token: parse"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, "ok.yaml"), []byte("id: ok\nurl: https://example.com/\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(dir, tt.file)
			if err := os.WriteFile(path, []byte(tt.content), 0o644); err != nil {
				t.Fatal(err)
			}
			// Were run to start, it would run until the context ends.
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			code, _, errOut := runCLI(t, ctx, map[string]string{
				"HOOKWORKER_WEBHOOKS_DIR":  dir,
				"HOOKWORKER_TEMPLATES_DIR": filepath.Join(dir, "none"),
				"HOOKWORKER_NATS_URL":      srv.ClientURL(),
			}, "run")
			if ctx.Err() != nil {
				t.Fatal("run started")
			}
			if code != 1 || !strings.Contains(errOut, path) || !strings.Contains(errOut, tt.want) ||
				!strings.Contains(errOut, "hookworker validate") {
				t.Errorf("exit %d, stderr:\n%s", code, errOut)
			}
		})
	}
}

// TestValidateUsesConfiguredBounds: validate checks templates with the
// bounds the worker runs with (render.*), not the defaults: a body over a
// smaller render.max_template_size is refused, naming the key.
func TestValidateUsesConfiguredBounds(t *testing.T) {
	dir := t.TempDir()
	def := "id: big-body\nurl: https://api.example.com/x\nmethod: POST\nbody: '{\"a\": \"" + strings.Repeat("x", 300) + "\"}'\n"
	path := filepath.Join(dir, "big.yaml")
	if err := os.WriteFile(path, []byte(def), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, out, errOut := runCLI(t, context.Background(), nil, "validate", path); code != 0 {
		t.Fatalf("default bounds: exit %d: %s%s", code, out, errOut)
	}
	code, out, errOut := runCLI(t, context.Background(), map[string]string{"HOOKWORKER_RENDER_MAX_TEMPLATE_SIZE": "256"}, "validate", path)
	if code == 0 || !strings.Contains(out+errOut, "render.max_template_size") {
		t.Errorf("render.max_template_size 256: exit %d, want a refusal naming the key: %s%s", code, out, errOut)
	}
}
