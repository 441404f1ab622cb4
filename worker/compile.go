package worker

import (
	lru "github.com/hashicorp/golang-lru/v2"

	"github.com/hookworker/hookworker/internal/registry"
	"github.com/hookworker/hookworker/mapper"
	"github.com/hookworker/hookworker/render"
	"github.com/hookworker/hookworker/trigger"
	"github.com/hookworker/hookworker/trigger/webhook"
)

// program is a definition's templates compiled in one environment: the
// request, the mappers and the success statuses. A registry given Compile
// keeps one with each of its definitions.
type program struct {
	env    *render.Env
	req    *render.Webhook
	mapper *mapper.Mapper
	// success lists the statuses that count as success; nil means 2xx.
	success []webhook.StatusPattern
}

// compiled is a definition ready to run: its program and its retry policy
// (the worker's retry configuration under the definition's).
type compiled struct {
	*program
	policy policy
}

// compiledCacheSize bounds the compiled definitions kept.
const compiledCacheSize = 10_000

// compiledCache keeps compiled definitions by pointer, the least recently
// used forgotten first: the registry's (one per revision), and inline
// ones, which the trigger decoder shares between events with the same
// webhook text, so an inline webhook that comes with every event is
// compiled once.
type compiledCache = lru.Cache[*webhook.Definition, *compiled]

func newCompiledCache() *compiledCache {
	c, err := lru.New[*webhook.Definition, *compiled](compiledCacheSize)
	if err != nil {
		panic(err) // only for a size below 1
	}
	return c
}

// Compile is the compile function of a registry whose definitions a
// worker runs: it compiles a resolved definition's templates in env, and a
// worker whose Deps.Env is env runs them without compiling them again.
func Compile(env *render.Env) registry.Compiler {
	return func(def *webhook.Definition) (any, error) { return compileProgram(env, def) }
}

// compiledOf is def ready to run: from the cache, else from the program
// the registry compiled it to (prog, nil for an inline definition or
// another environment's), else compiled now (def may start from a Webhook
// Template), and cached under def. It reports whether templates were
// compiled.
func (w *Worker) compiledOf(def *webhook.Definition, prog any) (c *compiled, compiledNow bool, err error) {
	if c, ok := w.compiled.Get(def); ok {
		return c, false, nil
	}
	p, ok := prog.(*program)
	if !ok || p.env != w.env {
		full := def
		if def.Uses != "" {
			if full, err = w.market.Resolve(def); err != nil {
				return nil, true, fail(trigger.ClassRender, &render.Error{Webhook: def.ID, Field: "webhook", Err: err})
			}
		}
		if p, err = compileProgram(w.env, full); err != nil {
			return nil, true, fail(trigger.ClassRender, err)
		}
		compiledNow = true
	}
	c = &compiled{program: p, policy: newPolicy(w.cfg.Retry, p.req.Def.Retry)}
	w.compiled.Add(def, c)
	return c, compiledNow, nil
}

// compileProgram compiles a definition's request and mapper templates and
// its success statuses in env. Its other templates (parameters, rendered
// before each attempt) are compiled into env's template cache, where the
// render finds them. Errors are *render.Error naming the field.
func compileProgram(env *render.Env, def *webhook.Definition) (*program, error) {
	req, err := env.CompileWebhook(def)
	if err != nil {
		return nil, err
	}
	for _, t := range def.Templates() {
		if t.Section.IsRequest() || t.Section == webhook.SectionMapper {
			continue
		}
		if _, err := env.Compile(t.Source); err != nil {
			// The field as RenderParams names it.
			return nil, &render.Error{Webhook: def.ID, Field: "with." + t.Key, Err: err}
		}
	}
	m, err := mapper.Compile(env, def.CVars, mapper.Options{})
	if err != nil {
		return nil, &render.Error{Webhook: def.ID, Field: "cvars", Err: err}
	}
	p := &program{env: env, req: req, mapper: m}
	for _, s := range def.Success {
		sp, err := webhook.ParseStatusPattern(s, false)
		if err != nil {
			return nil, &render.Error{Webhook: def.ID, Field: "success", Err: err}
		}
		p.success = append(p.success, sp)
	}
	return p, nil
}

func (p *program) isSuccess(status int) bool {
	if len(p.success) == 0 {
		return status >= 200 && status < 300
	}
	for _, sp := range p.success {
		if sp.Match(status) {
			return true
		}
	}
	return false
}
