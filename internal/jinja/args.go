package jinja

import (
	"fmt"
	"strings"
)

// Argument binding for filters, tests, globals and methods, with Python's
// rules: positional arguments first, then keywords by name; a parameter
// given twice, an unknown keyword, too many arguments or a missing
// required one is a TypeError.

type param struct {
	name string
	def  Value
	req  bool
}

func req(name string) param            { return param{name: name, req: true} }
func opt(name string, def Value) param { return param{name: name, def: def} }
func optNone(name string) param        { return param{name: name, def: None} }
func sig(name string, ps ...param) *signature {
	s := &signature{name: name, params: ps}
	for _, p := range ps {
		if p.req {
			return s
		}
	}
	if len(ps) > 0 {
		s.defaults = make([]Value, len(ps))
		for i, p := range ps {
			s.defaults[i] = p.def
		}
	}
	return s
}

type signature struct {
	name   string
	params []param
	// defaults are the bound values of a call without arguments, when
	// every parameter has a default: shared by those calls, which read
	// them only (a full slice: an append copies).
	defaults []Value
}

// bind returns one value per parameter.
func (s *signature) bind(args []Value, kw []Kwarg) ([]Value, error) {
	if len(args) > len(s.params) {
		return nil, typeErrorf("%s() takes at most %d arguments (%d given)", s.name, len(s.params), len(args))
	}
	if len(kw) == 0 && len(args) == len(s.params) {
		return args, nil // each call's own arguments: nothing else holds them
	}
	if len(kw) == 0 && len(args) == 0 && s.defaults != nil {
		return s.defaults[:len(s.defaults):len(s.defaults)], nil
	}
	out := make([]Value, len(s.params))
	var room [8]bool
	given := room[:0]
	if len(s.params) > len(room) {
		given = make([]bool, len(s.params))
	} else {
		given = room[:len(s.params)]
	}
	for i, a := range args {
		out[i], given[i] = a, true
	}
	for _, k := range kw {
		idx := -1
		for i, p := range s.params {
			if p.name == k.Name {
				idx = i
				break
			}
		}
		if idx < 0 {
			return nil, typeErrorf("%s() got an unexpected keyword argument '%s'", s.name, k.Name)
		}
		if given[idx] {
			return nil, typeErrorf("%s() got multiple values for argument '%s'", s.name, k.Name)
		}
		out[idx], given[idx] = k.Value, true
	}
	for i, p := range s.params {
		if !given[i] {
			if p.req {
				return nil, typeErrorf("%s() missing required argument: '%s'", s.name, p.name)
			}
			out[i] = p.def
		}
	}
	return out, nil
}

// noArgs checks that a call got no arguments.
func noArgs(name string, args []Value, kw []Kwarg) error {
	if len(args) > 0 || len(kw) > 0 {
		return typeErrorf("%s() takes no arguments (%d given)", name, len(args)+len(kw))
	}
	return nil
}

// intArg converts an argument that must be an int.
func intArg(fname, pname string, v Value) (int64, error) {
	if v.isIntLike() {
		i, _ := asIndex(v)
		return i, nil
	}
	return 0, typeErrorf("'%s' object cannot be interpreted as an integer", v.TypeName())
}

// strArg converts an argument that must be a str.
func strArg(fname string, v Value) (string, error) {
	if v.kind == KindString {
		return v.s, nil
	}
	return "", typeErrorf("%s() argument must be str, not %s", fname, v.TypeName())
}

func describeArgs(args []Value) string {
	parts := make([]string, len(args))
	for i, a := range args {
		parts[i] = a.TypeName()
	}
	return strings.Join(parts, ", ")
}

var _ = fmt.Sprintf
