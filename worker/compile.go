package worker

import (
	lru "github.com/hashicorp/golang-lru/v2"

	"github.com/hookworker/hookworker/mapper"
	"github.com/hookworker/hookworker/render"
	"github.com/hookworker/hookworker/trigger"
	"github.com/hookworker/hookworker/trigger/webhook"
)

// compiled is a definition ready to run.
type compiled struct {
	req    *render.Webhook
	mapper *mapper.Mapper
	// success lists the statuses that count as success; nil means 2xx.
	success []webhook.StatusPattern
	policy  policy
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

// compileDefinition compiles def, which may start from a Webhook Template,
// and caches it under def.
func (w *Worker) compileDefinition(def *webhook.Definition) (*compiled, error) {
	full := def
	if def.Uses != "" {
		resolved, err := w.market.Resolve(def)
		if err != nil {
			return nil, fail(trigger.ClassRender, &render.Error{Webhook: def.ID, Field: "webhook", Err: err})
		}
		full = resolved
	}
	c, err := w.compile(full)
	if err != nil {
		return nil, err
	}
	w.compiled.Add(def, c)
	return c, nil
}

// compile compiles a definition's request and mapper templates.
func (w *Worker) compile(def *webhook.Definition) (*compiled, error) {
	req, err := w.env.CompileWebhook(def)
	if err != nil {
		return nil, fail(trigger.ClassRender, err)
	}
	m, err := mapper.Compile(w.env, def.CVars, mapper.Options{})
	if err != nil {
		return nil, fail(trigger.ClassRender, &render.Error{Webhook: def.ID, Field: "cvars", Err: err})
	}
	c := &compiled{req: req, mapper: m, policy: newPolicy(w.cfg.Retry, def.Retry)}
	for _, s := range def.Success {
		p, err := webhook.ParseStatusPattern(s, false)
		if err != nil {
			return nil, fail(trigger.ClassRender, &render.Error{Webhook: def.ID, Field: "success", Err: err})
		}
		c.success = append(c.success, p)
	}
	return c, nil
}

func (c *compiled) isSuccess(status int) bool {
	if len(c.success) == 0 {
		return status >= 200 && status < 300
	}
	for _, p := range c.success {
		if p.Match(status) {
			return true
		}
	}
	return false
}
