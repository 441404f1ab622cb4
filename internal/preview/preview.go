// Package preview tells a bot builder what a webhook would do without
// sending anything: the variables its request reads that the conversation
// does not define (render --strict, and the warnings of the service API's
// render), and what the worker would make of a response status.
package preview

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"

	"github.com/hookworker/hookworker/render"
	"github.com/hookworker/hookworker/trigger"
	"github.com/hookworker/hookworker/trigger/webhook"
)

// Warning is something the builder should know about a rendered request.
type Warning struct {
	// Field is the template's field ("url", "headers.X-Id", "body").
	Field string `json:"field"`
	// Name is the undefined variable.
	Name    string `json:"name"`
	Message string `json:"message"`
}

func (w Warning) String() string { return w.Field + ": " + w.Message }

// probe stands for an undefined name while Undefined looks for it: truthy,
// with attributes, and unlike anything a template prints by accident.
var probe = map[string]any{"__hookworker_probe__": "\x00probe"}

// Undefined lists the variables each request template of def reads from
// the context that vars does not define, in template order: Jinja2
// renders them empty (or fails on an attribute of them), which is rarely
// what the builder meant (/api/orders//lookup). A name counts when
// defining it changes what the template renders, so names the template
// binds itself ({% for x in ... %}, {% set x = ... %}) and names only a
// branch not taken reads are not reported. Only top-level names are
// checked, not attributes of defined values.
func Undefined(env *render.Env, def *webhook.Definition, vars *render.Vars) []Warning {
	base := vars.Map()
	var out []Warning
	for _, t := range def.Templates() {
		switch t.Section {
		case webhook.SectionWith, webhook.SectionMapper:
			continue // parameters are rendered as params; mappers read the response
		}
		tpl, err := env.Compile(t.Source)
		if err != nil || tpl.Static() {
			continue
		}
		// Every candidate defined, then each left out in turn: one
		// undefined name failing the render cannot hide another.
		all := maps.Clone(base)
		var candidates []string
		for _, name := range tpl.Names() {
			if _, ok := base[name]; !ok {
				candidates = append(candidates, name)
				all[name] = probe
			}
		}
		defined, errDefined := tpl.Render(all)
		for _, name := range candidates {
			if guarded(t.Source, name) {
				continue
			}
			without := maps.Clone(all)
			delete(without, name)
			got, err := tpl.Render(without)
			if got != defined || (err == nil) != (errDefined == nil) {
				out = append(out, Warning{Field: t.Field, Name: name,
					Message: fmt.Sprintf("%s is undefined: it renders empty (Jinja2's Undefined), or fails where an attribute of it is read", name)})
			}
		}
	}
	return out
}

// Outcome is what the worker makes of a response status.
type Outcome struct {
	// Status is the Result's status: succeeded or failed.
	Status trigger.Status `json:"status"`
	// Class is the failure class (http_status), empty on success.
	Class trigger.Class `json:"class,omitempty"`
	// Retried says whether the worker retries the attempt before failing.
	Retried bool   `json:"retried"`
	Reason  string `json:"reason"`
}

// ForStatus says what the worker does with a response of this status.
func ForStatus(def *webhook.Definition, status int) Outcome {
	success := "2xx"
	if len(def.Success) > 0 {
		success = strings.Join(def.Success, ", ")
	}
	if def.Succeeds(status) {
		return Outcome{Status: trigger.StatusSucceeded, Reason: fmt.Sprintf("%d is a success status (%s): the mappers run", status, success)}
	}
	if def.RetriesStatus(status) {
		return Outcome{Status: trigger.StatusFailed, Class: trigger.ClassHTTPStatus, Retried: true,
			Reason: fmt.Sprintf("%d is not a success status (%s) and is retried (retry.on): the worker retries it, then fails the event with class http_status if it persists; the mappers do not run", status, success)}
	}
	return Outcome{Status: trigger.StatusFailed, Class: trigger.ClassHTTPStatus,
		Reason: fmt.Sprintf("%d is not a success status (%s) and is not retried: the worker fails the event at once with class http_status and dead-letters it; the mappers do not run", status, success)}
}

// Names lists the warnings' variable names, sorted and once each.
func Names(ws []Warning) []string {
	var out []string
	for _, w := range ws {
		if !slices.Contains(out, w.Name) {
			out = append(out, w.Name)
		}
	}
	slices.Sort(out)
	return out
}

// guarded reports whether every use of name in src is one that expects it
// may be undefined: `name | default(...)` (or d) or `name is defined`
// (undefined, not defined), which Jinja2's StrictUndefined lets pass too;
// the bare name as an if's condition; or any use inside a branch that
// runs only when name is defined: the then of `{% if name %}` or of a
// condition with `name is defined` and no `or`, the else of `{% if not
// name %}` or `{% if name is not defined %}`.
func guarded(src, name string) bool {
	q := regexp.QuoteMeta(name)
	word := regexp.MustCompile(`(^|[^\w.])` + q + `\b`)
	safe := regexp.MustCompile(`^\s*(\|\s*(default|d)\b|is\s+(not\s+)?(defined|undefined)\b)`)
	thenGuard := regexp.MustCompile(`^\s*` + q + `\s*$|(^|[^\w.])` + q + `\s+is\s+defined\b`)
	elseGuard := regexp.MustCompile(`^\s*(not\s+` + q + `|` + q + `\s+is\s+(not\s+defined|undefined))\s*$`)
	guardsThen := func(cond string) bool {
		return thenGuard.MatchString(cond) && !strings.Contains(" "+cond+" ", " or ")
	}
	// One entry per open if: whether its current branch guards, and
	// whether its else would.
	type branch struct{ guards, elseGuards bool }
	var open []branch
	guarding := func(ifs []branch) bool {
		return slices.ContainsFunc(ifs, func(b branch) bool { return b.guards })
	}
	n := 0
	for _, block := range exprBlock.FindAllString(src, -1) {
		kw, cond := ifStatement(block)
		// Uses in an if or elif block are its condition's, judged by
		// the ifs around it; uses elsewhere by every open if.
		around := open
		switch kw {
		case "if":
			open = append(open, branch{guards: guardsThen(cond), elseGuards: elseGuard.MatchString(cond)})
		case "elif":
			if len(open) > 0 {
				around = open[:len(open)-1]
				open[len(open)-1] = branch{guards: guardsThen(cond)}
			}
		case "else":
			if len(open) > 0 {
				open[len(open)-1].guards = open[len(open)-1].elseGuards
			}
		case "endif":
			if len(open) > 0 {
				open = open[:len(open)-1]
			}
		}
		inBranch := guarding(around)
		// In a condition: the bare name or its negation tests it (false or
		// true when undefined, no error), and a condition that guards
		// its branch stops at `name is defined` before any other use.
		c := strings.TrimSpace(cond)
		bare := (kw == "if" || kw == "elif") && (c == name || bareNot.MatchString(c) && strings.TrimSpace(c[3:]) == name || guardsThen(cond))
		for _, u := range word.FindAllStringIndex(block, -1) {
			n++
			if !bare && !inBranch && !safe.MatchString(block[u[1]:]) {
				return false
			}
		}
	}
	return n > 0
}

// ifStatement splits a `{% if|elif|else|endif ... %}` block into its
// keyword and condition; "" for any other block.
func ifStatement(block string) (kw, cond string) {
	m := ifBlock.FindStringSubmatch(block)
	if m == nil {
		return "", ""
	}
	return m[1], m[2]
}

var bareNot = regexp.MustCompile(`^not\s`)

var ifBlock = regexp.MustCompile(`(?s)^\{%[-+]?\s*(if|elif|else|endif)\b(.*?)[-+]?%\}$`)

// exprBlock matches the expressions and statements of a template.
var exprBlock = regexp.MustCompile(`(?s)\{\{.*?\}\}|\{%.*?%\}`)
