// Package check reports every problem of webhook definition files and
// Webhook Template files the way `hookworker validate` and `hookworker
// webhook put` show them: each with its file and the line of the YAML node
// it is about, all at once. It checks what the worker would refuse: strict
// decoding, each field's rules, Webhook Template resolution, and that every
// template and mapper compiles.
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
	"sort"
	"strconv"
	"strings"
	"sync"

	"go.yaml.in/yaml/v3"

	"github.com/hookworker/hookworker/internal/marketplace"
	"github.com/hookworker/hookworker/mapper"
	"github.com/hookworker/hookworker/render"
	"github.com/hookworker/hookworker/trigger/webhook"
)

// Problem is one error found in a file.
type Problem struct {
	File string
	// Line is 1-based; 0 when the problem is about the file as a whole
	// (it cannot be read).
	Line int
	Msg  string
}

// String formats the problem as "file:line: message".
func (p Problem) String() string {
	if p.Line <= 0 {
		return p.File + ": " + p.Msg
	}
	return fmt.Sprintf("%s:%d: %s", p.File, p.Line, p.Msg)
}

// Kind says what a checked file holds.
type Kind int

// Kinds of checked files.
const (
	// KindAuto: a template when its top level has a `webhook:` or
	// `params:` key, else a definition.
	KindAuto Kind = iota
	KindDefinition
	KindTemplate
)

// File is one file to check.
type File struct {
	Path string
	Kind Kind
}

// Options tune Check.
type Options struct {
	// TemplatesDir holds the templates that resolve `uses` when the
	// checked files include no template file (read with
	// marketplace.LoadDir, only if a definition uses a template).
	TemplatesDir string
}

// Collect lists the files to check under paths. A file is taken as it is.
// A directory that has a "webhooks" or "templates" subdirectory is a
// configs directory: those subdirectories are checked, nothing else in it.
// Any other directory contributes its *.yaml, *.yml and *.json files (not
// its subdirectories), as LoadDir reads them. Files in webhooksDir or in a
// directory named "webhooks" are definitions; files in templatesDir or in
// a directory named "templates" are templates; any other file is a
// template when its top level has a `webhook:` or `params:` key.
func Collect(paths []string, webhooksDir, templatesDir string) ([]File, error) {
	var out []File
	seen := map[string]bool{}
	add := func(path string) {
		c := filepath.Clean(path)
		if seen[c] {
			return
		}
		seen[c] = true
		out = append(out, File{Path: path, Kind: kindOf(path, webhooksDir, templatesDir)})
	}
	var addDir func(dir string, root bool) error
	addDir = func(dir string, root bool) error {
		if root {
			var sub []string
			for _, name := range []string{"webhooks", "templates"} {
				if fi, err := os.Stat(filepath.Join(dir, name)); err == nil && fi.IsDir() {
					sub = append(sub, filepath.Join(dir, name))
				}
			}
			if len(sub) > 0 {
				for _, s := range sub {
					if err := addDir(s, false); err != nil {
						return err
					}
				}
				return nil
			}
		}
		entries, err := os.ReadDir(dir)
		if err != nil {
			return err
		}
		for _, e := range entries {
			if !e.IsDir() && webhook.IsFile(e.Name()) {
				add(filepath.Join(dir, e.Name()))
			}
		}
		return nil
	}
	for _, p := range paths {
		fi, err := os.Stat(p)
		if err != nil {
			return nil, err
		}
		if fi.IsDir() {
			if err := addDir(p, true); err != nil {
				return nil, err
			}
			continue
		}
		add(p)
	}
	return out, nil
}

func kindOf(path, webhooksDir, templatesDir string) Kind {
	dir := filepath.Clean(filepath.Dir(path))
	switch {
	case webhooksDir != "" && dir == filepath.Clean(webhooksDir):
		return KindDefinition
	case templatesDir != "" && dir == filepath.Clean(templatesDir):
		return KindTemplate
	case filepath.Base(dir) == "webhooks":
		return KindDefinition
	case filepath.Base(dir) == "templates":
		return KindTemplate
	}
	return KindAuto
}

// Check checks files: YAML syntax, the strict schema (unknown fields), the
// definition rules of webhook.Definition.Validate and of
// marketplace.Template.Validate, that every request template and every
// Response Mapper parses, that `uses` resolves with its parameters
// complete, and that no id is defined twice. Templates found among files
// resolve `uses`. Problems come in file order, then line order.
func Files(files []File, opts Options) []Problem {
	c := &checker{env: checkEnv(), problems: map[string][]Problem{}}
	var parsed []*parsedFile
	for _, f := range files {
		p := c.parse(f)
		if p != nil {
			parsed = append(parsed, p)
		}
	}
	// Templates first: they resolve the definitions' `uses`.
	var templates []*marketplace.Template
	tplAt := map[string]string{}
	broken := map[string]bool{}
	sawTemplate := false
	for _, p := range parsed {
		if p.kind != KindTemplate {
			continue
		}
		sawTemplate = true
		t, ok := c.template(p)
		if t == nil {
			if id := topLevelString(p.root, "id"); id != "" {
				broken[id] = true
			}
			continue
		}
		if prev, dup := tplAt[t.ID]; dup {
			c.add(p.path, p.line("id"), fmt.Sprintf("id: template %q is also defined in %s", t.ID, prev))
			continue
		}
		tplAt[t.ID] = fmt.Sprintf("%s:%d", p.path, p.line("id"))
		if ok {
			templates = append(templates, t)
		} else {
			broken[t.ID] = true
		}
	}
	var market *marketplace.Marketplace
	var marketErr error
	if sawTemplate {
		market, marketErr = marketplace.New(templates...)
	} else {
		var once sync.Once
		c.market = func() (*marketplace.Marketplace, error) {
			once.Do(func() { market, marketErr = marketplace.LoadDir(opts.TemplatesDir) })
			return market, marketErr
		}
	}
	if c.market == nil {
		c.market = func() (*marketplace.Marketplace, error) { return market, marketErr }
	}
	defAt := map[string]string{}
	for _, p := range parsed {
		if p.kind != KindDefinition {
			continue
		}
		d := c.definition(p, broken)
		if d == nil || d.ID == "" {
			continue
		}
		if prev, dup := defAt[d.ID]; dup {
			c.add(p.path, p.line("id"), fmt.Sprintf("id: %q is also defined in %s", d.ID, prev))
			continue
		}
		defAt[d.ID] = fmt.Sprintf("%s:%d", p.path, p.line("id"))
	}
	var out []Problem
	for _, f := range files {
		ps := c.problems[f.Path]
		sort.SliceStable(ps, func(i, j int) bool { return ps[i].Line < ps[j].Line })
		out = append(out, ps...)
		delete(c.problems, f.Path)
	}
	return out
}

type checker struct {
	env      *render.Env
	problems map[string][]Problem
	market   func() (*marketplace.Marketplace, error)
}

func (c *checker) add(file string, line int, msg string) {
	c.problems[file] = append(c.problems[file], Problem{File: file, Line: line, Msg: msg})
}

// parsedFile is a file whose syntax is sound.
type parsedFile struct {
	path string
	data []byte
	json bool
	kind Kind
	root *yaml.Node // the document's top node; nil when YAML cannot read a JSON file
}

// line returns the line of the node at field path (see lineOf).
func (p *parsedFile) line(field string) int {
	l, _ := lineOf(p.root, field)
	return l
}

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
		if m := jsonUnknownField.FindStringSubmatch(msg); m != nil {
			line = keyLine(p.root, m[1])
			msg = fmt.Sprintf("unknown field %q", m[1])
			goOn = false // encoding/json stops at the first unknown field
		}
	default:
		line, msg = yamlErrorLine(msg)
	}
	c.add(p.path, line, msg)
	return goOn
}

var (
	unknownField     = regexp.MustCompile(`^field (.+) not found in type \S+$`)
	jsonUnknownField = regexp.MustCompile(`^json: unknown field "(.*)"$`)
	yamlLine         = regexp.MustCompile(`^(?:yaml: )?line (\d+): (.*)$`)
	templateLine     = regexp.MustCompile(`\(Line: (\d+) Col: \d+`)
)

// definition checks a definition file; it returns the definition when it
// could be decoded.
func (c *checker) definition(p *parsedFile, broken map[string]bool) *webhook.Definition {
	var d *webhook.Definition
	var err error
	if p.json {
		d, err = webhook.DecodeJSON(p.data)
	} else {
		// A template file misplaced among definitions would only say
		// "field webhook not found": say what it is.
		if topLevelKey(p.root, "webhook") {
			c.add(p.path, rootLine(p.root), "this is a Webhook Template (it has a webhook: key); templates belong in the templates directory")
			return nil
		}
		// As webhook.DecodeYAML does, keeping what decoded when the
		// only errors are unknown fields, to check the rest.
		d = new(webhook.Definition)
		dec := yaml.NewDecoder(bytes.NewReader(p.data))
		dec.KnownFields(true)
		err = dec.Decode(d)
	}
	if err != nil && !c.decodeErrors(p, err) {
		return nil
	}
	if d.ID == "" {
		c.add(p.path, rootLine(p.root), "id: required in files")
	}
	if err := d.Validate(); err != nil {
		c.fieldError(p, "", err)
		c.compile(p, d, "")
		return d
	}
	c.compile(p, d, "")
	if d.Uses != "" && !broken[d.Uses] {
		market, err := c.market()
		if err != nil {
			c.add(p.path, p.line("uses"), fmt.Sprintf("uses: the templates do not load: %v", err))
			return d
		}
		if _, err := market.Resolve(d); err != nil {
			c.fieldError(p, "", err)
		}
	}
	return d
}

// template checks a template file. It returns the template when it could
// be decoded, and whether it is sound.
func (c *checker) template(p *parsedFile) (*marketplace.Template, bool) {
	if p.json {
		c.add(p.path, 1, "not loaded: Webhook Templates are read from *.yaml and *.yml files only")
		return nil, false
	}
	var t marketplace.Template
	dec := yaml.NewDecoder(bytes.NewReader(p.data))
	dec.KnownFields(true)
	if err := dec.Decode(&t); err != nil {
		if !c.decodeErrors(p, err) {
			return nil, false
		}
		// Unknown fields only: check the rest, but the template is unsound.
		c.checkTemplate(p, &t)
		return &t, false
	}
	return &t, c.checkTemplate(p, &t)
}

func (c *checker) checkTemplate(p *parsedFile, t *marketplace.Template) bool {
	before := len(c.problems[p.path])
	if err := t.Validate(); err != nil {
		c.fieldError(p, "", err)
	}
	c.compile(p, &t.Webhook, "webhook.")
	for i, prm := range t.Params {
		if s, ok := prm.Default.(string); ok {
			if _, err := c.env.Compile(s); err != nil {
				c.templateError(p, fmt.Sprintf("params[%d].default", i), err)
			}
		}
	}
	return len(c.problems[p.path]) == before
}

// compile compiles every template of d, reporting each that does not
// parse.
func (c *checker) compile(p *parsedFile, d *webhook.Definition, prefix string) {
	for _, fe := range CompileErrors(c.env, d) {
		c.templateError(p, prefix+fe.Field, errors.New(fe.Msg))
	}
}

// fieldError reports a *webhook.FieldError at its field's line.
func (c *checker) fieldError(p *parsedFile, prefix string, err error) {
	var fe *webhook.FieldError
	if !errors.As(err, &fe) {
		c.add(p.path, rootLine(p.root), err.Error())
		return
	}
	field := prefix + fe.Field
	line, found := lineOf(p.root, field)
	if !found && (strings.HasPrefix(field, "with") || field == "uses") {
		// A missing `with` (or parameter): the line of uses.
		if l, ok := lineOf(p.root, "uses"); ok {
			line = l
		}
	}
	c.add(p.path, line, field+": "+fe.Msg)
}

// templateError reports a template that does not parse at the line of its
// value; in a literal block (body: |), at the line inside it.
func (c *checker) templateError(p *parsedFile, field string, err error) {
	line, _ := lineOf(p.root, field)
	if n := nodeAt(p.root, field); n != nil && n.Kind == yaml.ScalarNode && n.Style&yaml.LiteralStyle != 0 {
		if m := templateLine.FindStringSubmatch(err.Error()); m != nil {
			if k, _ := strconv.Atoi(m[1]); k > 0 {
				line = n.Line + k
			}
		}
	}
	c.add(p.path, line, field+": "+err.Error())
}

// Compiles is CompileErrors in the environment the checks use.
func Compiles(d *webhook.Definition) []*webhook.FieldError { return CompileErrors(checkEnv(), d) }

// checkEnv is the environment templates are compiled in to check them.
var checkEnv = sync.OnceValue(func() *render.Env { return render.NewEnv(render.Limits{}) })

// CompileErrors compiles every template of d as the worker would (the
// request templates, string parameters and mappers that
// webhook.Definition.Templates lists). It returns one error per template
// that does not compile, naming its field.
func CompileErrors(env *render.Env, d *webhook.Definition) []*webhook.FieldError {
	var out []*webhook.FieldError
	for _, t := range d.Templates() {
		var err error
		if t.Section == webhook.SectionMapper {
			_, err = mapper.Compile(env, []webhook.Mapping{d.CVars[t.Index]}, mapper.Options{})
			var me *mapper.Error
			if errors.As(err, &me) {
				err = me.Err
			}
		} else {
			_, err = env.Compile(t.Source)
		}
		if err != nil {
			out = append(out, &webhook.FieldError{Field: t.Field, Msg: err.Error()})
		}
	}
	return out
}

// lineOf returns the line of the node at a field path such as
// "cvars[2].mapper", "headers.X-Token" or "webhook.params": the line of a
// scalar value, or of the key of a mapping or sequence value. When the
// path is not all there, it returns the line of the deepest node found,
// and false.
func lineOf(root *yaml.Node, field string) (int, bool) {
	line, n := walk(root, field)
	return line, n != nil
}

// nodeAt returns the node at a field path, or nil.
func nodeAt(root *yaml.Node, field string) *yaml.Node {
	_, n := walk(root, field)
	return n
}

func walk(root *yaml.Node, field string) (int, *yaml.Node) {
	if root == nil {
		return 1, nil
	}
	n, line, rest := root, rootLine(root), field
	for rest != "" {
		for n.Kind == yaml.AliasNode && n.Alias != nil {
			n = n.Alias
		}
		if strings.HasPrefix(rest, "[") {
			end := strings.IndexByte(rest, ']')
			if end < 0 || n.Kind != yaml.SequenceNode {
				return line, nil
			}
			i, err := strconv.Atoi(rest[1:end])
			if err != nil || i < 0 || i >= len(n.Content) {
				return line, nil
			}
			n = n.Content[i]
			line = n.Line
			rest = strings.TrimPrefix(rest[end+1:], ".")
			continue
		}
		if n.Kind != yaml.MappingNode {
			return line, nil
		}
		// Keys of headers, query and with may hold dots: take the
		// longest key the path continues with.
		best := -1
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i].Value
			if rest == k || strings.HasPrefix(rest, k+".") || strings.HasPrefix(rest, k+"[") {
				if best < 0 || len(k) > len(n.Content[best].Value) {
					best = i
				}
			}
		}
		if best < 0 {
			return line, nil
		}
		key, val := n.Content[best], n.Content[best+1]
		rest = strings.TrimPrefix(rest[len(key.Value):], ".")
		if rest == "" {
			if val.Kind == yaml.ScalarNode {
				return val.Line, val
			}
			return key.Line, val
		}
		n, line = val, key.Line
	}
	return line, n
}

// rootLine is the line a problem about the whole definition points at.
func rootLine(root *yaml.Node) int {
	if root == nil || root.Line == 0 {
		return 1
	}
	return root.Line
}

func topLevelKey(root *yaml.Node, key string) bool {
	if root == nil || root.Kind != yaml.MappingNode {
		return false
	}
	for i := 0; i+1 < len(root.Content); i += 2 {
		if root.Content[i].Value == key {
			return true
		}
	}
	return false
}

func topLevelString(root *yaml.Node, key string) string {
	if root == nil || root.Kind != yaml.MappingNode {
		return ""
	}
	for i := 0; i+1 < len(root.Content); i += 2 {
		if root.Content[i].Value == key && root.Content[i+1].Kind == yaml.ScalarNode {
			return root.Content[i+1].Value
		}
	}
	return ""
}

// keyLine finds the first mapping key named key anywhere under root.
func keyLine(root *yaml.Node, key string) int {
	if root == nil {
		return 1
	}
	var find func(n *yaml.Node) int
	find = func(n *yaml.Node) int {
		if n.Kind == yaml.MappingNode {
			for i := 0; i+1 < len(n.Content); i += 2 {
				if n.Content[i].Value == key {
					return n.Content[i].Line
				}
			}
		}
		for _, c := range n.Content {
			if l := find(c); l > 0 {
				return l
			}
		}
		return 0
	}
	if l := find(root); l > 0 {
		return l
	}
	return rootLine(root)
}

// yamlErrorLine splits "yaml: line 3: message" into 3 and "yaml: message".
func yamlErrorLine(msg string) (int, string) {
	msg = strings.TrimPrefix(msg, "webhook: ")
	msg = strings.TrimPrefix(msg, "template: ")
	if m := yamlLine.FindStringSubmatch(strings.TrimSpace(msg)); m != nil {
		n, _ := strconv.Atoi(m[1])
		prefix := ""
		if strings.HasPrefix(msg, "yaml: ") {
			prefix = "yaml: "
		}
		return n, prefix + m[2]
	}
	return 1, msg
}

// jsonErrorLine finds the line of a JSON decoding error.
func jsonErrorLine(data []byte, err error) int {
	var se *json.SyntaxError
	var ute *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return offsetLine(data, se.Offset)
	case errors.As(err, &ute):
		return offsetLine(data, ute.Offset)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return offsetLine(data, int64(len(data)))
	}
	return 1
}

// offsetLine is the line of a byte offset.
func offsetLine(data []byte, off int64) int {
	if off > int64(len(data)) {
		off = int64(len(data))
	}
	if off > 0 && data[off-1] == '\n' {
		off-- // the offset is just past the token that failed
	}
	return bytes.Count(data[:max(off, 0)], []byte("\n")) + 1
}
