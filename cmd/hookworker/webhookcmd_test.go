package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/hookworker/hookworker/internal/jstest"
)

// webhookFixture is a NATS server, a templates directory and the
// environment that points the CLI at them.
type webhookFixture struct {
	dir string
	env map[string]string
}

const fixtureTemplate = `id: ticket-lookup
params:
  - name: subdomain
    required: true
  - name: ticket_id
    required: true
webhook:
  url: "https://{{ params.subdomain }}.example.com/tickets/{{ params.ticket_id }}"
  cvars:
    - name: ticket_status
      mapper: "{{ ticket.status }}"
`

func newWebhookFixture(t *testing.T) *webhookFixture {
	t.Helper()
	srv := jstest.Server(t)
	dir := t.TempDir()
	f := &webhookFixture{dir: dir, env: map[string]string{
		"HOOKWORKER_NATS_URL":      srv.ClientURL(),
		"HOOKWORKER_TEMPLATES_DIR": filepath.Join(dir, "templates"),
		"HOOKWORKER_WEBHOOKS_DIR":  filepath.Join(dir, "webhooks"),
	}}
	f.write(t, "templates/ticket-lookup.yaml", fixtureTemplate)
	return f
}

func (f *webhookFixture) write(t *testing.T, name, content string) string {
	t.Helper()
	path := filepath.Join(f.dir, name)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func (f *webhookFixture) run(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	return runCLI(t, context.Background(), f.env, args...)
}

// ok runs a command that must succeed and returns its standard output.
func (f *webhookFixture) ok(t *testing.T, args ...string) string {
	t.Helper()
	code, out, errOut := f.run(t, args...)
	if code != 0 {
		t.Fatalf("%s: exit %d\n%s%s", strings.Join(args, " "), code, out, errOut)
	}
	return out
}

// jsonEqual compares two JSON documents.
func jsonEqual(t *testing.T, got, want string) {
	t.Helper()
	var g, w any
	if err := json.Unmarshal([]byte(got), &g); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, got)
	}
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatal(err)
	}
	gb, _ := json.Marshal(g)
	wb, _ := json.Marshal(w)
	if string(gb) != string(wb) {
		t.Errorf("JSON\n got %s\nwant %s", gb, wb)
	}
}

func TestWebhookPutGetListDelete(t *testing.T) {
	f := newWebhookFixture(t)

	// Before anything is put, the bucket does not exist.
	code, _, errOut := f.run(t, "webhook", "list")
	if code != 1 || !strings.Contains(errOut, "webhook bucket hookworker-webhooks not found") {
		t.Errorf("list before any put: exit %d: %s", code, errOut)
	}

	// put a YAML file.
	a := f.write(t, "a.yaml", `id: order-status
name: Order status
url: "https://api.example.com/orders/{{ cvars['order-id'] }}"
headers:
  Accept: application/json
timeout: 3s
cvars:
  - name: order_status
    mapper: "{{ order.status }}"
`)
	if out := f.ok(t, "webhook", "put", a); out != "order-status revision 1\n" {
		t.Errorf("put: %q", out)
	}
	// put a JSON file that uses a template.
	b := f.write(t, "b.json", `{"id": "ticket", "uses": "ticket-lookup", "with": {"subdomain": "acme", "ticket_id": "{{ ticket_id }}"}}`)
	if out := f.ok(t, "webhook", "put", b); out != "ticket revision 2\n" {
		t.Errorf("put: %q", out)
	}

	// get prints the stored JSON, the revision on standard error.
	code, out, errOut := f.run(t, "webhook", "get", "order-status")
	if code != 0 || !regexp.MustCompile(`^order-status revision 1, updated \d{4}-\d\d-\d\dT`).MatchString(errOut) {
		t.Errorf("get: exit %d: %s", code, errOut)
	}
	jsonEqual(t, out, `{"id": "order-status", "name": "Order status", "url": "https://api.example.com/orders/{{ cvars['order-id'] }}",
		"headers": {"Accept": "application/json"}, "timeout": "3s", "cvars": [{"name": "order_status", "mapper": "{{ order.status }}"}]}`)
	// Stored as given: uses and with, not the template's resolution.
	jsonEqual(t, f.ok(t, "webhook", "get", "ticket"),
		`{"id": "ticket", "url": "", "uses": "ticket-lookup", "with": {"subdomain": "acme", "ticket_id": "{{ ticket_id }}"}}`)

	// Update; earlier revisions stay readable.
	a2 := f.write(t, "a2.yaml", "id: order-status\nname: Order status v2\nurl: https://api.example.com/v2/orders\n")
	if out := f.ok(t, "webhook", "put", a2); out != "order-status revision 3\n" {
		t.Errorf("update: %q", out)
	}
	if out := f.ok(t, "webhook", "get", "order-status"); !strings.Contains(out, "/v2/orders") {
		t.Errorf("get after update:\n%s", out)
	}
	if out := f.ok(t, "webhook", "get", "order-status", "--revision", "1"); !strings.Contains(out, "cvars['order-id']") {
		t.Errorf("get --revision 1:\n%s", out)
	}
	if code, _, errOut := f.run(t, "webhook", "get", "order-status", "--revision", "2"); code != 1 || !strings.Contains(errOut, `has no revision 2`) {
		t.Errorf("another id's revision: exit %d: %s", code, errOut)
	}

	// list.
	out = f.ok(t, "webhook", "list")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 3 || !regexp.MustCompile(`^ID\s+REVISION\s+UPDATED\s+NAME$`).MatchString(lines[0]) ||
		!regexp.MustCompile(`^order-status\s+3\s+\d{4}-\d\d-\d\dT\S+Z\s+Order status v2$`).MatchString(lines[1]) ||
		!regexp.MustCompile(`^ticket\s+2\s+\S+\s+\(uses ticket-lookup\)$`).MatchString(lines[2]) {
		t.Errorf("list:\n%s", out)
	}
	var list []webhookEntry
	if err := json.Unmarshal([]byte(f.ok(t, "webhook", "list", "--json")), &list); err != nil {
		t.Fatal(err)
	}
	if len(list) != 2 || list[0].ID != "order-status" || list[0].Revision != 3 || list[0].Name != "Order status v2" ||
		list[0].Updated.IsZero() || list[1].ID != "ticket" || list[1].Uses != "ticket-lookup" {
		t.Errorf("list --json: %+v", list)
	}

	// delete.
	if out := f.ok(t, "webhook", "delete", "order-status"); out != "deleted order-status (was revision 3)\n" {
		t.Errorf("delete: %q", out)
	}
	if code, _, errOut := f.run(t, "webhook", "get", "order-status"); code != 1 || !strings.Contains(errOut, `webhook "order-status" is not in bucket hookworker-webhooks`) {
		t.Errorf("get after delete: exit %d: %s", code, errOut)
	}
	if out := f.ok(t, "webhook", "get", "order-status", "--revision", "3"); !strings.Contains(out, "/v2/orders") {
		t.Errorf("a revision before the delete:\n%s", out)
	}
	if out := f.ok(t, "webhook", "list"); strings.Contains(out, "order-status") || !strings.Contains(out, "ticket") {
		t.Errorf("list after delete:\n%s", out)
	}
	if code, _, errOut := f.run(t, "webhook", "delete", "order-status"); code != 1 || !strings.Contains(errOut, "not in bucket") {
		t.Errorf("delete twice: exit %d: %s", code, errOut)
	}
	// Put again after a delete.
	if out := f.ok(t, "webhook", "put", a); !strings.HasPrefix(out, "order-status revision ") {
		t.Errorf("put after delete: %q", out)
	}
}

func TestWebhookPutRefuses(t *testing.T) {
	f := newWebhookFixture(t)
	good := f.write(t, "good.yaml", "id: good\nurl: https://example.com/\n")
	f.ok(t, "webhook", "put", good)

	tests := []struct {
		name, file, content string
		want                []string
	}{
		{"bad mapper", "bad-mapper.yaml", "id: x\nurl: https://example.com/\ncvars:\n  - name: a\n    mapper: \"{{ a | }}\"\n",
			[]string{"bad-mapper.yaml:5: cvars[0].mapper: parse: expected token \"name\", got \"end of print statement\""}},
		{"unknown field", "unknown.yaml", "id: x\nurl: https://example.com/\nretries: 3\n",
			[]string{`unknown.yaml:3: unknown field "retries"`}},
		{"no url", "no-url.json", `{"id": "x"}`, []string{"no-url.json:1: url: required"}},
		{"no id", "no-id.yaml", "url: https://example.com/\n", []string{"no-id.yaml:1: id: required in files"}},
		{"unknown template", "unknown-tpl.yaml", "id: x\nuses: nope\n",
			[]string{`unknown-tpl.yaml:2: uses: unknown webhook template "nope"`}},
		{"missing param", "missing-param.yaml", "id: x\nuses: ticket-lookup\nwith:\n  subdomain: acme\n",
			[]string{`missing-param.yaml:3: with: template "ticket-lookup" needs ticket_id`}},
		{"unknown param", "unknown-param.yaml", "id: x\nuses: ticket-lookup\nwith:\n  subdomain: acme\n  ticket_id: 1\n  color: red\n",
			[]string{`unknown-param.yaml:6: with.color: template "ticket-lookup" has no parameter "color"`}},
		{"not a definition file", "x.txt", "id: x\n", []string{"want a .yaml, .yml or .json file"}},
		{"unknown filter, test and function", "names.yaml",
			"id: x\nurl: \"https://example.com/{{ a | nosuchfilter }}\"\nheaders:\n  X-A: \"{{ a is nosuchtest }}\"\nbody: |\n  {\"a\": 1,\n   \"b\": {{ nosuchfn() }}}\n",
			[]string{"names.yaml:2: url: parse: No filter named 'nosuchfilter'", "names.yaml:4: headers.X-A: parse: No test named 'nosuchtest'",
				"names.yaml:7: body: no function named 'nosuchfn'"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := f.write(t, tt.file, tt.content)
			code, out, errOut := f.run(t, "webhook", "put", path)
			if code != 1 || out != "" {
				t.Errorf("exit %d, stdout %q", code, out)
			}
			for _, w := range tt.want {
				if !strings.Contains(errOut, w) {
					t.Errorf("stderr lacks %q:\n%s", w, errOut)
				}
			}
		})
	}
	// Nothing but good was stored.
	var list []webhookEntry
	if err := json.Unmarshal([]byte(f.ok(t, "webhook", "list", "--json")), &list); err != nil {
		t.Fatal(err)
	}
	if len(list) != 1 || list[0].ID != "good" || list[0].Revision != 1 {
		t.Errorf("bucket holds %+v", list)
	}
}
