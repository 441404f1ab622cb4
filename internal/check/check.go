// Package check reports every problem of webhook definition files and
// Webhook Template files the way `hookworker validate` and `hookworker
// webhook put` show them: each with its file and the line of the YAML node
// it is about, all at once. It checks what the worker would refuse: strict
// decoding, each field's rules, Webhook Template resolution, and that every
// template and mapper compiles.
package check

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
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
	// Env compiles the templates, with the bounds the worker runs with
	// (render.* of the configuration); nil: the default bounds.
	Env *render.Env
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
	env := opts.Env
	if env == nil {
		env = checkEnv()
	}
	c := &checker{env: env, problems: map[string][]Problem{}}
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
		if err == nil {
			err = unknownCalls(env, t.Source)
		}
		if err != nil {
			out = append(out, &webhook.FieldError{Field: t.Field, Msg: err.Error()})
		}
	}
	return out
}

// unknownCalls refuses a call of a name that is no function of the
// environment ({{ nosuchfn() }}), and a filter or test the engine lacks
// inside a branch (Jinja2 compiles those and fails when the branch runs):
// each could only fail when evaluated.
func unknownCalls(env *render.Env, src string) error {
	tpl, err := env.Compile(src)
	if err != nil {
		return nil // reported by the compile above
	}
	for _, u := range tpl.Unknowns() {
		return fmt.Errorf("No %s named '%s' (line %d; Jinja2 fails when this branch runs)", u.What, u.Name, u.Line)
	}
	fns := env.Functions()
	for _, c := range tpl.Calls() {
		if !slices.Contains(fns, c.Name) {
			return fmt.Errorf("no function named '%s' (line %d; the functions are %s)", c.Name, c.Line, strings.Join(fns, ", "))
		}
	}
	return nil
}
