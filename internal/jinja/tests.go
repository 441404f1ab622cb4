package jinja

import (
	"unsafe"

	"github.com/nikolalohinski/gonja/v2/nodes"
)

// Jinja2's builtin tests (jinja2/tests.py).

type testFunc func(r *Renderer, v Value, args []Value, kw []Kwarg) (bool, error)

var tests = map[string]testFunc{}

// applyTest evaluates v is name(args).
func (r *Renderer) applyTest(v Value, t *nodes.TestCall) (bool, error) {
	args, kw, err := r.evalArgs(&t.Args)
	if err != nil {
		return false, err
	}
	return r.callTest(String(t.Name), v, args, kw)
}

func (r *Renderer) callTest(name Value, v Value, args []Value, kw []Kwarg) (bool, error) {
	var fn testFunc
	if name.kind == KindString {
		fn = tests[name.s]
	}
	if fn == nil {
		return false, newError(RuntimeError, "No test named %s.", r.mustRepr(name))
	}
	if err := r.step(); err != nil {
		return false, err
	}
	return fn(r, v, args, kw)
}

// test1 is a test of the value alone.
func test1(name string, fn func(r *Renderer, v Value) (bool, error)) testFunc {
	s := sig(name)
	return func(r *Renderer, v Value, args []Value, kw []Kwarg) (bool, error) {
		if _, err := s.bind(args, kw); err != nil {
			return false, err
		}
		return fn(r, v)
	}
}

// test2 is a test with one other operand.
func test2(name, param string, fn func(r *Renderer, v, other Value) (bool, error)) testFunc {
	s := sig(name, req(param))
	return func(r *Renderer, v Value, args []Value, kw []Kwarg) (bool, error) {
		a, err := s.bind(args, kw)
		if err != nil {
			return false, err
		}
		return fn(r, v, a[0])
	}
}

// modEquals is value % n == want, with Python's % (any type).
func (r *Renderer) modEquals(v, n Value, want int64) (bool, error) {
	m, err := r.binop("%", v, n)
	if err != nil {
		return false, err
	}
	return r.equal(m, Int(want), 0)
}

func cmpTest(op string) func(r *Renderer, v, other Value) (bool, error) {
	return func(r *Renderer, v, other Value) (bool, error) { return r.compare(op, v, other) }
}

// strCase is Python's str.islower / str.isupper.
func strCase(s string, upper bool) bool {
	cased := false
	for _, c := range s {
		// Python: a title-case character makes both false.
		switch {
		case pyHas(c, pyTitleF):
			return false
		case pyIsUpper(c):
			if !upper {
				return false
			}
			cased = true
		case pyIsLower(c):
			if upper {
				return false
			}
			cased = true
		}
	}
	return cased
}

func init() {
	tests["odd"] = test1("test_odd", func(r *Renderer, v Value) (bool, error) { return r.modEquals(v, Int(2), 1) })
	tests["even"] = test1("test_even", func(r *Renderer, v Value) (bool, error) { return r.modEquals(v, Int(2), 0) })
	tests["divisibleby"] = test2("test_divisibleby", "num", func(r *Renderer, v, n Value) (bool, error) { return r.modEquals(v, n, 0) })
	tests["defined"] = test1("test_defined", func(_ *Renderer, v Value) (bool, error) { return v.kind != KindUndefined, nil })
	tests["undefined"] = test1("test_undefined", func(_ *Renderer, v Value) (bool, error) { return v.kind == KindUndefined, nil })
	// value in env.filters: an unhashable value is a TypeError.
	tests["filter"] = test1("test_filter", func(_ *Renderer, v Value) (bool, error) {
		if _, err := keyOf(v); err != nil {
			return false, err
		}
		_, ok := filters[v.s]
		return v.kind == KindString && ok, nil
	})
	tests["test"] = test1("test_test", func(_ *Renderer, v Value) (bool, error) {
		if _, err := keyOf(v); err != nil {
			return false, err
		}
		_, ok := tests[v.s]
		return v.kind == KindString && ok, nil
	})
	tests["none"] = test1("test_none", func(_ *Renderer, v Value) (bool, error) { return v.kind == KindNone, nil })
	tests["boolean"] = test1("test_boolean", func(_ *Renderer, v Value) (bool, error) { return v.kind == KindBool, nil })
	tests["false"] = test1("test_false", func(_ *Renderer, v Value) (bool, error) { return v.kind == KindBool && v.i == 0, nil })
	tests["true"] = test1("test_true", func(_ *Renderer, v Value) (bool, error) { return v.kind == KindBool && v.i == 1, nil })
	tests["integer"] = test1("test_integer", func(_ *Renderer, v Value) (bool, error) { return v.kind == KindInt, nil })
	tests["float"] = test1("test_float", func(_ *Renderer, v Value) (bool, error) { return v.kind == KindFloat, nil })
	tests["lower"] = test1("test_lower", func(r *Renderer, v Value) (bool, error) {
		s, err := r.str(v)
		return strCase(s, false), err
	})
	tests["upper"] = test1("test_upper", func(r *Renderer, v Value) (bool, error) {
		s, err := r.str(v)
		return strCase(s, true), err
	})
	tests["string"] = test1("test_string", func(_ *Renderer, v Value) (bool, error) { return v.kind == KindString, nil })
	tests["mapping"] = test1("test_mapping", func(_ *Renderer, v Value) (bool, error) { return v.kind == KindDict, nil })
	tests["number"] = test1("test_number", func(_ *Renderer, v Value) (bool, error) { return v.isComplexOperand(), nil })
	tests["sequence"] = test1("test_sequence", func(_ *Renderer, v Value) (bool, error) {
		switch v.kind {
		case KindString, KindBytes, KindList, KindTuple, KindDict, KindRange, KindUndefined:
			return true, nil
		}
		return false, nil
	})
	tests["iterable"] = test1("test_iterable", func(_ *Renderer, v Value) (bool, error) {
		return isIterable(v), nil
	})
	tests["callable"] = test1("callable", func(_ *Renderer, v Value) (bool, error) {
		switch v.kind {
		case KindCallable, KindUndefined:
			return true, nil
		case KindObject:
			_, ok := v.r.(interface {
				call(*Renderer, []Value, []Kwarg) (Value, error)
			})
			return ok, nil
		}
		return false, nil
	})
	tests["sameas"] = test2("test_sameas", "other", func(_ *Renderer, v, o Value) (bool, error) { return sameAs(v, o), nil })
	tests["escaped"] = test1("test_escaped", func(_ *Renderer, v Value) (bool, error) { return v.IsSafe(), nil })
	tests["in"] = test2("test_in", "seq", func(r *Renderer, v, seq Value) (bool, error) { return r.contains(seq, v) })
	for _, names := range [][]string{{"==", "eq", "equalto"}, {"!=", "ne"}, {">", "gt", "greaterthan"}, {">=", "ge"},
		{"<", "lt", "lessthan"}, {"<=", "le"}} {
		op := map[string]string{"==": "eq", "!=": "ne", ">": "gt", ">=": "gteq", "<": "lt", "<=": "lteq"}[names[0]]
		for _, n := range names {
			tests[n] = test2(n, "b", cmpTest(op))
		}
	}
}

// sameAs approximates Python's `is`: None and booleans by kind; ints
// CPython caches (-5..256), the empty string and one-character Latin-1
// strings by value; big ints, other strings (the same text from the
// context and from a literal are two objects) and Undefined (each missing
// name is a new one) by identity.
func sameAs(a, b Value) bool {
	if a.kind != b.kind {
		return false
	}
	switch a.kind {
	case KindNone:
		return true
	case KindUndefined:
		return a.r != nil && a.r == b.r
	case KindBool:
		return a.i == b.i
	case KindInt:
		if a.isBig() || b.isBig() {
			return a.r == b.r
		}
		return a.i == b.i && a.i >= -5 && a.i <= 256
	case KindString:
		if a.s != b.s || a.safe != b.safe {
			return false
		}
		if r := []rune(a.s); len(r) == 0 || len(r) == 1 && r[0] < 256 {
			return true
		}
		return unsafe.StringData(a.s) == unsafe.StringData(b.s)
	case KindFloat:
		return a.i == b.i
	}
	return identity(a) == identity(b)
}
