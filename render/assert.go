package render

import (
	"fmt"
	"reflect"
	"regexp"
	"slices"

	"github.com/nikolalohinski/gonja/v2/nodes"
)

// checkNames refuses, when a template is compiled, a filter or a test the
// environment does not have, as Jinja2 does (TemplateAssertionError: no
// filter named 'x'), even in a branch that never runs; the error names it
// with its line.
func (e *Env) checkNames(root *nodes.Template) error {
	var err error
	walkNodes(reflect.ValueOf(root), map[uintptr]bool{}, 0, func(p reflect.Value) bool {
		if err != nil {
			return false
		}
		switch n := p.Interface().(type) {
		case *nodes.FilterCall:
			if !e.env.Filters.Exists(n.Name) {
				err = fmt.Errorf("no filter named '%s' (Line: %d Col: %d)", n.Name, n.Token.Line, n.Token.Col)
			}
		case *nodes.TestCall:
			if !e.env.Tests.Exists(n.Name) {
				err = fmt.Errorf("no test named '%s' (Line: %d Col: %d)", n.Name, n.Token.Line, n.Token.Col)
			}
		}
		return true
	})
	return err
}

// Call is a call of a name as a function ({{ f(x) }}) in a template.
type Call struct {
	Name      string
	Line, Col int
}

// Calls lists the template's calls of names as functions, in source
// order: a name that is no function of the environment (Functions) fails
// when the call is evaluated.
func (t *Template) Calls() []Call {
	if t.static {
		return nil
	}
	var out []Call
	walkNodes(reflect.ValueOf(t.tpl.Root()), map[uintptr]bool{}, 0, func(p reflect.Value) bool {
		if c, ok := p.Interface().(*nodes.Call); ok {
			if n, ok := c.Func.(*nodes.Name); ok && n.Name != nil {
				out = append(out, Call{Name: n.Name.Val, Line: n.Name.Line, Col: n.Name.Col})
			}
		}
		return true
	})
	slices.SortFunc(out, func(a, b Call) int { return (a.Line-b.Line)*1_000_000 + a.Col - b.Col })
	return out
}

// Functions lists the global functions templates may call.
func (e *Env) Functions() []string {
	var out []string
	for name, v := range e.globals {
		if reflect.ValueOf(v).Kind() == reflect.Func {
			out = append(out, name)
		}
	}
	slices.Sort(out)
	return out
}

// goValue matches gonja's %v of its filter and test calls inside error
// messages (&{<Token[Name] Val='dictsort' Pos=6 Line=1 Col=7> dictsort [1 2] map[]}).
var goValue = regexp.MustCompile(`&\{<Token\[\w+\] Val='([^']*)'[^>]*>[^{}]*\}`)

// cleanGoValues names a call in an error message as the template wrote it.
func cleanGoValues(msg string) string { return goValue.ReplaceAllString(msg, "'$1'") }
