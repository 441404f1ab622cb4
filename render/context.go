package render

import (
	"fmt"
	"time"

	"github.com/hookworker/hookworker/internal/jinja"
	"github.com/hookworker/hookworker/trigger"
)

// reqContext is the template context of one request (the contract's:
// each CVar by name, cvars, conversation, secrets, params and event),
// built as the templates look names up. A template that reads three
// CVars decodes those three; one that never reads conversation never
// builds it. What is built is kept: a name read twice, or a CVar read
// both by name and through cvars, is one value, as in Jinja2's context.
//
// The event's JSON is checked in full when the context is made, so a
// document the engine refuses fails the first render as it did when the
// context was built up front.
type reqContext struct {
	v *Vars
	// lazy indexes cvars when the event carried them as a JSON object;
	// otherwise cvars is built when the context is made.
	lazy  *jinja.LazyObject
	cvars jinja.Value
	// context indexes the event's context object.
	context *jinja.LazyObject
	// conv, event and params (when empty) are built at their first
	// lookup; built tells which are.
	conv, event, params jinja.Value
	built               uint8
	// err is the first failure building a value at a lookup; the render
	// that looked it up fails with it.
	err error
	// r is the request's renderer over this context (allocated with it).
	r jinja.Renderer
}

const (
	builtCVars = 1 << iota
	builtConv
	builtEvent
	builtParams
)

// depth bounds the event's values, as trigger.Decode bounds the event.
const depth = trigger.MaxDepth + 1

func newReqContext(v *Vars) (*reqContext, error) {
	c := &reqContext{v: v}
	ev := v.ev
	if len(ev.CVarsJSON) > 0 {
		o, ok, err := jinja.IndexJSONObject(string(ev.CVarsJSON), depth)
		if err != nil {
			return nil, fmt.Errorf("cvars: %w", err)
		}
		if ok {
			c.lazy = o
		} else if c.cvars, err = jinja.DecodeJSON(string(ev.CVarsJSON), depth); err != nil {
			return nil, fmt.Errorf("cvars: %w", err)
		}
	} else {
		cvars := ev.CVars
		if cvars == nil {
			cvars = map[string]any{}
		}
		x, err := jinja.FromGo(cvars, depth)
		if err != nil {
			return nil, fmt.Errorf("cvars: %w", err)
		}
		c.cvars = x
	}
	if c.lazy == nil {
		c.built |= builtCVars
	}
	if len(ev.ContextJSON) > 0 {
		o, ok, err := jinja.IndexJSONObject(string(ev.ContextJSON), depth)
		if err != nil {
			return nil, fmt.Errorf("context: %w", err)
		}
		if ok {
			c.context = o
		}
	} else {
		// No JSON to check: built now, so that a value the engine cannot
		// take fails where it did.
		conv, err := jinja.FromGo(v.Conversation(), depth)
		if err != nil {
			return nil, fmt.Errorf("conversation: %w", err)
		}
		c.conv, c.built = conv, c.built|builtConv
	}
	if err := c.setParams(v.params); err != nil {
		return nil, err
	}
	return c, nil
}

// setParams makes p the context's params (an empty p: an empty dict,
// made when read). A value the engine cannot take fails the next render.
func (c *reqContext) setParams(p map[string]any) error {
	c.params, c.built = jinja.Value{}, c.built&^builtParams
	if len(p) == 0 {
		return nil
	}
	params, err := jinja.FromGo(p, depth)
	if err != nil {
		err = fmt.Errorf("params: %w", err)
		c.fail(err)
		return err
	}
	c.params, c.built = params, c.built|builtParams
	return nil
}

// Lookup resolves a top-level name of the request context.
func (c *reqContext) Lookup(name string) (jinja.Value, bool) {
	switch name {
	case "cvars":
		return c.cvarsValue(), true
	case "conversation":
		return c.conversation(), true
	case "secrets":
		return jinja.ObjectValue(&c.v.secrets), true
	case "params":
		if c.built&builtParams == 0 {
			c.params, c.built = jinja.DictValue(jinja.NewDict(0)), c.built|builtParams
		}
		return c.params, true
	case "event":
		return c.eventValue(), true
	}
	if Reserved[name] {
		return jinja.Value{}, false // a CVar of that name is cvars[name] only
	}
	if c.lazy != nil {
		x, ok, err := c.lazy.Get(name)
		if err != nil {
			c.fail(fmt.Errorf("cvars: %w", err))
		}
		return x, ok
	}
	if d := c.cvars.Dict(); d != nil {
		return d.GetStr(name)
	}
	return jinja.Value{}, false
}

func (c *reqContext) fail(err error) {
	if c.err == nil {
		c.err = err
	}
}

func (c *reqContext) cvarsValue() jinja.Value {
	if c.built&builtCVars == 0 {
		d, err := c.lazy.Dict()
		if err != nil {
			c.fail(fmt.Errorf("cvars: %w", err))
			return jinja.Value{}
		}
		c.cvars, c.built = jinja.DictValue(d), c.built|builtCVars
	}
	return c.cvars
}

// conversation is ConversationVars as a dict: the context's fields in the
// event's order, then id, bot_id, connection_id and module_id (the
// context's own module_id stays when the connection names none).
func (c *reqContext) conversation() jinja.Value {
	if c.built&builtConv != 0 {
		return c.conv
	}
	ev := c.v.ev
	var d *jinja.Dict
	if o := c.context; o != nil {
		d = jinja.NewDict(o.Len() + 4)
		for i := range o.Len() {
			x, err := o.At(i)
			if err != nil {
				c.fail(fmt.Errorf("context: %w", err))
				return jinja.Value{}
			}
			d.SetStr(o.Key(i), x)
		}
	} else {
		d = jinja.NewDict(4) // a context that is not an object has no fields
	}
	d.SetStr("id", jinja.String(ev.ConversationID))
	d.SetStr("bot_id", jinja.String(ev.BotID))
	d.SetStr("connection_id", jinja.String(ev.ConnectionID()))
	mod := ""
	if ev.Connection != nil {
		mod = ev.Connection.ModuleID
	}
	if _, ok := d.GetStr("module_id"); !ok || mod != "" {
		d.SetStr("module_id", jinja.String(mod))
	}
	c.conv, c.built = jinja.DictValue(d), c.built|builtConv
	return c.conv
}

// eventValue is `event`: attempt, fired_at and id, in that (sorted) order.
func (c *reqContext) eventValue() jinja.Value {
	if c.built&builtEvent != 0 {
		return c.event
	}
	ev := c.v.ev
	fired := jinja.None
	if ev.FiredAt != nil {
		fired = jinja.String(ev.FiredAt.UTC().Format(time.RFC3339Nano))
	}
	d := jinja.NewDict(3)
	d.SetStr("attempt", jinja.Int(int64(c.v.attempt)))
	d.SetStr("fired_at", fired)
	d.SetStr("id", jinja.String(ev.ID))
	c.event, c.built = jinja.DictValue(d), c.built|builtEvent
	return c.event
}

// renderer returns the request's renderer in env, with a new context at
// the first call (and after SetParams).
func (v *Vars) renderer(env *Env) (*jinja.Renderer, error) {
	if v.r != nil && v.env == env {
		return v.r, nil
	}
	ctx, err := newReqContext(v)
	if err != nil {
		return nil, err
	}
	env.j.InitRenderer(&ctx.r, ctx)
	v.ctx, v.r, v.env = ctx, &ctx.r, env
	return v.r, nil
}

// contextErr is the failure of a value a render looked up, if any.
func (v *Vars) contextErr() error {
	if v.ctx == nil {
		return nil
	}
	return v.ctx.err
}
