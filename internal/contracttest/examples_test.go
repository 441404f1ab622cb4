package contracttest

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

var root = filepath.Join("..", "..")

// example is one document found in configs/ or the docs.
type example struct {
	where string // file (and what inside it)
	json  []byte
	yaml  bool // written as YAML
}

// TestExamplesValidate: every event, definition, Result and dead letter
// shown in configs/ and in the Markdown docs validates against its schema,
// and the decoder agrees.
func TestExamplesValidate(t *testing.T) {
	var all []example
	glob := func(pattern string) []string {
		m, err := filepath.Glob(filepath.Join(root, pattern))
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	for _, p := range glob("configs/events/*.json") {
		data, _ := os.ReadFile(p)
		all = append(all, example{where: p, json: data})
	}
	for _, pat := range []string{"configs/webhooks/*.yaml", "configs/webhooks/*.yml", "configs/webhooks/*.json"} {
		for _, p := range glob(pat) {
			data, _ := os.ReadFile(p)
			all = append(all, example{where: p, json: yamlToJSON(t, p, data), yaml: true})
		}
	}
	templates := 0
	for _, p := range glob("configs/templates/*.yaml") {
		data, _ := os.ReadFile(p)
		var tpl map[string]any
		if err := yaml.Unmarshal(data, &tpl); err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		def, err := json.Marshal(tpl["webhook"])
		if err != nil || tpl["webhook"] == nil {
			t.Fatalf("%s: no webhook: %v", p, err)
		}
		templates++
		if ok, err := schemaValid(t, "webhook", def); !ok {
			t.Errorf("%s: its webhook does not validate: %v", p, err)
		}
		if err := decodeDefinition(def); err != nil {
			t.Errorf("%s: its webhook does not decode: %v", p, err)
		}
	}
	docs := append(append(glob("docs/*.md"), glob("docs/schema/*.md")...), glob("*.md")...)
	for _, p := range docs {
		data, _ := os.ReadFile(p)
		all = append(all, fromMarkdown(t, p, string(data))...)
	}

	counts := map[string]int{}
	for _, e := range all {
		kind := classify(e.json)
		if kind == "" {
			counts["not a contract document"]++
			continue
		}
		loc := kind
		if kind == "webhook" && strings.Contains(e.where, "configs/webhooks") || strings.HasSuffix(e.where, ".yaml") {
			loc = "webhook#/$defs/file"
		}
		counts[kind]++
		if ok, err := schemaValid(t, loc, e.json); !ok {
			t.Errorf("%s: not a valid %s: %v\n%s", e.where, kind, oneLine(err), clip(e.json))
		}
		var derr error
		switch kind {
		case "event":
			derr = decodeEvent(e.json)
		case "webhook":
			derr = decodeDefinition(e.json)
		}
		if derr != nil {
			t.Errorf("%s: the decoder refuses it: %v", e.where, derr)
		}
	}
	t.Logf("examples: %v, %d template definitions", counts, templates)
	if counts["event"] < 8 || counts["webhook"] < 5 || counts["result"] < 2 || counts["dead-letter"] < 1 || templates < 9 {
		t.Errorf("found %v and %d templates: the walk missed examples", counts, templates)
	}
}

// classify names the schema a JSON document is an example of, or "".
func classify(data []byte) string {
	var m map[string]any
	if json.Unmarshal(data, &m) != nil {
		return ""
	}
	has := func(keys ...string) bool {
		for _, k := range keys {
			if _, ok := m[k]; !ok {
				return false
			}
		}
		return true
	}
	switch {
	case has("event_id", "failed_at"):
		return "dead-letter"
	case has("event_id", "status"):
		return "result"
	case has("id", "bot_id", "conversation_id"):
		return "event"
	case has("url") || has("uses"):
		return "webhook"
	}
	return ""
}

var (
	fence       = regexp.MustCompile("(?s)```(json|sh|console|yaml)\n(.*?)```")
	consoleJSON = regexp.MustCompile(`(?ms)^\{\n.*?^\}$`)
	heredoc     = regexp.MustCompile(`(?s)cat (>>?) (\S+\.(?:json|yaml|yml)) <<'EOF'\n(.*?)\nEOF`)
)

// fromMarkdown finds the JSON code blocks of a Markdown file, and the
// files its shell blocks write with heredocs (`cat > x.json <<'EOF'`,
// appends included). Blocks with elisions (...) are not JSON and are left
// out.
func fromMarkdown(t *testing.T, path, text string) []example {
	var out []example
	files := map[string]string{}
	var order []string
	for _, m := range fence.FindAllStringSubmatch(text, -1) {
		lang, body := m[1], m[2]
		if lang == "json" {
			if json.Valid([]byte(body)) {
				out = append(out, example{where: path + " (json block)", json: []byte(body)})
			}
			continue
		}
		if lang == "console" { // a command's JSON output, when shown whole
			for _, j := range consoleJSON.FindAllString(body, -1) {
				if json.Valid([]byte(j)) {
					out = append(out, example{where: path + " (console output)", json: []byte(j)})
				}
			}
		}
		for _, h := range heredoc.FindAllStringSubmatch(body, -1) {
			name := h[2]
			if _, ok := files[name]; !ok {
				order = append(order, name)
			}
			if h[1] == ">" {
				files[name] = h[3] + "\n"
			} else {
				files[name] += h[3] + "\n"
			}
		}
	}
	for _, name := range order {
		data := []byte(files[name])
		where := fmt.Sprintf("%s (%s)", path, name)
		if strings.HasSuffix(name, ".json") {
			out = append(out, example{where: where, json: data})
		} else {
			out = append(out, example{where: where + ".yaml", json: yamlToJSON(t, where, data), yaml: true})
		}
	}
	return out
}

// yamlToJSON converts a YAML document to JSON as the schemas see it.
func yamlToJSON(t *testing.T, where string, data []byte) []byte {
	t.Helper()
	var v any
	if err := yaml.Unmarshal(data, &v); err != nil {
		t.Fatalf("%s: %v", where, err)
	}
	out, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("%s: %v", where, err)
	}
	return out
}
