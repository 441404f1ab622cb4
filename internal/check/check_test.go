package check

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func TestLineOf(t *testing.T) {
	src := `# comment
id: x
url: https://example.com/
headers:
  Accept: application/json
  X.Dotted: "{{ a }}"
  X-Block:
    "{{ b }}"
query:
  q: "{{ q }}"
body: |
  {"a": 1}
cvars:
  - name: a
    mapper: "{{ a }}"
  - name: b
    mapper: "{{ b }}"
with:
  p: 1
auth: &auth
  type: bearer
  token: "{{ secrets.T }}"
`
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(src), &doc); err != nil {
		t.Fatal(err)
	}
	root := doc.Content[0]
	tests := []struct {
		field string
		line  int
		found bool
	}{
		{"", 2, true},
		{"id", 2, true},
		{"url", 3, true},
		{"headers", 4, true}, // a mapping: the key's line
		{"headers.Accept", 5, true},
		{"headers.X.Dotted", 6, true}, // a key with a dot
		{"headers.X-Block", 8, true},  // a scalar value: its own line
		{"headers.Nope", 4, false},    // the deepest node found
		{"query.q", 10, true},
		{"body", 11, true},
		{"cvars", 13, true},
		{"cvars[0]", 14, true},
		{"cvars[1].mapper", 17, true},
		{"cvars[1].name", 16, true},
		{"cvars[5].mapper", 13, false},
		{"with.p", 19, true},
		{"auth.token", 22, true},
		{"method", 2, false}, // absent: the definition's first line
	}
	for _, tt := range tests {
		line, found := lineOf(root, tt.field)
		if line != tt.line || found != tt.found {
			t.Errorf("lineOf(%q) = %d, %v; want %d, %v", tt.field, line, found, tt.line, tt.found)
		}
	}
	if line, found := lineOf(nil, "url"); line != 1 || found {
		t.Errorf("lineOf(nil) = %d, %v", line, found)
	}
}

func TestOffsetLine(t *testing.T) {
	data := []byte("{\n  \"a\": 1,\n  \"b\": x\n}\n")
	// An offset is just past the byte at fault: one right after a newline
	// is still on the line the newline ends.
	for off, want := range map[int64]int{0: 1, 1: 1, 2: 1, 3: 2, 12: 2, 13: 3, 100: 4} {
		if got := offsetLine(data, off); got != want {
			t.Errorf("offsetLine(%d) = %d, want %d", off, got, want)
		}
	}
}

// check runs Check on the files of a fresh directory named webhooks
// (definitions) and templates.
func check(t *testing.T, files map[string]string) (string, []string) {
	t.Helper()
	dir := t.TempDir()
	writeFiles(t, dir, files)
	cf, err := Collect([]string{dir}, "", "")
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, p := range Files(cf, Options{}) {
		rel, _ := filepath.Rel(dir, p.File)
		p.File = filepath.ToSlash(rel)
		p.Msg = strings.ReplaceAll(p.Msg, dir+string(filepath.Separator), "")
		out = append(out, p.String())
	}
	return dir, out
}

func same(t *testing.T, got, want []string) {
	t.Helper()
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestCheckAllErrorsOfAFile: every problem of a file is reported, each at
// its line, not only the first.
func TestCheckAllErrorsOfAFile(t *testing.T) {
	_, got := check(t, map[string]string{"webhooks/many.yaml": `id: many
url: "https://example.com/{{ a }"
retries: 3
headers:
  X-A: "{{ ok }}"
  X-B: "{% if %}"
body: |
  {
    "a": {{ a | tojson }},
    "b": {{ b | }}
  }
cvars:
  - name: x
    mapper: "{{ ( }}"
  - name: y
    mapper:
      "{{ y | }}"
`})
	want := []string{
		`webhooks/many.yaml:2: url: parse: unexpected '}' (line 1)`,
		`webhooks/many.yaml:3: unknown field "retries"`,
		`webhooks/many.yaml:6: headers.X-B: parse: Expected an expression, got "end of statement block" (line 1)`,
		// Inside a literal block: the line of the template's own error.
		`webhooks/many.yaml:10: body: parse: expected token "name", got "end of print statement" (line 3)`,
		`webhooks/many.yaml:14: cvars[0].mapper: parse: unexpected '}', expected ')' (line 1)`,
		`webhooks/many.yaml:17: cvars[1].mapper: parse: expected token "name", got "end of print statement" (line 1)`,
	}
	same(t, got, want)
}

func TestCheckJSON(t *testing.T) {
	_, got := check(t, map[string]string{
		"webhooks/mapper.json": `{
  "id": "j",
  "url": "https://example.com/",
  "cvars": [
    {"name": "a", "mapper": "{{ a | }}"}
  ]
}`,
		"webhooks/unknown.json": `{
  "id": "k",
  "url": "https://example.com/",
  "auth": {"type": "none",
     "bogus": 1}
}`,
		"webhooks/syntax.json": `{
  "id": "l",
  "url": "https://example.com/",
  "timeout": 5s
}`,
		"webhooks/type.json": `{
  "id": "m",
  "url": "https://example.com/",
  "cvars": {"a": 1}
}`,
		"webhooks/method.json": "{\"id\": \"n\",\n\"url\": \"https://example.com/\",\n\"method\": \"FETCH\"}",
	})
	want := []string{
		`webhooks/mapper.json:5: cvars[0].mapper: parse: expected token "name", got "end of print statement" (line 1)`,
		`webhooks/method.json:3: method: "FETCH" is not one of GET, POST, PUT, PATCH, DELETE, HEAD`,
		`webhooks/syntax.json:4: json: invalid character 's' after object key:value pair`,
		`webhooks/type.json:4: cvars: want an array, got JSON object`,
		`webhooks/unknown.json:5: auth.bogus: unknown field`,
	}
	same(t, got, want)
}

func TestCheckFileShapes(t *testing.T) {
	_, got := check(t, map[string]string{
		"webhooks/empty.yaml":    "",
		"webhooks/comments.yaml": "# nothing but a comment\n",
		"webhooks/multi.yaml":    "id: m\nurl: https://example.com/\n---\nid: n\n",
		"webhooks/noid.yaml":     "# no id\nname: x\nurl: https://example.com/\n",
		"webhooks/seq.yaml":      "- id: a\n",
		"webhooks/tpl.yaml":      "id: t\nparams: []\nwebhook:\n  url: https://example.com/\n",
	})
	want := []string{
		`webhooks/comments.yaml:1: empty file: no definition`,
		`webhooks/empty.yaml:1: empty file: no definition`,
		`webhooks/multi.yaml:3: more than one YAML document: only the first is read; put each definition in its own file`,
		`webhooks/noid.yaml:2: id: required in files`,
		"webhooks/seq.yaml:1: cannot unmarshal !!seq into webhook.Definition",
		`webhooks/tpl.yaml:1: this is a Webhook Template (it has a webhook: key); templates belong in the templates directory`,
	}
	same(t, got, want)
}

func TestCheckTemplates(t *testing.T) {
	_, got := check(t, map[string]string{
		"templates/a.yaml": `id: a
params:
  - name: p
    required: true
  - name: q
    default: "{{ x "
webhook:
  url: "https://example.com/{{ params.p }}"
  headers:
    X-Q: "{{ params.q | }}"
  extra: 1
`,
		"templates/b.yaml":     "id: a\nwebhook:\n  url: https://example.com/\n",
		"templates/c.json":     `{"id": "c"}`,
		"templates/d.yaml":     "id: d\nwebhook:\n  uses: a\n  url: https://example.com/\n",
		"webhooks/uses.yaml":   "id: uses-a\nuses: a\nwith:\n  p: 1\n",
		"webhooks/uses-d.yaml": "id: uses-d\nuses: d\n",
	})
	want := []string{
		`templates/a.yaml:6: params[1].default: parse: unexpected end of template, expected "end of print statement". (line 1)`,
		`templates/a.yaml:10: webhook.headers.X-Q: parse: expected token "name", got "end of print statement" (line 1)`,
		`templates/a.yaml:11: unknown field "extra"`,
		`templates/b.yaml:1: id: template "a" is also defined in templates/a.yaml:1`,
		`templates/c.json:1: not loaded: Webhook Templates are read from *.yaml and *.yml files only`,
		`templates/d.yaml:3: webhook.uses: a template cannot use another template`,
		// uses-a and uses-d use broken templates: their problems are the
		// templates', not reported again.
	}
	same(t, got, want)
}

func TestCheckUsesFromTemplatesDir(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"market/t.yaml": "id: t\nparams:\n  - name: p\n    required: true\nwebhook:\n  url: https://example.com/{{ params.p }}\n",
		"defs/a.yaml":   "id: a\nuses: t\nwith:\n  p: x\n",
		"defs/b.yaml":   "id: b\nuses: t\n",
	})
	cf, err := Collect([]string{filepath.Join(dir, "defs")}, filepath.Join(dir, "defs"), filepath.Join(dir, "market"))
	if err != nil {
		t.Fatal(err)
	}
	got := Files(cf, Options{TemplatesDir: filepath.Join(dir, "market")})
	if len(got) != 1 || got[0].File != filepath.Join(dir, "defs", "b.yaml") || got[0].Line != 2 ||
		got[0].Msg != `with: template "t" needs p` {
		t.Errorf("problems %v", got)
	}
	// A templates dir that does not load: the definitions that use a
	// template say so.
	writeFiles(t, dir, map[string]string{"market/bad.yaml": "id: [\n"})
	got = Files(cf, Options{TemplatesDir: filepath.Join(dir, "market")})
	if len(got) != 2 || got[0].Line != 2 || !strings.Contains(got[0].Msg, "uses: the templates do not load") {
		t.Errorf("problems %v", got)
	}
}

func TestCollect(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"configs/hookworker.yaml":     "nats: {}\n",
		"configs/webhooks/a.yaml":     "id: a\n",
		"configs/webhooks/sub/x.yaml": "id: x\n",
		"configs/webhooks/notes.txt":  "",
		"configs/templates/t.yaml":    "id: t\n",
		"loose/d.json":                "{}",
		"loose/t.yml":                 "webhook: {}\n",
		"market/m.yaml":               "id: m\n",
		"single.yaml":                 "id: s\n",
	})
	j := func(p ...string) string { return filepath.Join(append([]string{dir}, p...)...) }
	files, err := Collect([]string{j("configs"), j("loose"), j("market"), j("single.yaml"), j("configs", "webhooks", "a.yaml")}, "", j("market"))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range files {
		rel, _ := filepath.Rel(dir, f.Path)
		got = append(got, filepath.ToSlash(rel)+"="+[]string{"auto", "definition", "template"}[f.Kind])
	}
	want := []string{
		"configs/webhooks/a.yaml=definition",
		"configs/templates/t.yaml=template",
		"loose/d.json=auto",
		"loose/t.yml=auto",
		"market/m.yaml=template",
		"single.yaml=auto",
	}
	same(t, got, want)
	if _, err := Collect([]string{j("nope")}, "", ""); err == nil {
		t.Error("a missing path is not an error")
	}
}
