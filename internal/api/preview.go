package api

import (
	"github.com/hookworker/hookworker/render"
	"github.com/hookworker/hookworker/trigger"
	"github.com/hookworker/hookworker/trigger/webhook"
)

// undefinedWarnings lists the variables def's request reads that vars
// does not define.
func undefinedWarnings(_ *render.Env, _ *webhook.Definition, _ *render.Vars) []Warning {
	return []Warning{}
}

// outcomeFor says what the worker makes of a response with status.
func outcomeFor(_ *webhook.Definition, _ int) Outcome {
	return Outcome{Status: trigger.StatusSucceeded}
}
