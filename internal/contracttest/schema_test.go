package contracttest

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// schemaDir is docs/schema, from this package's directory.
var schemaDir = filepath.Join("..", "..", "docs", "schema")

// schemaFiles are the contract's schemas.
var schemaFiles = []string{"event", "webhook", "result", "dead-letter", "api"}

const idBase = "https://hookworker.example/schema/"

var (
	compileOnce sync.Once
	compiled    map[string]*jsonschema.Schema
	compileErr  error
)

// schemas compiles every schema of docs/schema, offline: each file is
// registered under its $id, and format (date-time) is asserted.
func schemas(t *testing.T) map[string]*jsonschema.Schema {
	t.Helper()
	compileOnce.Do(func() {
		c := jsonschema.NewCompiler()
		c.AssertFormat()
		c.UseLoader(refusingLoader{})
		for _, name := range schemaFiles {
			f, err := os.Open(filepath.Join(schemaDir, name+".schema.json"))
			if err != nil {
				compileErr = err
				return
			}
			doc, err := jsonschema.UnmarshalJSON(f)
			f.Close()
			if err != nil {
				compileErr = err
				return
			}
			if id, _ := doc.(map[string]any)["$id"].(string); id != idBase+name+".schema.json" {
				compileErr = &os.PathError{Op: "$id", Path: name, Err: os.ErrInvalid}
				return
			}
			if err := c.AddResource(idBase+name+".schema.json", doc); err != nil {
				compileErr = err
				return
			}
		}
		compiled = map[string]*jsonschema.Schema{}
		for _, loc := range []string{"event", "webhook", "result", "dead-letter", "webhook#/$defs/file"} {
			name, frag, _ := strings.Cut(loc, "#")
			u := idBase + name + ".schema.json"
			if frag != "" {
				u += "#" + frag
			}
			s, err := c.Compile(u)
			if err != nil {
				compileErr = err
				return
			}
			compiled[loc] = s
		}
	})
	if compileErr != nil {
		t.Fatalf("compile docs/schema: %v", compileErr)
	}
	return compiled
}

// refusingLoader keeps the compiler offline: every schema is registered.
type refusingLoader struct{}

func (refusingLoader) Load(url string) (any, error) {
	return nil, &os.PathError{Op: "load", Path: url, Err: os.ErrNotExist}
}

// schemaValid reports whether doc, one JSON value, is valid against the
// schema at loc, and the validation error.
func schemaValid(t *testing.T, loc string, doc []byte) (bool, error) {
	t.Helper()
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(doc))
	if err != nil {
		return false, err
	}
	err = schemas(t)[loc].Validate(v)
	return err == nil, err
}

// TestSchemasCompile: every file of docs/schema is a JSON Schema 2020-12
// document under its $id, and no other file is there.
func TestSchemasCompile(t *testing.T) {
	schemas(t)
	entries, err := os.ReadDir(schemaDir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".json") {
			continue
		}
		name := strings.TrimSuffix(e.Name(), ".schema.json")
		known := false
		for _, f := range schemaFiles {
			known = known || f == name
		}
		if !known {
			t.Errorf("docs/schema/%s is not one of the contract's schemas %v", e.Name(), schemaFiles)
		}
		data, _ := os.ReadFile(filepath.Join(schemaDir, e.Name()))
		var doc map[string]any
		if err := json.Unmarshal(data, &doc); err != nil || doc["$schema"] != "https://json-schema.org/draft/2020-12/schema" {
			t.Errorf("%s: not a 2020-12 schema (%v)", e.Name(), err)
		}
	}
}
