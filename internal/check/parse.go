package check

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/hookworker/hookworker/trigger/webhook"
)

// parse reads a file and checks its syntax.
func (c *checker) parse(f File) *parsedFile {
	data, err := os.ReadFile(f.Path)
	if err != nil {
		c.add(f.Path, 0, err.Error())
		return nil
	}
	p := &parsedFile{path: f.Path, data: data, kind: f.Kind, json: strings.EqualFold(filepath.Ext(f.Path), ".json")}
	if p.json {
		if err := json.Unmarshal(data, new(any)); err != nil {
			c.add(f.Path, jsonErrorLine(data, err), "json: "+strings.TrimPrefix(err.Error(), "json: "))
			return nil
		}
		// JSON is YAML: the node tree gives lines. Should YAML refuse
		// it (rare), lines fall back to 1.
		var doc yaml.Node
		if yaml.Unmarshal(data, &doc) == nil && len(doc.Content) > 0 {
			p.root = doc.Content[0]
		}
	} else {
		dec := yaml.NewDecoder(bytes.NewReader(data))
		var doc yaml.Node
		if err := dec.Decode(&doc); err != nil {
			if errors.Is(err, io.EOF) {
				c.add(f.Path, 1, "empty file: no definition")
			} else {
				line, msg := yamlErrorLine(err.Error())
				c.add(f.Path, line, msg)
			}
			return nil
		}
		if len(doc.Content) == 0 {
			c.add(f.Path, 1, "empty file: no definition")
			return nil
		}
		p.root = doc.Content[0]
		var next yaml.Node
		switch err := dec.Decode(&next); {
		case err == nil:
			c.add(f.Path, next.Line, "more than one YAML document: only the first is read; put each definition in its own file")
		case !errors.Is(err, io.EOF):
			line, msg := yamlErrorLine(err.Error())
			c.add(f.Path, line, msg)
			return nil
		}
	}
	if p.kind == KindAuto {
		p.kind = KindDefinition
		if topLevelKey(p.root, "webhook") || topLevelKey(p.root, "params") {
			p.kind = KindTemplate
		}
	}
	return p
}

// decodeErrors reports a strict decoding error; it says whether the
// decoded value is complete but for unknown fields, so checking can go on.
func (c *checker) decodeErrors(p *parsedFile, err error) (goOn bool) {
	var te *yaml.TypeError
	if errors.As(err, &te) {
		goOn = true
		for _, e := range te.Errors {
			line, msg := yamlErrorLine(e)
			if m := unknownField.FindStringSubmatch(msg); m != nil {
				msg = fmt.Sprintf("unknown field %q", m[1])
			} else {
				goOn = false
			}
			c.add(p.path, line, msg)
		}
		return goOn
	}
	var fe *webhook.FieldError
	if errors.As(err, &fe) { // webhook.DecodeJSON names the field
		c.fieldError(p, "", err)
		return false
	}
	msg := strings.TrimPrefix(err.Error(), "webhook: ")
	line := 1
	var se *json.SyntaxError
	var ute *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		line = offsetLine(p.data, se.Offset)
	case errors.As(err, &ute):
		line = offsetLine(p.data, ute.Offset)
	case p.json:
	default:
		line, msg = yamlErrorLine(msg)
	}
	c.add(p.path, line, msg)
	return goOn
}

var (
	unknownField = regexp.MustCompile(`^field (.+) not found in type \S+$`)
	yamlLine     = regexp.MustCompile(`^(?:yaml: )?line (\d+): (.*)$`)
	templateLine = regexp.MustCompile(`\(line (\d+)\b`)
)
