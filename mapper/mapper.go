package mapper

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/hookworker/hookworker/internal/jinja"
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
	// CVars holds the CVars the mappers set: nil, bool, string,
	// json.Number (ints exact, floats as Python prints them), []any or
	// map[string]any.
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

// ErrResponseTooDeep is a JSON response nested deeper than MaxBodyDepth:
// the worker fails such an event as too_large.
var ErrResponseTooDeep = errors.New("response body nested too deeply")

// IsBound reports whether err is a bound of the template engine exceeded
// (render.max_memory, max_steps, ...): the worker fails such an event as
// render, wherever the template is.
func IsBound(err error) bool { return jinja.IsBound(err) }

// MaxBodyDepth bounds the nesting of a JSON response body the mappers
// read (checked before anything deeper is decoded).
const MaxBodyDepth = 128

// Engine is what a Mapper compiles with: render.Env shares its engine.
type Engine interface {
	Engine() *jinja.Env
}

// Mapper is a compiled Response Mapper.
type Mapper struct {
	env     *jinja.Env
	entries []entry
	// names are the names the mappers read: the context builds only
	// those (a body's other top-level keys are checked, not decoded).
	names map[string]bool
	// body is what the mappers can read of a JSON body, through its
	// top-level keys and response.body: the decoder builds only that.
	body *jinja.Uses
}

type entry struct {
	name string
	tpl  *jinja.Template
}

// Options tune compilation. (There are none left: every mapper is
// evaluated by the engine.)
type Options struct {
	// NoFastPath is kept for callers of the former gjson fast path; it
	// changes nothing.
	NoFastPath bool
}

// Compile compiles mappings. Errors name the CVar.
func Compile(env Engine, mappings []webhook.Mapping, _ Options) (*Mapper, error) {
	m := &Mapper{env: env.Engine(), entries: make([]entry, 0, len(mappings))}
	for _, mp := range mappings {
		tpl, err := m.env.Compile(mp.Mapper)
		if err == nil {
			// {{ ... }} alone must be one expression.
			err = tpl.ExpressionError()
		}
		if err != nil {
			return nil, &Error{CVar: mp.Name, Err: err}
		}
		m.entries = append(m.entries, entry{name: mp.Name, tpl: tpl})
	}
	m.names = map[string]bool{}
	for _, e := range m.entries {
		for _, n := range e.tpl.Names() {
			m.names[n] = true
		}
	}
	m.body = &jinja.Uses{}
	for _, e := range m.entries {
		u := e.tpl.Uses()
		m.body.Merge(u) // a top-level name is a body key
		if resp := u.Members["response"]; resp != nil {
			if b := resp.Member("body"); b != nil {
				m.body.Merge(b)
			}
		}
	}
	return m, nil
}

// Reads reports whether a mapper reads the top-level name (such as
// conversation: a caller need not build what no mapper reads).
func (m *Mapper) Reads(name string) bool { return m.names[name] }

// Apply maps resp. cvars and conversation are the event's (nil is fine);
// the mappers of one response share one budget.
func (m *Mapper) Apply(resp *Response, cvars, conversation map[string]any) (Output, error) {
	out := Output{CVars: make(map[string]any, len(m.entries)), Unmapped: []string{}}
	if len(m.entries) == 0 {
		return out, nil
	}
	ctx := &context{}
	r := &ctx.r
	m.env.InitRenderer(r, ctx)
	if err := m.context(r, ctx, resp, cvars, conversation); err != nil {
		return Output{}, &Error{CVar: m.entries[0].name, Err: err}
	}
	for _, e := range m.entries {
		v, found, err := apply(r, e.tpl)
		if err != nil {
			return Output{}, &Error{CVar: e.name, Err: err}
		}
		if !found {
			out.Unmapped = append(out.Unmapped, e.name)
			continue
		}
		out.CVars[e.name] = v
	}
	return out, nil
}

// apply evaluates one mapper: the JSON value of a single expression, else
// the rendered text; an Undefined result or an UndefinedError is a missing
// path.
func apply(r *jinja.Renderer, t *jinja.Template) (any, bool, error) {
	if !t.IsExpression() {
		s, err := r.Render(t)
		if jinja.IsUndefinedError(err) {
			return nil, false, nil
		}
		return s, err == nil, err
	}
	v, err := r.EvalTemplate(t)
	switch {
	case jinja.IsUndefinedError(err):
		return nil, false, nil
	case err != nil:
		return nil, false, err
	case v.IsUndefined():
		return nil, false, nil
	}
	x, err := jinja.ToJSON(v)
	if err != nil {
		return nil, false, fmt.Errorf("the value is not JSON: %w", err)
	}
	return x, true, nil
}

// context is the mapper context of the contract: the top-level keys of a
// JSON object body, then response (status_code, headers with lower-case
// names, body parsed or None, text), cvars and conversation, which win
// over body keys of the same names. Only what the mappers name is built.
type context struct {
	body *jinja.Dict // the body's keys the mappers read; nil unless an object
	// response, cvars and conversation, where has says so.
	response, cvars, conversation jinja.Value
	has                           uint8
	r                             jinja.Renderer // the mappers' renderer, allocated with its context
}

const (
	hasResponse = 1 << iota
	hasCVars
	hasConversation
)

// Lookup resolves a top-level name.
func (c *context) Lookup(name string) (jinja.Value, bool) {
	switch {
	case name == "response" && c.has&hasResponse != 0:
		return c.response, true
	case name == "cvars" && c.has&hasCVars != 0:
		return c.cvars, true
	case name == "conversation" && c.has&hasConversation != 0:
		return c.conversation, true
	case c.body != nil:
		return c.body.GetStr(name)
	}
	return jinja.Value{}, false
}

// context builds ctx for resp.
func (m *Mapper) context(r *jinja.Renderer, ctx *context, resp *Response, cvars, conversation map[string]any) error {
	body := jinja.None
	if len(resp.Body) > 0 {
		v, err := r.DecodeJSONUses(string(resp.Body), MaxBodyDepth, m.body)
		switch {
		case err == nil:
			body = v
		case jinja.IsBound(err):
			return err
		case isDepthError(err):
			return fmt.Errorf("%w (more than %d levels)", ErrResponseTooDeep, MaxBodyDepth)
		}
	}
	ctx.body = body.Dict()
	if m.names["response"] {
		response := jinja.NewDict(4)
		response.SetStr("status_code", jinja.Int(int64(resp.StatusCode)))
		response.SetStr("headers", jinja.DictValue(lowerHeaders(resp.Header)))
		response.SetStr("body", body)
		response.SetStr("text", jinja.String(string(resp.Body)))
		ctx.response, ctx.has = jinja.DictValue(response), ctx.has|hasResponse
	}
	for _, g := range [...]struct {
		name string
		x    map[string]any
		v    *jinja.Value
		has  uint8
	}{{"cvars", cvars, &ctx.cvars, hasCVars}, {"conversation", conversation, &ctx.conversation, hasConversation}} {
		if !m.names[g.name] {
			continue // not read by any mapper
		}
		if g.x == nil {
			g.x = map[string]any{}
		}
		v, err := jinja.FromGo(g.x, MaxBodyDepth)
		if err != nil {
			return fmt.Errorf("%s: %w", g.name, err)
		}
		*g.v, ctx.has = v, ctx.has|g.has
	}
	return nil
}

// isDepthError reports a JSON document nested past the bound.
func isDepthError(err error) bool {
	var je *jinja.JSONError
	return errors.As(err, &je) && je.Depth
}

// lowerHeaders gives each header once, by its lower-case name, its values
// joined with ", ". Names that differ only in case (possible in a Header
// built by hand) are merged in sorted order of the original names, so the
// result does not depend on map iteration order.
func lowerHeaders(h http.Header) *jinja.Dict {
	names := make([]string, 0, len(h))
	for k := range h {
		names = append(names, k)
	}
	slices.Sort(names)
	merged := make(map[string][]string, len(h))
	var order []string
	for _, k := range names {
		lk := strings.ToLower(k)
		if _, ok := merged[lk]; !ok {
			order = append(order, lk)
		}
		merged[lk] = append(merged[lk], h[k]...)
	}
	out := jinja.NewDict(len(order))
	for _, k := range order {
		out.SetStr(k, jinja.String(strings.Join(merged[k], ", ")))
	}
	return out
}
