package mapper

import (
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/nikolalohinski/gonja/v2/exec"
	"github.com/nikolalohinski/gonja/v2/nodes"
	"github.com/tidwall/gjson"

	"github.com/hookworker/hookworker/render"
	"github.com/hookworker/hookworker/trigger/webhook"
)

// Response is what a webhook target answered.
type Response struct {
	StatusCode int
	Header     http.Header
	Body       []byte
}

// Output is the outcome of mapping one response.
type Output struct {
	// CVars holds the CVars the mappers set.
	CVars map[string]any
	// Unmapped lists the CVars whose path was missing, in mapper order.
	Unmapped []string
}

// Error is a mapper that failed for a reason other than a missing path.
type Error struct {
	CVar string
	Err  error
}

func (e *Error) Error() string { return fmt.Sprintf("mapper %q: %v", e.CVar, e.Err) }
func (e *Error) Unwrap() error { return e.Err }

// Mapper is a compiled Response Mapper.
type Mapper struct {
	env     *render.Env
	entries []entry
	slow    bool // some entry needs the gonja context
	// names are the top-level names the gonja entries read; the gonja
	// context decodes only those keys of the body, unless whole is set
	// (an entry reads `response`, whose body is the whole document).
	names []string
	whole bool
}

type entry struct {
	name string
	tpl  *render.Template
	// fast is the plain path of a single-expression mapper, or nil.
	fast *path
}

// Options tune compilation.
type Options struct {
	// NoFastPath sends every mapper through gonja (for the differential test).
	NoFastPath bool
}

// Compile compiles mappings. Errors name the CVar.
func Compile(env *render.Env, mappings []webhook.Mapping, opts Options) (*Mapper, error) {
	m := &Mapper{env: env, entries: make([]entry, 0, len(mappings))}
	for _, mp := range mappings {
		tpl, err := env.Compile(mp.Mapper)
		if err != nil {
			return nil, &Error{CVar: mp.Name, Err: err}
		}
		e := entry{name: mp.Name, tpl: tpl}
		if !opts.NoFastPath && tpl.Expression() != nil {
			e.fast = plainPath(env, tpl.Expression())
		}
		if e.fast == nil {
			m.slow = true
		}
		m.entries = append(m.entries, e)
	}
	// Every entry may fall back to gonja (a fast path can defer), so the
	// names of all entries are kept.
	seen := map[string]bool{}
	for _, e := range m.entries {
		for _, n := range e.tpl.Names() {
			if n == "response" {
				m.whole = true
			}
			if !seen[n] {
				seen[n] = true
				m.names = append(m.names, n)
			}
		}
	}
	return m, nil
}

// Apply maps resp. base supplies cvars and conversation for the gonja path
// (nil entries are fine).
func (m *Mapper) Apply(resp *Response, cvars, conversation map[string]any) (Output, error) {
	out := Output{CVars: make(map[string]any, len(m.entries)), Unmapped: []string{}}
	if len(m.entries) == 0 {
		return out, nil
	}
	body := parseBody(resp.Body)
	var vars map[string]any
	for i := range m.entries {
		e := &m.entries[i]
		var (
			v     any
			found bool
			err   error
			res   = deferred
		)
		if e.fast != nil {
			v, res = e.fast.lookup(body, resp)
			found = res == resolved
			if found {
				// The gonja path refuses the same values (goValue).
				if err := checkDepth(v, 0); err != nil {
					return Output{}, &Error{CVar: e.name, Err: err}
				}
			}
		}
		if res == deferred {
			if vars == nil {
				vars = m.gonjaVars(body, resp, cvars, conversation)
			}
			v, found, err = m.evalSlow(e, vars)
			if err != nil {
				return Output{}, &Error{CVar: e.name, Err: err}
			}
		}
		if !found {
			out.Unmapped = append(out.Unmapped, e.name)
			continue
		}
		out.CVars[e.name] = v
	}
	return out, nil
}

func (m *Mapper) evalSlow(e *entry, vars map[string]any) (any, bool, error) {
	if expr := e.tpl.Expression(); expr != nil {
		v, err := m.env.Eval(expr, vars, false)
		if err != nil {
			if missing(err) {
				return nil, false, nil
			}
			return nil, false, err
		}
		if v.IsNil() {
			// None: a JSON null, or a path that is not there.
			if _, serr := m.env.Eval(expr, vars, true); serr != nil {
				return nil, false, nil
			}
			return nil, true, nil
		}
		jv, err := jsonValue(v)
		if err != nil {
			return nil, false, err
		}
		return jv, true, nil
	}
	s, err := e.tpl.Render(vars)
	if err != nil {
		if missing(err) {
			return nil, false, nil
		}
		return nil, false, err
	}
	return s, true, nil
}

// missing reports whether a gonja error comes from a name, attribute or
// item that is not there (Jinja2's UndefinedError, or an undefined result
// of getattr/getitem), as opposed to a failure of the expression itself.
// The texts are gonja v2.9.1's (exec/evaluator.go, exec/value.go).
func missing(err error) bool {
	if errors.Is(err, render.ErrPanic) || errors.Is(err, render.ErrOutputLimit) {
		return false
	}
	msg := err.Error()
	// An unknown filter or test is a mistake in the mapper, not a missing
	// path (Jinja2 refuses it when compiling): never unmapped.
	if unknownFilterOrTest.MatchString(msg) {
		return false
	}
	for _, s := range missingTexts {
		if strings.Contains(msg, s) {
			return true
		}
	}
	return false
}

var (
	unknownFilterOrTest = regexp.MustCompile(`\b(filter|test) '[^']*' not found`)
	missingTexts        = []string{
		"Can't use getattr on None", "Can't use Getitem on None",
		"not found", // attribute 'x' not found, item 'x' not found, item 3 not found
		"Unable to evaluate name",
		"argument is undefined to access",
		// An integer index on a mapping, number or boolean: Jinja2's
		// getitem gives Undefined (TypeError/LookupError), so a missing path.
		"Can't access an index on type",
	}
)

// body is a response body read once with gjson.
type body struct {
	valid bool // the body is JSON
	root  gjson.Result
}

func parseBody(b []byte) body {
	if len(b) == 0 || !gjson.ValidBytes(b) {
		return body{}
	}
	return body{valid: true, root: gjson.ParseBytes(b)}
}

// gonjaVars builds the mapper context of the contract.
func (m *Mapper) gonjaVars(b body, resp *Response, cvars, conversation map[string]any) map[string]any {
	vars := map[string]any{}
	var parsed any
	switch {
	case !b.valid:
	case m.whole:
		parsed = Decode(b.root)
		if obj, ok := parsed.(map[string]any); ok {
			for k, v := range obj {
				vars[k] = v
			}
		}
	case b.root.IsObject():
		// Only the keys the templates read: the first of duplicate keys,
		// as Decode would keep.
		for _, name := range m.names {
			if r := b.root.Get(gjson.Escape(name)); r.Exists() {
				vars[name] = Decode(r)
			}
		}
	}
	if cvars == nil {
		cvars = map[string]any{}
	}
	if conversation == nil {
		conversation = map[string]any{}
	}
	vars["cvars"] = cvars
	vars["conversation"] = conversation
	if m.whole {
		vars["response"] = map[string]any{
			"status_code": int64(resp.StatusCode),
			"headers":     lowerHeaders(resp.Header),
			"body":        parsed,
			"text":        string(resp.Body),
		}
	}
	return vars
}

// lowerHeaders gives each header once, by its lower-case name, its values
// joined with ", ". Names that differ only in case (possible in a Header
// built by hand) are merged in sorted order of the original names, so the
// result does not depend on map iteration order.
func lowerHeaders(h http.Header) map[string]any {
	out := make(map[string]any, len(h))
	names := make([]string, 0, len(h))
	for k := range h {
		names = append(names, k)
	}
	sort.Strings(names)
	merged := make(map[string][]string, len(h))
	for _, k := range names {
		lk := strings.ToLower(k)
		merged[lk] = append(merged[lk], h[k]...)
	}
	for k, vs := range merged {
		out[k] = strings.Join(vs, ", ")
	}
	return out
}

// Decode converts a gjson value to Go values as templates see them:
// objects are map[string]any (the first of duplicate keys wins), arrays
// []any, numbers int64, uint64 or float64 (see render.Number).
func Decode(r gjson.Result) any {
	switch r.Type {
	case gjson.String:
		return r.Str
	case gjson.Number:
		return render.Number(r.Raw)
	case gjson.True:
		return true
	case gjson.False:
		return false
	case gjson.Null:
		return nil
	case gjson.JSON:
		if r.IsArray() {
			out := []any{}
			r.ForEach(func(_, v gjson.Result) bool {
				out = append(out, Decode(v))
				return true
			})
			return out
		}
		out := map[string]any{}
		r.ForEach(func(k, v gjson.Result) bool {
			if _, dup := out[k.Str]; !dup {
				out[k.Str] = Decode(v)
			}
			return true
		})
		return out
	}
	return nil
}

// path is a plain attribute/index chain: a root name and components.
type path struct {
	root  string
	steps []step
}

type step struct {
	key   string
	index int
	isIdx bool
}

// notFastRoots are names a plain path may not start with: the context's
// own names other than response. gonja's globals (range, dict, ...) are
// found by asking the environment (isGlobal).
var notFastRoots = map[string]bool{
	"cvars": true, "conversation": true,
}

// isGlobal reports whether env resolves name with no variables at all
// (range, dict, namespace, ...). A body key of that name shadows the
// global on the gonja path, but when the key is absent gonja sees the
// global: the fast path cannot answer for such names.
func isGlobal(env *render.Env, n *nodes.Name) bool {
	_, err := env.Eval(n, map[string]any{}, true)
	return err == nil
}

// plainPath returns the path when expr is a plain attribute/index chain.
func plainPath(env *render.Env, expr nodes.Expression) *path {
	var steps []step
	for {
		switch n := expr.(type) {
		case *nodes.Name:
			if notFastRoots[n.Name.Val] || isGlobal(env, n) {
				return nil
			}
			for i, j := 0, len(steps)-1; i < j; i, j = i+1, j-1 {
				steps[i], steps[j] = steps[j], steps[i]
			}
			p := &path{root: n.Name.Val, steps: steps}
			if p.root == "response" && !p.responseShape() {
				return nil
			}
			return p
		case *nodes.GetAttribute:
			if n.Attribute != "" {
				steps = append(steps, step{key: n.Attribute})
			} else {
				if n.Index < 0 {
					return nil
				}
				steps = append(steps, step{index: n.Index, isIdx: true})
			}
			expr = n.Node
		case *nodes.GetItem:
			switch a := n.Arg.(type) {
			case *nodes.String:
				steps = append(steps, step{key: a.Val})
			case *nodes.Integer:
				if a.Val < 0 {
					return nil
				}
				steps = append(steps, step{index: a.Val, isIdx: true})
			default:
				return nil
			}
			expr = n.Node
		default:
			return nil
		}
	}
}

// responseShape accepts response.status_code and response.body[.path].
func (p *path) responseShape() bool {
	if len(p.steps) == 0 || p.steps[0].isIdx {
		return false
	}
	switch p.steps[0].key {
	case "status_code":
		return len(p.steps) == 1
	case "body":
		return true
	}
	return false
}

// outcome is what the fast path made of a path.
type outcome int

const (
	absent   outcome = iota // the path is missing: unmapped
	resolved                // the path has a value
	deferred                // the fast path cannot tell: ask gonja
)

func bool2outcome(found bool) outcome {
	if found {
		return resolved
	}
	return absent
}

// lookup resolves the path in the response as gonja would, or defers to
// gonja where the two would not agree trivially.
func (p *path) lookup(b body, resp *Response) (any, outcome) {
	steps := p.steps
	var cur gjson.Result
	if p.root == "response" {
		if steps[0].key == "status_code" {
			return int64(resp.StatusCode), resolved
		}
		if !b.valid {
			// response.body is None: None itself, or nothing under it.
			return nil, bool2outcome(len(steps) == 1)
		}
		cur, steps = b.root, steps[1:]
	} else {
		if !b.valid || !b.root.IsObject() {
			return nil, absent
		}
		cur = b.root.Get(gjson.Escape(p.root))
		if !cur.Exists() {
			return nil, absent
		}
	}
	for _, s := range steps {
		if s.isIdx {
			if cur.Type == gjson.String {
				// gonja indexes strings by byte (not by character, as
				// Jinja2 does); leave that to gonja rather than copy it.
				return nil, deferred
			}
			if !cur.IsArray() {
				return nil, absent
			}
			cur = cur.Get(strconv.Itoa(s.index))
		} else {
			if !cur.IsObject() {
				return nil, absent
			}
			cur = cur.Get(gjson.Escape(s.key))
		}
		if !cur.Exists() {
			return nil, absent
		}
	}
	return Decode(cur), resolved
}

// jsonValue converts a gonja value to a JSON-ready Go value.
func jsonValue(v *exec.Value) (any, error) {
	return goValue(v.Interface(), 0)
}
