package jinja

import (
	"github.com/nikolalohinski/gonja/v2/nodes"
)

// Uses is what a template can read of a value: all of it, or only some
// members of it by constant name (x.a, x['a']), each with its own Uses.
// A reader built from a JSON object can leave out the members no
// template can reach (DecodeJSONUses) and give the same answers.
//
// The analysis is syntactic and conservative: every read of a name is a
// Name node; a chain of constant attribute and string subscripts on it
// records the path it takes, and whatever the chain's value is then used
// for (printed, filtered, iterated, passed, compared, bound) reads all of
// that value. A step that could reach the object itself rather than a
// member (a dict method such as items or get, or a dunder name) reads all
// of the object. Arrays and scalars are always whole.
type Uses struct {
	All     bool
	Members map[string]*Uses
}

// Member returns what is read of member k, nil when nothing is. On a
// Uses that reads all, every member is read in full.
func (u *Uses) Member(k string) *Uses {
	if u.All {
		return allUses
	}
	return u.Members[k]
}

var allUses = &Uses{All: true}

// Merge adds what o reads to u.
func (u *Uses) Merge(o *Uses) {
	if u.All {
		return
	}
	if o.All {
		u.All, u.Members = true, nil
		return
	}
	for k, m := range o.Members {
		if mine := u.Members[k]; mine != nil {
			mine.Merge(m)
		} else {
			if u.Members == nil {
				u.Members = map[string]*Uses{}
			}
			c := &Uses{}
			c.Merge(m)
			u.Members[k] = c
		}
	}
}

// Covers reports whether everything o reads, u reads too.
func (u *Uses) Covers(o *Uses) bool {
	if u.All {
		return true
	}
	if o.All {
		return false
	}
	for k, m := range o.Members {
		mine := u.Members[k]
		if mine == nil || !mine.Covers(m) {
			return false
		}
	}
	return true
}

// Uses returns what the template can read of each top-level name: the
// Members of the result are the names (a superset of what it reads from
// the context, as Names).
func (t *Template) Uses() *Uses { return t.uses }

// Uses returns what the expression can read of each top-level name.
func (x *Expr) Uses() *Uses { return x.uses }

// analyzeUses computes Uses for a syntax tree (before constant folding,
// which only removes reads).
func analyzeUses(root nodes.Node) *Uses {
	top := &Uses{Members: map[string]*Uses{}}
	walk(root, false, func(n nodes.Node, _ *nodes.Expression, _ bool) bool {
		switch n.(type) {
		case *nodes.Name, *nodes.GetAttribute, *nodes.GetItem:
		default:
			return true
		}
		name, path, ok := chain(n.(nodes.Expression))
		if !ok {
			return true // a subscript by a variable or of a value: its parts are visited
		}
		for i, step := range path {
			if dictMethods[step] != nil || unsafeAttr(step) || len(step) > 0 && step[0] == '_' {
				path = path[:i] // the object itself is reached
				break
			}
		}
		leaf := &Uses{All: true}
		for i := len(path) - 1; i >= 0; i-- {
			leaf = &Uses{Members: map[string]*Uses{path[i]: leaf}}
		}
		top.Merge(&Uses{Members: map[string]*Uses{name: leaf}})
		return false // the chain's parts are names and constants
	})
	return top
}

// chain returns the name and the constant steps of x.a['b'].c, false for
// any other expression.
func chain(e nodes.Expression) (string, []string, bool) {
	switch n := e.(type) {
	case *nodes.Name:
		return n.Name.Val, nil, true
	case *nodes.GetAttribute:
		name, path, ok := chain(n.Node)
		if !ok {
			return "", nil, false
		}
		return name, append(path, n.Attribute), true
	case *nodes.GetItem:
		s, isStr := n.Arg.(*nodes.String)
		if !isStr {
			return "", nil, false
		}
		name, path, ok := chain(n.Node)
		if !ok {
			return "", nil, false
		}
		return name, append(path, s.Val), true
	}
	return "", nil, false
}
