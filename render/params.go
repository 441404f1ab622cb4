package render

import "github.com/hookworker/hookworker/trigger/webhook"

// RenderParams renders a Webhook Template's parameters over the request
// context (so "{{ secrets.TOKEN }}" or "{{ cvars.x }}" is resolved per
// event) and makes them the context's `params`. Parameters that are not
// strings are passed as they are. Errors are *Error naming "with.NAME".
func (e *Env) RenderParams(def *webhook.Definition, vars *Vars) error {
	if len(def.Params) == 0 {
		return nil
	}
	out := make(map[string]any, len(def.Params))
	for name, v := range def.Params {
		s, ok := v.(string)
		if !ok {
			out[name] = v
			continue
		}
		t, err := e.Compile(s)
		if err != nil {
			return &Error{Webhook: def.ID, Field: "with." + name, Err: err}
		}
		_ = vars.SecretErr()
		if out[name], err = t.RenderVars(vars); err == nil {
			err = vars.SecretErr()
		}
		if err != nil {
			return &Error{Webhook: def.ID, Field: "with." + name, Err: err}
		}
	}
	vars.SetParams(out)
	return nil
}
