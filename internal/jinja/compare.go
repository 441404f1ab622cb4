package jinja

import (
	"math"
	"strings"
)

// Comparisons as Python makes them: ==, ordering, chained, and in.

// compare applies a comparison operator: eq, ne, lt, lteq, gt, gteq, in,
// notin.
func (r *Renderer) compare(op string, a, b Value) (bool, error) {
	switch op {
	case "eq":
		return r.equal(a, b, 0)
	case "ne":
		eq, err := r.equal(a, b, 0)
		return !eq, err
	case "in":
		return r.contains(b, a)
	case "notin":
		in, err := r.contains(b, a)
		return !in, err
	}
	c, err := r.order(a, b, op, 0)
	if err != nil {
		return false, err
	}
	switch op {
	case "lt":
		return c == cmpLess, nil
	case "lteq":
		return c == cmpLess || c == cmpEqual, nil
	case "gt":
		return c == cmpGreater, nil
	}
	return c == cmpGreater || c == cmpEqual, nil
}

// equal is Python's ==.
func (r *Renderer) equal(a, b Value, depth int) (bool, error) {
	if depth > maxValueDepth {
		return false, recursionError("in comparison")
	}
	if a.isNumber() && b.isNumber() {
		c, ok := cmpNum(a, b)
		return ok && c == 0, nil
	}
	if (a.kind == KindComplex || b.kind == KindComplex) && a.isComplexOperand() && b.isComplexOperand() {
		return a.complex() == b.complex(), nil
	}
	switch {
	case a.kind == KindString && b.kind == KindString, a.kind == KindBytes && b.kind == KindBytes:
		return a.s == b.s, nil
	case a.kind != b.kind:
		return false, nil
	}
	switch a.kind {
	case KindNone, KindUndefined:
		return true, nil
	case KindList, KindTuple:
		x, y := a.r.(*List).Items, b.r.(*List).Items
		if len(x) != len(y) {
			return false, nil
		}
		if identity(a) == identity(b) {
			return true, nil
		}
		for i := range x {
			if err := r.step(); err != nil {
				return false, err
			}
			eq, err := r.equal(x[i], y[i], depth+1)
			if err != nil || !eq {
				return false, err
			}
		}
		return true, nil
	case KindDict:
		x, y := a.r.(*Dict), b.r.(*Dict)
		if x.Len() != y.Len() {
			return false, nil
		}
		for i, k := range x.keys {
			if err := r.step(); err != nil {
				return false, err
			}
			v, ok, err := y.Get(k)
			if err != nil || !ok {
				return false, err
			}
			eq, err := r.equal(x.vals[i], v, depth+1)
			if err != nil || !eq {
				return false, err
			}
		}
		return true, nil
	case KindRange:
		x, y := a.r.(*Range), b.r.(*Range)
		n := x.Len()
		if n != y.Len() || n == 0 {
			return n == y.Len(), nil
		}
		same, _ := r.equal(x.item(0), y.item(0), depth+1)
		return same && (n == 1 || x.step == y.step), nil
	case KindSlice:
		x, y := a.r.(*Slice), b.r.(*Slice)
		return r.equal(NewTuple([]Value{x.start, x.stop, x.step}), NewTuple([]Value{y.start, y.stop, y.step}), depth+1)
	case KindView:
		x, y := a.r.(*View), b.r.(*View)
		if x.which != y.which || x.which == 'v' {
			return identity(a) == identity(b), nil
		}
		xs, err := x.items(r)
		if err != nil {
			return false, err
		}
		ys, err := y.items(r)
		if err != nil {
			return false, err
		}
		if len(xs) != len(ys) {
			return false, nil
		}
		for _, it := range xs {
			found, err := r.contains(NewList(ys), it)
			if err != nil || !found {
				return false, err
			}
		}
		return true, nil
	}
	return identity(a) == identity(b), nil
}

// order is Python's ordering of two values, for <, <=, >, >=, sort, min and
// max; op names the operator for the message.
func (r *Renderer) order(a, b Value, op string, depth int) (cmpResult, error) {
	if depth > maxValueDepth {
		return 0, recursionError("in comparison")
	}
	if a.kind == KindUndefined {
		return 0, undefinedError(a)
	}
	if b.kind == KindUndefined {
		return 0, undefinedError(b)
	}
	switch {
	case a.isNumber() && b.isNumber():
		c, ok := cmpNum(a, b)
		if !ok {
			return cmpUnordered, nil
		}
		return cmpResult(c), nil
	case a.kind == KindString && b.kind == KindString, a.kind == KindBytes && b.kind == KindBytes:
		return cmpResult(strings.Compare(a.s, b.s)), nil
	case a.kind == b.kind && (a.kind == KindList || a.kind == KindTuple):
		x, y := a.r.(*List).Items, b.r.(*List).Items
		for i := 0; i < len(x) && i < len(y); i++ {
			if err := r.step(); err != nil {
				return 0, err
			}
			eq, err := r.equal(x[i], y[i], depth+1)
			if err != nil {
				return 0, err
			}
			if !eq {
				return r.order(x[i], y[i], op, depth+1)
			}
		}
		switch {
		case len(x) < len(y):
			return cmpLess, nil
		case len(x) > len(y):
			return cmpGreater, nil
		}
		return cmpEqual, nil
	}
	sym := cmpSymbols[op]
	if sym == "" {
		sym = "<"
	}
	return 0, typeErrorf("'%s' not supported between instances of '%s' and '%s'", sym, a.TypeName(), b.TypeName())
}

// contains is Python's item in container.
func (r *Renderer) contains(container, item Value) (bool, error) {
	switch container.kind {
	case KindString:
		if item.kind != KindString {
			return false, typeErrorf("'in <string>' requires string as left operand, not %s", item.TypeName())
		}
		if err := r.workBytes(len(container.s)); err != nil {
			return false, err
		}
		return strings.Contains(container.s, item.s), nil
	case KindBytes:
		switch {
		case item.kind == KindBytes:
			return strings.Contains(container.s, item.s), nil
		case item.isIntLike():
			n, _ := asIndex(item)
			if n < 0 || n > 255 {
				return false, valueErrorf("byte must be in range(0, 256)")
			}
			return strings.IndexByte(container.s, byte(n)) >= 0, nil
		}
		return false, typeErrorf("a bytes-like object is required, not '%s'", item.TypeName())
	case KindDict:
		_, ok, err := container.r.(*Dict).Get(item)
		return ok, err
	case KindRange:
		g := container.r.(*Range)
		if item.kind == KindFloat {
			f := item.FloatVal()
			b, ok := bigFromFloat(f)
			if f != math.Trunc(f) || !ok {
				return false, nil
			}
			item = BigInt(b)
		}
		if !item.isIntLike() {
			return false, nil
		}
		rel, ok := g.rel(item)
		n := g.Len()
		if n == 0 || !ok {
			return false, nil
		}
		d := rel - g.start
		if d%g.step != 0 {
			return false, nil
		}
		i := d / g.step
		return i >= 0 && i < n, nil
	case KindView:
		view := container.r.(*View)
		if view.which == 'k' {
			_, ok, err := view.d.Get(item)
			return ok, err
		}
	case KindUndefined:
		return false, nil
	}
	found := false
	err := r.iterate(container, func(v Value) (bool, error) {
		eq, err := r.equal(v, item, 0)
		if err != nil {
			return false, err
		}
		found = eq
		return !eq, nil
	})
	if err != nil {
		if e, ok := err.(*Error); ok && e.Kind == TypeError && strings.HasSuffix(e.Msg, "is not iterable") {
			return false, typeErrorf("argument of type '%s' is not iterable", container.TypeName())
		}
	}
	return found, err
}
