package render

import "github.com/hookworker/hookworker/internal/jinja"

// Call is a call of a name as a function ({{ f(x) }}) in a template.
type Call = jinja.Call

// Calls lists the template's calls of names as functions, in source
// order: a name that is no function of the environment (Functions) fails
// when the call is evaluated.
func (t *Template) Calls() []Call { return t.t.Calls() }

// Functions lists the global functions templates may call.
func (e *Env) Functions() []string { return jinja.Functions() }
