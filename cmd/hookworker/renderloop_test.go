package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestRenderBuildersLoop: render warns about undefined variables (an error
// with --strict, listed in --json), says what the worker would make of a
// response status, and never prints Go internals, whatever fails.
func TestRenderBuildersLoop(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	hook := write("lookup.yaml", "id: lookup\nurl: \"https://api.example.com/orders/{{ order_id }}/lookup\"\ncvars:\n  - name: status\n    mapper: \"{{ order.status }}\"\n")
	cvars := write("cvars.json", `{"ticket_id": 388}`)
	resp := write("resp.json", `{"order": {"status": "shipped"}}`)

	code, out, errOut := runCLI(t, context.Background(), nil, "render", hook, "--cvars", cvars)
	if code != 0 || !strings.Contains(out, "GET https://api.example.com/orders//lookup") ||
		!strings.Contains(errOut, "warning: url: order_id is undefined") {
		t.Errorf("without --strict: exit %d\n%s\n%s", code, out, errOut)
	}
	code, out, errOut = runCLI(t, context.Background(), nil, "render", hook, "--cvars", cvars, "--strict")
	if code != 1 || out != "" || !strings.Contains(errOut, "--strict: undefined variable: order_id") {
		t.Errorf("--strict: exit %d\n%s\n%s", code, out, errOut)
	}
	code, out, _ = runCLI(t, context.Background(), nil, "render", hook, "--cvars", cvars, "--json")
	var j struct {
		Warnings []struct{ Field, Name string } `json:"warnings"`
	}
	if err := json.Unmarshal([]byte(out), &j); code != 0 || err != nil || len(j.Warnings) != 1 || j.Warnings[0].Name != "order_id" || j.Warnings[0].Field != "url" {
		t.Errorf("--json warnings: exit %d, %v, %s", code, err, out)
	}

	// --status: a success maps; a 404 fails at once; a 503 is retried.
	code, out, _ = runCLI(t, context.Background(), nil, "render", hook, "--response", resp, "--status", "200")
	if code != 0 || !strings.Contains(out, `status = "shipped"`) || !strings.Contains(out, "200 is a success status") {
		t.Errorf("--status 200: %d\n%s", code, out)
	}
	code, out, _ = runCLI(t, context.Background(), nil, "render", hook, "--response", resp, "--status", "404")
	if code != 0 || strings.Contains(out, "CVars:") || !strings.Contains(out, "404 is not a success status (2xx) and is not retried: the worker fails the event at once with class http_status") {
		t.Errorf("--status 404: %d\n%s", code, out)
	}
	code, out, _ = runCLI(t, context.Background(), nil, "render", hook, "--status", "503", "--json")
	if code != 0 || !strings.Contains(out, `"retried": true`) || !strings.Contains(out, `"class": "http_status"`) {
		t.Errorf("--status 503: %d\n%s", code, out)
	}

	// What fails is said in the template's terms.
	internals := regexp.MustCompile(`&\{|<Token|0x[0-9a-f]{6,}|\*exec\.|\*nodes\.|goroutine`)
	for _, src := range []string{
		`"{{ x | nosuchfilter }}"`, `"{{ x is nosuchtest }}"`, `"{{ nosuchfn() }}"`, `"{{ a.b.c }}"`,
		`"{{ 1 % 0 }}"`, `"{{ [1] | batch(0) }}"`, `"{{ 'x' * 100000000000 }}"`, `"{{ x.y() }}"`,
		`"{% for i in range(1,2,0) %}{% endfor %}"`, `"{{ {}|dictsort(1,2,3,4) }}"`,
	} {
		p := write("bad.yaml", "id: bad\nurl: https://x.example/\nbody: "+src+"\n")
		code, out, errOut := runCLI(t, context.Background(), nil, "render", p)
		if code == 0 && !strings.Contains(errOut, "warning") {
			continue // renders: nothing failed
		}
		if internals.MatchString(out + errOut) {
			t.Errorf("render of %s prints Go internals:\n%s%s", src, out, errOut)
		}
	}
}
