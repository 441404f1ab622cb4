package render

import "github.com/hookworker/hookworker/internal/jinja"

// Call is a call of a name as a function ({{ f(x) }}) in a template.
type Call = jinja.Call

// Calls lists the template's calls of names as functions, in source
// order: a name that is no function of the environment (Functions) fails
// when the call is evaluated.
func (t *Template) Calls() []Call { return t.t.Calls() }

// Unknown is a filter or test the engine does not have.
type Unknown = jinja.Unknown

// Unknowns lists the unknown filters and tests inside if statements and
// inline ifs, which Jinja2 refuses only when the branch runs.
func (t *Template) Unknowns() []Unknown { return t.t.Unknowns() }

// Functions lists the global functions templates may call.
func (e *Env) Functions() []string { return jinja.Functions() }
