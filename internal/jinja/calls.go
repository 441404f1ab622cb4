package jinja

import (
	"slices"

	"github.com/nikolalohinski/gonja/v2/nodes"
)

// Call is a call of a name as a function ({{ f(x) }}) in a template.
type Call struct {
	Name      string
	Line, Col int
}

// Calls lists the template's calls of names as functions, in source
// order: a name that is neither a global function (Functions) nor a macro
// or value the render defines fails when the call runs.
func (t *Template) Calls() []Call {
	if t.static {
		return nil
	}
	var out []Call
	walk(t.root, false, func(n nodes.Node, _ *nodes.Expression, _ bool) bool {
		if c, ok := n.(*nodes.Call); ok {
			if name, ok := c.Func.(*nodes.Name); ok {
				out = append(out, Call{Name: name.Name.Val, Line: name.Name.Line, Col: name.Name.Col})
			}
		}
		return true
	})
	slices.SortFunc(out, func(a, b Call) int {
		if a.Line != b.Line {
			return a.Line - b.Line
		}
		return a.Col - b.Col
	})
	return out
}

// Functions lists the global functions templates may call: Jinja2's
// range, dict, lipsum, cycler, joiner and namespace.
func Functions() []string {
	var out []string
	for name, v := range globals {
		if v.kind == KindCallable {
			out = append(out, name)
		}
	}
	slices.Sort(out)
	return out
}

// Unknown is a filter or test the engine does not have.
type Unknown struct {
	What string // "filter" or "test"
	Name string
	Line int
}

// Unknowns lists the unknown filters and tests of a template that
// compiled: those inside an if statement or an inline if, which Jinja2
// refuses only when that branch runs (elsewhere they are compile errors).
func (t *Template) Unknowns() []Unknown {
	if t.static {
		return nil
	}
	var out []Unknown
	walk(t.root, false, func(n nodes.Node, _ *nodes.Expression, _ bool) bool {
		switch n := n.(type) {
		case *nodes.FilteredExpression:
			for _, f := range n.Filters {
				if _, ok := filters[f.Name]; !ok {
					out = append(out, Unknown{What: "filter", Name: f.Name, Line: f.Token.Line})
				}
			}
		case *nodes.TestExpression:
			if _, ok := tests[n.Test.Name]; !ok {
				out = append(out, Unknown{What: "test", Name: n.Test.Name, Line: n.Test.Token.Line})
			}
		}
		return true
	})
	return out
}
