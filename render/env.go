package render

import (
	"errors"
	"strings"

	"github.com/hookworker/hookworker/internal/jinja"
)

// Limits bound what one render may cost. Each is a key of the render
// section of the configuration, which its error names when exceeded.
type Limits struct {
	// MaxTemplateSize is the largest template source accepted, in bytes
	// (render.max_template_size).
	MaxTemplateSize int
	// MaxDepth bounds the nesting of a template (render.max_depth).
	MaxDepth int
	// MaxOutput is the largest output of one template, in bytes
	// (render.max_output).
	MaxOutput int
	// MaxMemory bounds the bytes of the values one render builds,
	// counted before each is built (render.max_memory).
	MaxMemory int64
	// MaxSteps bounds the work of one render, a deterministic count of
	// expression nodes, loop turns and items handled (render.max_steps).
	MaxSteps int64
	// MaxCallDepth bounds macro calls and recursive loops inside one
	// another (render.max_call_depth).
	MaxCallDepth int
	// MaxCacheEntries bounds the compiled-template cache.
	MaxCacheEntries int
}

// DefaultLimits are the limits used when a field of Limits is zero.
var DefaultLimits = Limits{
	MaxTemplateSize: jinja.DefaultLimits.MaxTemplateSize,
	MaxDepth:        jinja.DefaultLimits.MaxDepth,
	MaxOutput:       jinja.DefaultLimits.MaxOutput,
	MaxMemory:       jinja.DefaultLimits.MaxMemory,
	MaxSteps:        jinja.DefaultLimits.MaxSteps,
	MaxCallDepth:    jinja.DefaultLimits.MaxCallDepth,
	MaxCacheEntries: jinja.DefaultLimits.MaxCacheEntries,
}

// Env compiles templates (internal/jinja, Jinja2's semantics) and caches
// them by source. It is safe for concurrent use.
type Env struct {
	j *jinja.Env
}

// NewEnv builds an environment; zero fields of limits take DefaultLimits.
func NewEnv(limits Limits) *Env {
	return &Env{j: jinja.NewEnv(jinja.Limits{
		MaxTemplateSize: limits.MaxTemplateSize,
		MaxDepth:        limits.MaxDepth,
		MaxOutput:       limits.MaxOutput,
		MaxMemory:       limits.MaxMemory,
		MaxSteps:        limits.MaxSteps,
		MaxCallDepth:    limits.MaxCallDepth,
		MaxCacheEntries: limits.MaxCacheEntries,
	})}
}

// Engine returns the template engine, which the mapper shares.
func (e *Env) Engine() *jinja.Env { return e.j }

// CacheLen returns the number of cached templates and expressions.
func (e *Env) CacheLen() int { return e.j.CacheLen() }

// Template is a compiled template.
type Template struct {
	t   *jinja.Template
	env *Env
}

// Compile compiles src, or returns it from the cache.
func (e *Env) Compile(src string) (*Template, error) {
	t, err := e.j.Compile(src)
	if err != nil {
		return nil, err
	}
	return &Template{t: t, env: e}, nil
}

// Source returns the template's source.
func (t *Template) Source() string { return t.t.Source() }

// Static reports whether the template has no Jinja syntax.
func (t *Template) Static() bool { return t.t.Static() }

// Names returns the names the template reads, sorted (a superset: names
// it binds itself, such as loop variables, are included).
func (t *Template) Names() []string { return t.t.Names() }

// Jinja returns the compiled template.
func (t *Template) Jinja() *jinja.Template { return t.t }

// Render renders t over vars (Go values as encoding/json decodes them;
// maps are read in sorted key order).
func (t *Template) Render(vars map[string]any) (string, error) {
	if t.t.Static() {
		return t.t.Text(), nil
	}
	ctx, err := jinja.FromGo(vars, 0)
	if err != nil {
		return "", err
	}
	return t.env.j.NewRenderer(ctx.Dict()).Render(t.t)
}

// RenderVars renders t over a request's variables.
func (t *Template) RenderVars(v *Vars) (string, error) {
	if t.t.Static() {
		return t.t.Text(), nil
	}
	r, err := v.renderer(t.env)
	if err != nil {
		return "", err
	}
	s, err := r.Render(t.t)
	if err == nil {
		err = v.contextErr()
	}
	return s, err
}

// Expr is a compiled Jinja expression, such as a condition.
type Expr struct {
	x   *jinja.Expr
	env *Env
}

// CompileExpr compiles a bare expression ("cvars.age > 18"), cached.
func (e *Env) CompileExpr(src string) (*Expr, error) {
	if strings.TrimSpace(src) == "" {
		return nil, errors.New("empty expression")
	}
	x, err := e.j.CompileExpr(src)
	if err != nil {
		return nil, err
	}
	return &Expr{x: x, env: e}, nil
}

// Eval evaluates the expression over vars.
func (x *Expr) Eval(vars map[string]any) (jinja.Value, error) {
	ctx, err := jinja.FromGo(vars, 0)
	if err != nil {
		return jinja.Value{}, err
	}
	return x.env.j.NewRenderer(ctx.Dict()).Eval(x.x)
}

// True evaluates the expression and applies Jinja truthiness (an
// Undefined is false).
func (x *Expr) True(vars map[string]any) (bool, error) {
	v, err := x.Eval(vars)
	if err != nil {
		return false, err
	}
	return v.Truth(), nil
}

// EvalVars evaluates the expression over a request's variables, with the
// renderer (and budget) of its templates.
func (x *Expr) EvalVars(v *Vars) (jinja.Value, error) {
	r, err := v.renderer(x.env)
	if err != nil {
		return jinja.Value{}, err
	}
	val, err := r.Eval(x.x)
	if err == nil {
		err = v.contextErr()
	}
	return val, err
}

// TrueVars is EvalVars with Jinja truthiness (an Undefined is false): an
// event's condition, in the context its request is rendered in.
func (x *Expr) TrueVars(v *Vars) (bool, error) {
	val, err := x.EvalVars(v)
	if err != nil {
		return false, err
	}
	return val.Truth(), nil
}
