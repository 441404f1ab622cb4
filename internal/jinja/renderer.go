package jinja

import (
	"fmt"
	"slices"
	"strings"
)

// Context supplies a render's top-level variables.
type Context interface {
	// Lookup returns the variable name, or false when there is none.
	Lookup(name string) (Value, bool)
}

// Lookup makes a dict a Context: its string keys are the names.
func (d *Dict) Lookup(name string) (Value, bool) { return d.GetStr(name) }

// Renderer evaluates templates and expressions over one Context, within
// one budget shared by everything it evaluates (an event's condition, its
// request's templates, its mappers). It is not safe for concurrent use.
type Renderer struct {
	env    *Env
	ctx    Context
	budget budget

	out        *output
	frame      *frame // innermost scope
	top        *frame // the template's top level (for blocks)
	autoescape bool
	tpl        *Template // the template being rendered
	loop       *loopObj  // the innermost loop, for loop(...)
	caller     Value     // caller of the macro being run, if any
	undefined  []string  // names looked up and not found
	folding    bool      // evaluating constants at compile time (fold.go)
	// sliceFolded is set when folding sliced what a run would refuse.
	sliceFolded bool
}

// frame is one scope: the names bound in it, innermost last. captured
// says that something that may outlive the frame's run holds it or a
// scope inside it (a macro's closure, a caller, a filtered loop's
// test): a loop's scope is then not reused for its next turn.
type frame struct {
	parent   *frame
	names    []string
	vals     []Value
	captured bool
}

// capture marks f and the scopes around it as captured.
func (f *frame) capture() {
	for ; f != nil && !f.captured; f = f.parent {
		f.captured = true
	}
}

func (f *frame) get(name string) (Value, bool) {
	for ; f != nil; f = f.parent {
		for i := len(f.names) - 1; i >= 0; i-- {
			if f.names[i] == name {
				return f.vals[i], true
			}
		}
	}
	return Value{}, false
}

func (f *frame) set(name string, v Value) {
	for i, n := range f.names {
		if n == name {
			f.vals[i] = v
			return
		}
	}
	f.names = append(f.names, name)
	f.vals = append(f.vals, v)
}

// NewRenderer returns a renderer over ctx with a fresh budget.
func (e *Env) NewRenderer(ctx Context) *Renderer {
	r := &Renderer{}
	e.InitRenderer(r, ctx)
	return r
}

// InitRenderer makes *r what NewRenderer(ctx) returns, for a caller that
// allocates the renderer with something else (its context).
func (e *Env) InitRenderer(r *Renderer, ctx Context) {
	*r = Renderer{env: e, ctx: ctx}
	r.budget = budget{maxSteps: e.limits.MaxSteps, maxMem: e.limits.MaxMemory, maxCalls: e.limits.MaxCallDepth}
}

// Steps returns the steps the renderer has used.
func (r *Renderer) Steps() int64 { return r.budget.steps }

// lookup resolves a name: local scopes, then the context, then the
// globals.
func (r *Renderer) lookup(name string) Value {
	if v, ok := r.frame.get(name); ok {
		return v
	}
	if name == "self" && r.tpl != nil {
		return ObjectValue(&templateRef{tpl: r.tpl})
	}
	if r.ctx != nil {
		if v, ok := r.ctx.Lookup(name); ok {
			return v
		}
	}
	if v, ok := globals[name]; ok {
		return v
	}
	if len(r.undefined) < maxUndefinedNames && !slices.Contains(r.undefined, name) {
		r.undefined = append(r.undefined, name)
	}
	return undefinedName(name)
}

// maxUndefinedNames bounds the names UndefinedNames keeps.
const maxUndefinedNames = 64

// UndefinedNames returns the names looked up so far that were not
// defined anywhere (scope, context, globals), in the order first met, at
// most 64: for warnings such as `render --strict`. A name a template
// tests with `is defined` is listed too.
func (r *Renderer) UndefinedNames() []string { return r.undefined }

// output collects what a template writes.
type output struct {
	strings.Builder
	max     int  // main output: the output bound
	capture bool // a capture (set block, macro body): counts as memory
	pieces  int  // the writes so far, for messages
}

func (r *Renderer) write(s string) error {
	o := r.out
	if o.capture {
		if err := r.alloc(int64(len(s))); err != nil {
			return err
		}
	} else if o.Len()+len(s) > o.max {
		return &BoundError{What: "template output", Limit: int64(o.max), Unit: "bytes", Key: KeyOutput}
	}
	o.WriteString(s)
	o.pieces++
	return nil
}

// capture runs fn with output going to a new buffer and returns it.
func (r *Renderer) capture(fn func() error) (string, error) {
	saved := r.out
	r.out = &output{capture: true}
	err := fn()
	s := r.out.String()
	r.out = saved
	return s, err
}

// renderState is what one Render starts with.
type renderState struct {
	out output
	top frame
}

// Render renders t with the renderer's context.
func (r *Renderer) Render(t *Template) (out string, err error) {
	if t.static {
		return t.text, nil
	}
	defer r.recover(&err)
	// The output and the top frame in one allocation, fresh for each
	// render (a macro keeps the frame it was defined in).
	st := &renderState{out: output{max: r.env.limits.MaxOutput}}
	// Room for about the template's size: most outputs are near it.
	st.out.Grow(min(len(t.src), st.out.max))
	r.out, r.top = &st.out, &st.top
	r.frame = r.top
	r.tpl = t
	r.autoescape = false
	if err := r.execNodes(t.root.Nodes); err != nil {
		return "", err
	}
	return r.out.String(), nil
}

// Eval evaluates a compiled expression.
func (r *Renderer) Eval(x *Expr) (v Value, err error) {
	defer r.recover(&err)
	r.top = &frame{}
	r.frame = r.top
	r.autoescape = false
	return r.eval(x.expr)
}

// EvalTemplate evaluates a template that is exactly one {{ expression }}
// (see Template.Expression) and returns the value.
func (r *Renderer) EvalTemplate(t *Template) (v Value, err error) {
	if t.expr == nil {
		return Value{}, fmt.Errorf("template is not a single expression")
	}
	defer r.recover(&err)
	r.top = &frame{}
	r.frame = r.top
	r.autoescape = false
	r.tpl = t
	return r.eval(t.expr)
}

// recover turns a panic into an error: a last resort, never relied on.
func (r *Renderer) recover(err *error) {
	if p := recover(); p != nil {
		*err = &Error{Kind: RuntimeError, Msg: fmt.Sprintf("internal error in the template engine: %v", p)}
	}
}
