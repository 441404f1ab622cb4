package render

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/nikolalohinski/gonja/v2/builtins"
	"github.com/nikolalohinski/gonja/v2/config"
	"github.com/nikolalohinski/gonja/v2/exec"
	"github.com/nikolalohinski/gonja/v2/loaders"
	"github.com/nikolalohinski/gonja/v2/logging"
	"github.com/nikolalohinski/gonja/v2/nodes"
	"github.com/nikolalohinski/gonja/v2/parser"
)

// Limits bound what one template may cost.
type Limits struct {
	// MaxTemplateSize is the largest template source accepted, in bytes.
	MaxTemplateSize int
	// MaxOutput is the largest output of one render, in bytes.
	MaxOutput int
	// MaxRange is the most items one call of range() may produce.
	MaxRange int
	// MaxCacheEntries bounds the compiled-template cache; when full, it is
	// emptied and starts again.
	MaxCacheEntries int
	// MaxRenderTime bounds one render: it is checked each time a loop
	// starts and as output is written.
	MaxRenderTime time.Duration
}

// DefaultLimits are the limits used when a field of Limits is zero.
var DefaultLimits = Limits{
	MaxTemplateSize: 64 << 10,
	MaxOutput:       1 << 20,
	MaxRange:        10_000,
	MaxCacheEntries: 10_000,
	MaxRenderTime:   250 * time.Millisecond,
}

// Errors a render can fail with, matched with errors.Is.
var (
	ErrOutputLimit   = errors.New("output over the size limit")
	ErrTemplateLimit = errors.New("template over the size limit")
	ErrPanic         = errors.New("template evaluation panicked")
	ErrTimeLimit     = errors.New("render over the time limit")
)

// Env is a sandboxed Jinja environment with a compiled-template cache.
type Env struct {
	limits Limits
	cfg    *config.Config
	env    *exec.Environment
	loader loaders.Loader

	globals map[string]any

	mu    sync.RWMutex
	cache map[string]*Template
	exprs map[string]*Expr
}

// allowedStatements are the statements a template may use: everything but
// include, import, from and extends, which read other templates, and macro
// and call, whose unbounded recursion overflows the stack (a crash no
// recover can catch).
var allowedStatements = []string{
	"autoescape", "block", "filter", "for", "if", "raw", "set",
	"with", "do", "break", "continue",
}

// NewEnv builds a sandboxed environment. Zero fields of limits take
// DefaultLimits.
func NewEnv(limits Limits) *Env {
	logging.SetEnabled(false) // gonja logs through logrus otherwise
	if limits.MaxTemplateSize <= 0 {
		limits.MaxTemplateSize = DefaultLimits.MaxTemplateSize
	}
	if limits.MaxOutput <= 0 {
		limits.MaxOutput = DefaultLimits.MaxOutput
	}
	if limits.MaxRange <= 0 {
		limits.MaxRange = DefaultLimits.MaxRange
	}
	if limits.MaxCacheEntries <= 0 {
		limits.MaxCacheEntries = DefaultLimits.MaxCacheEntries
	}
	if limits.MaxRenderTime <= 0 {
		limits.MaxRenderTime = DefaultLimits.MaxRenderTime
	}
	statements := make(map[string]parser.ControlStructureParser, len(allowedStatements))
	for _, name := range allowedStatements {
		if p, ok := builtins.ControlStructures.Get(name); ok {
			statements[name] = p
		}
	}
	statements["for"] = boundedFor(statements["for"])
	globals := map[string]any{}
	for _, name := range []string{"cycler", "dict", "joiner", "namespace"} {
		if v, ok := builtins.GlobalFunctions.Get(name); ok {
			globals[name] = v
		}
	}
	globals["range"] = cappedRange(limits.MaxRange)
	filters := exec.NewFilterSet(map[string]exec.FilterFunction{})
	filters.Update(builtins.Filters)
	tests := exec.NewTestSet(map[string]exec.TestFunction{})
	tests.Update(builtins.Tests)
	e := &Env{
		limits: limits,
		cfg:    config.New(),
		env: &exec.Environment{
			Context:           exec.NewContext(globals),
			Filters:           filters,
			Tests:             tests,
			ControlStructures: exec.NewControlStructureSet(statements),
			Methods:           parityMethods(builtins.Methods),
		},
		loader:  refusingLoader{},
		globals: globals,
		cache:   map[string]*Template{},
		exprs:   map[string]*Expr{},
	}
	installParityFilters(filters)
	for name, fn := range operatorFilters(limits.MaxOutput) {
		_ = filters.Register(name, fn)
	}
	capWidths(filters, limits.MaxOutput)
	return e
}

// cappedRange replaces gonja's range, which streams through a goroutine
// with no bound, by one that returns a list of at most max items.
func cappedRange(max int) func(*exec.Evaluator, *exec.VarArgs) ([]int, error) {
	return func(_ *exec.Evaluator, params *exec.VarArgs) ([]int, error) {
		start, stop, step := 0, 0, 1
		ints := make([]int, len(params.Args))
		for i, a := range params.Args {
			if !a.IsInteger() {
				return nil, errors.New("range: arguments must be integers")
			}
			ints[i] = a.Integer()
		}
		switch len(ints) {
		case 1:
			stop = ints[0]
		case 2:
			start, stop = ints[0], ints[1]
		case 3:
			start, stop, step = ints[0], ints[1], ints[2]
		default:
			return nil, errors.New("range: expected [start, ]stop[, step]")
		}
		if step == 0 {
			return nil, errors.New("range: step cannot be 0")
		}
		n := 0
		if step > 0 && stop > start {
			n = (stop - start + step - 1) / step
		} else if step < 0 && start > stop {
			n = (start - stop - step - 1) / -step
		}
		if n > max {
			return nil, fmt.Errorf("range: %d items, over the limit of %d", n, max)
		}
		out := make([]int, n)
		for i := range out {
			out[i] = start + i*step
		}
		return out, nil
	}
}

// refusingLoader serves no template: the sandbox has no files.
type refusingLoader struct{}

func (refusingLoader) Read(path string) (io.Reader, error) {
	return nil, fmt.Errorf("templates cannot load %q: include, import and extends are not allowed", path)
}
func (refusingLoader) Resolve(path string) (string, error) {
	return "", fmt.Errorf("templates cannot load %q", path)
}
func (l refusingLoader) Inherit(string) (loaders.Loader, error) { return l, nil }

// sourceLoader hands one source to exec.NewTemplate and nothing else.
type sourceLoader struct{ src string }

func (l sourceLoader) Read(path string) (io.Reader, error) {
	if path == sourceID {
		return strings.NewReader(l.src), nil
	}
	return refusingLoader{}.Read(path)
}
func (l sourceLoader) Resolve(path string) (string, error) {
	if path == sourceID {
		return path, nil
	}
	return refusingLoader{}.Resolve(path)
}
func (l sourceLoader) Inherit(string) (loaders.Loader, error) { return refusingLoader{}, nil }

const sourceID = "template"

// Template is a compiled template.
type Template struct {
	env    *Env
	src    string
	static bool // no Jinja syntax: the output is the source itself
	out    string
	tpl    *exec.Template
	expr   nodes.Expression // set when the source is exactly one {{ expression }}
	// fast, when set, renders without gonja's renderer (see fastPlan).
	fast []fastPart

	namesOnce sync.Once
	names     []string
}

// Source returns the template's source.
func (t *Template) Source() string { return t.src }

// Static reports whether the template has no Jinja syntax.
func (t *Template) Static() bool { return t.static }

// Expression returns the expression when the template is exactly one
// {{ expression }} (surrounding white space allowed), else nil.
func (t *Template) Expression() nodes.Expression { return t.expr }

// Compile compiles src, or returns it from the cache.
func (e *Env) Compile(src string) (*Template, error) {
	e.mu.RLock()
	t, ok := e.cache[src]
	e.mu.RUnlock()
	if ok {
		return t, nil
	}
	t, err := e.compile(src)
	if err != nil {
		return nil, err
	}
	e.mu.Lock()
	if len(e.cache) >= e.limits.MaxCacheEntries {
		e.cache = map[string]*Template{}
	}
	e.cache[src] = t
	e.mu.Unlock()
	return t, nil
}

// CacheLen returns the number of cached templates.
func (e *Env) CacheLen() int {
	e.mu.RLock()
	defer e.mu.RUnlock()
	return len(e.cache)
}

func (e *Env) compile(src string) (t *Template, err error) {
	if len(src) > e.limits.MaxTemplateSize {
		return nil, fmt.Errorf("%w: %d bytes, limit %d", ErrTemplateLimit, len(src), e.limits.MaxTemplateSize)
	}
	if !strings.Contains(src, "{{") && !strings.Contains(src, "{%") && !strings.Contains(src, "{#") {
		// Jinja2 normalises newlines and drops one trailing newline
		// (keep_trailing_newline=False).
		out := strings.NewReplacer("\r\n", "\n", "\r", "\n").Replace(src)
		out = strings.TrimSuffix(out, "\n")
		return &Template{env: e, src: src, static: true, out: out}, nil
	}
	defer func() {
		if r := recover(); r != nil {
			t, err = nil, fmt.Errorf("%w while parsing: %v", ErrPanic, r)
		}
	}()
	tpl, err := exec.NewTemplate(sourceID, e.cfg, sourceLoader{src}, e.env)
	if err != nil {
		return nil, cleanParseError(err, src)
	}
	if err := e.checkNames(tpl.Root()); err != nil {
		return nil, err
	}
	guardOperators(tpl.Root())
	t = &Template{env: e, src: src, tpl: tpl}
	root := tpl.Root()
	var outputs []*nodes.Output
	blank := true
	for _, n := range root.Nodes {
		switch n := n.(type) {
		case *nodes.Output:
			outputs = append(outputs, n)
		case *nodes.Data:
			if strings.TrimSpace(n.Data.Val) != "" {
				blank = false
			}
		default:
			blank = false
		}
	}
	if blank && len(outputs) == 1 && outputs[0].Condition == nil {
		t.expr = outputs[0].Expression
	}
	t.fast = fastPlan(root, e.cfg.AutoEscape)
	return t, nil
}

// cleanParseError drops gonja's echo of the whole source from parse errors.
func cleanParseError(err error, src string) error {
	msg := err.Error()
	msg = strings.Replace(msg, "failed to parse template '"+src+"': ", "", 1)
	for _, name := range []string{"include", "import", "from", "extends"} {
		if strings.Contains(msg, "ControlStructure '"+name+"' not found") {
			return fmt.Errorf("parse: %q is not allowed: templates run sandboxed, with no access to files", name)
		}
	}
	for _, name := range []string{"macro", "call"} {
		if strings.Contains(msg, "ControlStructure '"+name+"' not found") {
			return fmt.Errorf("parse: %q is not allowed: templates run sandboxed, and macros could recurse without bound", name)
		}
	}
	return errors.New("parse: " + msg)
}

// Render renders t with vars.
func (t *Template) Render(vars map[string]any) (string, error) {
	if t.static {
		return t.out, nil
	}
	if t.fast != nil {
		if out, ok := t.renderFast(vars); ok {
			return out, nil
		}
	}
	return t.render(t.env.renderEnv(vars))
}

// RenderVars renders t with a request's variables, sharing their context
// with the request's other renders.
func (t *Template) RenderVars(v *Vars) (string, error) {
	if t.static {
		return t.out, nil
	}
	if t.fast != nil {
		if out, ok := t.renderFast(v.m); ok {
			return out, nil
		}
	}
	if v.ctx == nil {
		v.ctx = t.env.env.Context.Inherit().Update(exec.NewContext(v.m))
	}
	return t.render(t.env.envWith(v.ctx.Inherit()))
}

func (t *Template) render(env *exec.Environment) (string, error) {
	w := &limitedWriter{max: t.env.limits.MaxOutput, budget: newBudget(t.env.limits.MaxRenderTime)}
	if err := t.exec(w, env); err != nil {
		return "", err
	}
	return w.String(), nil
}

func (t *Template) exec(w *limitedWriter, env *exec.Environment) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%w: %v", ErrPanic, r)
		}
	}()
	env.Context.Set(budgetKey, w.budget)
	r := exec.NewRenderer(env, w, t.env.cfg, t.env.loader, t.tpl)
	if err := r.Execute(); err != nil {
		// gonja wraps errors in values that do not unwrap: match the text
		// too.
		if errors.Is(err, ErrOutputLimit) || strings.Contains(err.Error(), ErrOutputLimit.Error()) {
			return fmt.Errorf("%w (%d bytes)", ErrOutputLimit, t.env.limits.MaxOutput)
		}
		if errors.Is(err, ErrTimeLimit) {
			return fmt.Errorf("%w (%s)", ErrTimeLimit, t.env.limits.MaxRenderTime)
		}
		return cleanExecError(err)
	}
	return nil
}

// cleanExecError shortens gonja's nested error chains.
func cleanExecError(err error) error {
	msg := cleanGoValues(cleanOperatorErrors(err.Error()))
	msg = strings.TrimPrefix(msg, "unable to execute template: ")
	return errors.New(msg)
}

// renderEnv gives one render its own context: the caller's vars over the
// environment's globals. The vars map is not modified.
func (e *Env) renderEnv(vars map[string]any) *exec.Environment {
	return e.envWith(e.env.Context.Inherit().Update(exec.NewContext(vars)))
}

// envWith is the environment of one render over ctx.
func (e *Env) envWith(ctx *exec.Context) *exec.Environment {
	return &exec.Environment{
		Context:           ctx,
		Filters:           e.env.Filters,
		Tests:             e.env.Tests,
		ControlStructures: e.env.ControlStructures,
		Methods:           e.env.Methods,
	}
}

// limitedWriter collects output up to max bytes, within the render's
// time budget.
type limitedWriter struct {
	strings.Builder
	max    int
	budget *budget
	writes int
}

func (w *limitedWriter) Write(p []byte) (int, error) {
	return w.WriteString(string(p))
}

func (w *limitedWriter) WriteString(s string) (int, error) {
	if w.Len()+len(s) > w.max {
		return 0, ErrOutputLimit
	}
	if w.writes++; w.writes%64 == 0 {
		if err := w.budget.check(); err != nil {
			return 0, err
		}
	}
	return w.Builder.WriteString(s)
}

// budgetKey names the render's budget in its context.
const budgetKey = "__hookworker_budget"

// budget is one render's time allowance.
type budget struct{ deadline time.Time }

func newBudget(d time.Duration) *budget { return &budget{deadline: time.Now().Add(d)} }

func (b *budget) check() error {
	if b != nil && time.Now().After(b.deadline) {
		return ErrTimeLimit
	}
	return nil
}

// String keeps the budget opaque to templates.
func (b *budget) String() string { return "" }

// boundedFor wraps the for statement so that every loop, nested ones at
// each turn of their outer loop, checks the render's time budget before it
// runs.
func boundedFor(p parser.ControlStructureParser) parser.ControlStructureParser {
	return func(pp *parser.Parser, args *parser.Parser) (nodes.ControlStructure, error) {
		cs, err := p(pp, args)
		if err != nil {
			return nil, err
		}
		inner, ok := cs.(exec.ControlStructure)
		if !ok {
			return cs, nil
		}
		return &timedLoop{inner}, nil
	}
}

type timedLoop struct{ exec.ControlStructure }

func (l *timedLoop) Execute(r *exec.Renderer, tag *nodes.ControlStructureBlock) error {
	if v, ok := r.Environment.Context.Get(budgetKey); ok {
		if b, ok := v.(*budget); ok {
			if err := b.check(); err != nil {
				return err
			}
		}
	}
	return l.ControlStructure.Execute(r, tag)
}

// Expr is a compiled Jinja expression, such as a condition.
type Expr struct {
	env  *Env
	src  string
	expr nodes.Expression
}

// CompileExpr compiles a bare expression ("cvars.age > 18"), cached.
func (e *Env) CompileExpr(src string) (*Expr, error) {
	e.mu.RLock()
	x, ok := e.exprs[src]
	e.mu.RUnlock()
	if ok {
		return x, nil
	}
	if strings.TrimSpace(src) == "" {
		return nil, errors.New("empty expression")
	}
	if strings.Contains(src, "}}") || strings.Contains(src, "{%") {
		return nil, errors.New("an expression is written without {{ }} or {% %}")
	}
	t, err := e.compile("{{ " + src + " }}")
	if err != nil {
		return nil, err
	}
	if t.expr == nil {
		return nil, fmt.Errorf("%q is not a single expression", src)
	}
	x = &Expr{env: e, src: src, expr: t.expr}
	e.mu.Lock()
	if len(e.exprs) >= e.limits.MaxCacheEntries {
		e.exprs = map[string]*Expr{}
	}
	e.exprs[src] = x
	e.mu.Unlock()
	return x, nil
}

// Eval evaluates the expression over vars.
func (x *Expr) Eval(vars map[string]any) (*exec.Value, error) {
	return x.env.Eval(x.expr, vars, false)
}

// True evaluates the expression and applies Jinja truthiness.
func (x *Expr) True(vars map[string]any) (bool, error) {
	v, err := x.Eval(vars)
	if err != nil {
		return false, err
	}
	return v.IsTrue(), nil
}

// Eval evaluates a parsed expression over vars. With strict set, a
// missing name, attribute or item is an error instead of None.
func (e *Env) Eval(expr nodes.Expression, vars map[string]any, strict bool) (v *exec.Value, err error) {
	defer func() {
		if r := recover(); r != nil {
			v, err = nil, fmt.Errorf("%w: %v", ErrPanic, r)
		}
	}()
	cfg := e.cfg
	if strict {
		cfg = e.cfg.Inherit()
		cfg.StrictUndefined = true
	}
	ev := &exec.Evaluator{Config: cfg, Environment: e.renderEnv(vars), Loader: e.loader}
	v = ev.Eval(expr)
	if v.IsError() {
		if strings.Contains(v.Error(), ErrOutputLimit.Error()) {
			return nil, ErrOutputLimit
		}
		return nil, errors.New(cleanOperatorErrors(v.Error()))
	}
	return v, nil
}
