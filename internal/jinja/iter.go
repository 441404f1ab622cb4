package jinja

import (
	"math/big"
	"unicode/utf8"
)

// Range is Python's range(start, stop, step): a lazy sequence. A range
// over ints beyond int64 (the sandbox allows range(big, big + 3)) keeps
// them as offsets from base.
type Range struct {
	start, stop, step int64
	base              *big.Int // nil, or added to start, stop and every item
}

// item is item i as a value (0 <= i < Len).
func (g *Range) item(i int64) Value { return g.abs(g.At(i)) }

// abs turns an offset from base into the int it stands for.
func (g *Range) abs(n int64) Value {
	if g.base == nil {
		return Int(n)
	}
	return BigInt(new(big.Int).Add(g.base, big.NewInt(n)))
}

// rel is the offset of the int v from base, if it fits an int64.
func (g *Range) rel(v Value) (int64, bool) {
	if g.base == nil {
		return v.i, !v.isBig()
	}
	d := new(big.Int).Sub(v.Big(), g.base)
	return d.Int64(), d.IsInt64()
}

// Len is the number of items.
func (g *Range) Len() int64 {
	switch {
	case g.step > 0 && g.stop > g.start:
		return (g.stop - g.start + g.step - 1) / g.step
	case g.step < 0 && g.start > g.stop:
		return (g.start - g.stop - g.step - 1) / -g.step
	}
	return 0
}

// At is item i (0 <= i < Len).
func (g *Range) At(i int64) int64 { return g.start + i*g.step }

// View is a dict view: dict_keys, dict_values or dict_items, live over
// its dict.
type View struct {
	d     *Dict
	which byte // 'k', 'v' or 'i'
}

func (v *View) typeName() string {
	switch v.which {
	case 'k':
		return "dict_keys"
	case 'v':
		return "dict_values"
	}
	return "dict_items"
}

func (v *View) at(i int) Value {
	switch v.which {
	case 'k':
		return v.d.keys[i]
	case 'v':
		return v.d.vals[i]
	}
	return NewTuple([]Value{v.d.keys[i], v.d.vals[i]})
}

// items materialises the view.
func (v *View) items(r *Renderer) ([]Value, error) {
	n := v.d.Len()
	if r != nil {
		if err := r.allocN(int64(n), valueSize*2); err != nil {
			return nil, err
		}
	}
	out := make([]Value, n)
	for i := range out {
		out[i] = v.at(i)
	}
	return out, nil
}

// Iter is a single-pass iterator: Python's generators (map, select,
// batch, ...) and iterators (reversed lists). Printing one shows its type,
// as Python does.
type Iter struct {
	typeName string
	next     func() (Value, bool, error)
	done     bool
}

// Next returns the next item, or false at the end.
func (it *Iter) Next() (Value, bool, error) {
	if it.done {
		return Value{}, false, nil
	}
	v, ok, err := it.next()
	if !ok || err != nil {
		it.done = true
	}
	return v, ok, err
}

// newIter makes an iterator value.
func newIter(typeName string, next func() (Value, bool, error)) Value {
	return Value{kind: KindIter, r: &Iter{typeName: typeName, next: next}}
}

// generator makes a generator over items computed on demand by gen,
// which calls yield for each item and stops when yield returns false.
func sliceIter(typeName string, items []Value) Value {
	i := 0
	return newIter(typeName, func() (Value, bool, error) {
		if i >= len(items) {
			return Value{}, false, nil
		}
		i++
		return items[i-1], true, nil
	})
}

// Slice is a slice object, x[start:stop:step].
type Slice struct{ start, stop, step Value }

// iterate calls fn for each item of v as Python's iter(v) yields them;
// fn returning false stops early. Each item counts one step.
func (r *Renderer) iterate(v Value, fn func(Value) (bool, error)) error {
	switch v.kind {
	case KindUndefined:
		return nil
	case KindList, KindTuple:
		l := v.r.(*List)
		for i := 0; i < len(l.Items); i++ { // live: items appended while iterating are seen
			if err := r.step(); err != nil {
				return err
			}
			if ok, err := fn(l.Items[i]); !ok || err != nil {
				return err
			}
		}
		return nil
	case KindDict:
		d := v.r.(*Dict)
		n := d.Len()
		for i := 0; i < d.Len(); i++ {
			if err := r.step(); err != nil {
				return err
			}
			if ok, err := fn(d.keys[i]); !ok || err != nil {
				return err
			}
			if d.Len() != n {
				return newError(PyRuntimeError, "dictionary changed size during iteration")
			}
		}
		return nil
	case KindView:
		view := v.r.(*View)
		n := view.d.Len()
		for i := 0; i < view.d.Len(); i++ {
			if err := r.step(); err != nil {
				return err
			}
			if ok, err := fn(view.at(i)); !ok || err != nil {
				return err
			}
			if view.d.Len() != n {
				return newError(PyRuntimeError, "dictionary changed size during iteration")
			}
		}
		return nil
	case KindString:
		s := v.s
		for len(s) > 0 {
			if err := r.step(); err != nil {
				return err
			}
			_, w := utf8.DecodeRuneInString(s)
			item := String(s[:w]) // iter(Markup) yields str
			s = s[w:]
			if ok, err := fn(item); !ok || err != nil {
				return err
			}
		}
		return nil
	case KindBytes:
		for i := 0; i < len(v.s); i++ {
			if err := r.step(); err != nil {
				return err
			}
			if ok, err := fn(Int(int64(v.s[i]))); !ok || err != nil {
				return err
			}
		}
		return nil
	case KindRange:
		g := v.r.(*Range)
		n := g.Len()
		for i := int64(0); i < n; i++ {
			if err := r.step(); err != nil {
				return err
			}
			if ok, err := fn(g.item(i)); !ok || err != nil {
				return err
			}
		}
		return nil
	case KindIter:
		it := v.r.(*Iter)
		for {
			if err := r.step(); err != nil {
				return err
			}
			item, ok, err := it.Next()
			if err != nil || !ok {
				return err
			}
			if ok, err := fn(item); !ok || err != nil {
				return err
			}
		}
	case KindObject:
		if it, ok := v.r.(iterable); ok {
			return it.iterate(r, fn)
		}
	}
	return typeErrorf("'%s' object is not iterable", v.TypeName())
}

// puller is an iterable Object that is its own iterator: a for loop
// over it draws one item at a time.
type puller interface {
	pull(r *Renderer) func() (Value, bool, error)
}

// iterable is an Object that can be iterated.
type iterable interface {
	iterate(r *Renderer, fn func(Value) (bool, error)) error
}

// toList materialises v (Python's list(v)), counting the memory.
func (r *Renderer) toList(v Value) ([]Value, error) {
	switch v.kind {
	case KindList, KindTuple:
		items := v.r.(*List).Items
		if err := r.allocN(int64(len(items)), valueSize); err != nil {
			return nil, err
		}
		if err := r.work(len(items)); err != nil {
			return nil, err
		}
		return append([]Value(nil), items...), nil
	case KindRange:
		n := v.r.(*Range).Len()
		if err := r.allocN(n, valueSize); err != nil {
			return nil, err
		}
	}
	var out []Value
	err := r.iterate(v, func(item Value) (bool, error) {
		if err := r.alloc(valueSize); err != nil {
			return false, err
		}
		out = append(out, item)
		return true, nil
	})
	if out == nil && err == nil {
		out = []Value{}
	}
	return out, err
}

// items returns the items of v without copying when v is a list or tuple.
func (r *Renderer) items(v Value) ([]Value, error) {
	if v.isSeq() {
		items := v.r.(*List).Items
		return items, r.work(len(items))
	}
	return r.toList(v)
}

// length is Python's len(v).
func (r *Renderer) length(v Value) (int64, error) {
	switch v.kind {
	case KindString:
		return int64(runeCount(v.s)), nil
	case KindBytes:
		return int64(len(v.s)), nil
	case KindList, KindTuple:
		return int64(len(v.r.(*List).Items)), nil
	case KindDict:
		return int64(v.r.(*Dict).Len()), nil
	case KindRange:
		return v.r.(*Range).Len(), nil
	case KindView:
		return int64(v.r.(*View).d.Len()), nil
	case KindUndefined:
		return 0, nil
	case KindObject:
		if n, ok := v.r.(interface{ length() int64 }); ok {
			return n.length(), nil
		}
	}
	return 0, typeErrorf("object of type '%s' has no len()", v.TypeName())
}

// isIterable reports whether iter(v) works (Undefined iterates as empty).
func isIterable(v Value) bool {
	switch v.kind {
	case KindString, KindBytes, KindList, KindTuple, KindDict, KindRange, KindView, KindIter, KindUndefined:
		return true
	case KindObject:
		_, ok := v.r.(iterable)
		return ok
	}
	return false
}

// hasLen reports whether len(v) works.
func hasLen(v Value) bool {
	switch v.kind {
	case KindString, KindBytes, KindList, KindTuple, KindDict, KindRange, KindView, KindUndefined:
		return true
	case KindObject:
		_, ok := v.r.(interface{ length() int64 })
		return ok
	}
	return false
}

// iterator is iter(v) as a pull function: lists, dicts and views are
// iterated live (a dict changing size is an error, as in Python).
func (r *Renderer) iterator(v Value) (func() (Value, bool, error), error) {
	end := func() (Value, bool, error) { return Value{}, false, nil }
	switch v.kind {
	case KindUndefined:
		return end, nil
	case KindList, KindTuple:
		l := v.r.(*List)
		i := 0
		return func() (Value, bool, error) {
			if i >= len(l.Items) {
				return Value{}, false, nil
			}
			i++
			return l.Items[i-1], true, r.step()
		}, nil
	case KindDict, KindView:
		var d *Dict
		at := func(i int) Value { return d.keys[i] }
		if v.kind == KindDict {
			d = v.r.(*Dict)
		} else {
			view := v.r.(*View)
			d, at = view.d, view.at
		}
		n, i := d.Len(), 0
		return func() (Value, bool, error) {
			if d.Len() != n {
				return Value{}, false, newError(PyRuntimeError, "dictionary changed size during iteration")
			}
			if i >= n {
				return Value{}, false, nil
			}
			i++
			return at(i - 1), true, r.step()
		}, nil
	case KindString:
		s := v.s // iter(Markup) yields str
		return func() (Value, bool, error) {
			if s == "" {
				return Value{}, false, nil
			}
			_, w := utf8.DecodeRuneInString(s)
			c := String(s[:w])
			s = s[w:]
			return c, true, r.step()
		}, nil
	case KindRange:
		g := v.r.(*Range)
		n, i := g.Len(), int64(0)
		return func() (Value, bool, error) {
			if i >= n {
				return Value{}, false, nil
			}
			i++
			return g.item(i - 1), true, r.step()
		}, nil
	case KindIter:
		it := v.r.(*Iter)
		return func() (Value, bool, error) {
			if err := r.step(); err != nil {
				return Value{}, false, err
			}
			return it.Next()
		}, nil
	}
	if p, ok := v.r.(puller); ok && v.kind == KindObject {
		return p.pull(r), nil
	}
	items, err := r.toList(v)
	if err != nil {
		return nil, err
	}
	return r.iterator(NewList(items))
}
