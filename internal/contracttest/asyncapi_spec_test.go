package contracttest

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"go.yaml.in/yaml/v3"

	"github.com/hookworker/hookworker/internal/testtool"
)

// asyncapiSpec is the AsyncAPI Initiative's own JSON Schema of AsyncAPI
// 3.0.0, from the npm package @asyncapi/specs pinned in the TypeScript
// engine's package.json (.ci/run installs it with npm ci).
var asyncapiSpec = filepath.Join(root, "docs", "engines", "node", "node_modules", "@asyncapi", "specs", "schemas", "3.0.0-without-$id.json")

// TestAsyncAPIMatchesTheSpecification: docs/asyncapi.yaml validates
// against the official AsyncAPI 3.0.0 schema, so generators and tools
// that read AsyncAPI take it as it is; and the schema is strict enough to
// refuse a document with a misspelt field.
func TestAsyncAPIMatchesTheSpecification(t *testing.T) {
	f, err := os.Open(asyncapiSpec)
	if err != nil {
		testtool.Missing(t, "the AsyncAPI specification's schema is not installed (npm ci in docs/engines/node): "+err.Error())
	}
	spec, err := jsonschema.UnmarshalJSON(f)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	c.UseLoader(refusingLoader{})
	const loc = "https://asyncapi.invalid/3.0.0.json"
	if err := c.AddResource(loc, spec); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile(loc)
	if err != nil {
		t.Fatal(err)
	}

	data, err := os.ReadFile(filepath.Join(root, "docs", "asyncapi.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	doc := yamlAsJSON(t, data)
	if err := sch.Validate(doc); err != nil {
		t.Errorf("docs/asyncapi.yaml is not a valid AsyncAPI 3.0.0 document:\n%v", err)
	}

	bad := yamlAsJSON(t, data).(map[string]any)
	bad["chanels"] = bad["channels"]
	if err := sch.Validate(bad); err == nil {
		t.Error("a document with a misspelt top-level field (chanels) validates: the schema check cannot fail")
	}
}

// yamlAsJSON reads YAML into the JSON values the validator takes.
func yamlAsJSON(t *testing.T, data []byte) any {
	t.Helper()
	var v any
	if err := yaml.Unmarshal(data, &v); err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	out, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	return out
}
