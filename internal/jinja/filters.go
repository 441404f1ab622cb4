package jinja

import (
	"math"
	"math/big"
	"math/rand/v2"
	"strconv"
	"strings"

	"github.com/nikolalohinski/gonja/v2/nodes"
)

// Jinja2's builtin filters (jinja2/filters.py), each with its signature,
// its Python semantics and its errors. Every result is counted against the
// render's budget before it is built.

type filterFunc func(r *Renderer, v Value, args []Value, kw []Kwarg) (Value, error)

// filters is filled by the filter files' init functions.
var filters = map[string]filterFunc{}

func register(table map[string]filterFunc, names []string, fn filterFunc) {
	for _, n := range names {
		table[n] = fn
	}
}

// applyFilters pipes v through the filter calls.
func (r *Renderer) applyFilters(v Value, calls []*nodes.FilterCall) (Value, error) {
	for _, f := range calls {
		if err := r.step(); err != nil {
			return Value{}, err
		}
		if r.folding && contextFilters[f.Name] {
			return Value{}, errImpossible
		}
		args, kw, err := r.evalArgs(&f.Args)
		if err != nil {
			return Value{}, err
		}
		if v, err = r.callFilter(f.Name, v, args, kw); err != nil {
			return Value{}, err
		}
	}
	return v, nil
}

// callFilter applies the filter name.
func (r *Renderer) callFilter(name string, v Value, args []Value, kw []Kwarg) (Value, error) {
	fn, ok := filters[name]
	if !ok {
		return Value{}, newError(RuntimeError, "No filter named %s found.", pyQuote(name))
	}
	return fn(r, v, args, kw)
}

// simple registers a filter of a fixed signature.
func simple(s *signature, fn func(r *Renderer, v Value, a []Value) (Value, error)) filterFunc {
	return func(r *Renderer, v Value, args []Value, kw []Kwarg) (Value, error) {
		a, err := s.bind(args, kw)
		if err != nil {
			return Value{}, err
		}
		return fn(r, v, a)
	}
}

// attrPath is Jinja2's _prepare_attribute_parts: a dotted path whose
// all-digit parts are indices, or one int.
func attrPath(attr Value) []Value {
	switch attr.kind {
	case KindNone:
		return nil
	case KindString:
		parts := strings.Split(attr.s, ".")
		out := make([]Value, len(parts))
		for i, p := range parts {
			if p != "" && strings.Trim(p, "0123456789") == "" {
				n, _ := parseIntText(p)
				out[i] = n
			} else {
				out[i] = String(p)
			}
		}
		return out
	}
	return []Value{attr}
}

// attrGetter is Jinja2's make_attrgetter: item lookups along the path,
// Undefined replaced by def (when not None), strings lower-cased when
// lower is set.
func (r *Renderer) attrGetter(attr Value, lower bool, def Value) func(Value) (Value, error) {
	parts := attrPath(attr)
	return func(item Value) (Value, error) {
		var err error
		for _, p := range parts {
			if item, err = r.getitem(item, p); err != nil {
				return Value{}, err
			}
			if def.kind != KindNone && def.kind != KindUndefined && item.kind == KindUndefined {
				item = def
			}
		}
		if lower && item.kind == KindString {
			item = String(pyLower(item.s))
		}
		return item, nil
	}
}

// multiAttrGetter is make_multi_attrgetter: comma-separated paths give a
// list of values to sort by.
func (r *Renderer) multiAttrGetter(attr Value, lower bool) func(Value) (Value, error) {
	if attr.kind != KindString {
		g := r.attrGetter(attr, lower, None)
		if attr.kind == KindNone {
			return func(item Value) (Value, error) {
				v, err := g(item)
				return NewList([]Value{v}), err
			}
		}
		return func(item Value) (Value, error) {
			v, err := g(item)
			return NewList([]Value{v}), err
		}
	}
	var getters []func(Value) (Value, error)
	for _, part := range strings.Split(attr.s, ",") {
		getters = append(getters, r.attrGetter(String(part), lower, None))
	}
	return func(item Value) (Value, error) {
		out := make([]Value, len(getters))
		for i, g := range getters {
			v, err := g(item)
			if err != nil {
				return Value{}, err
			}
			out[i] = v
		}
		return NewList(out), nil
	}
}

func init() {
	register(filters, []string{"abs"}, simple(sig("abs"), func(r *Renderer, v Value, _ []Value) (Value, error) {
		switch v.kind {
		case KindInt, KindBool:
			if v.isBig() {
				return BigInt(new(big.Int).Abs(v.Big())), nil
			}
			if v.i < 0 {
				return r.intAdd(Int(0), v, true)
			}
			return Int(v.i), nil
		case KindFloat:
			return Float(math.Abs(v.FloatVal())), nil
		case KindComplex:
			c := v.complex()
			return Float(math.Hypot(real(c), imag(c))), nil
		}
		return Value{}, typeErrorf("bad operand type for abs(): '%s'", v.TypeName())
	}))
	register(filters, []string{"attr"}, simple(sig("do_attr", req("name")), func(r *Renderer, v Value, a []Value) (Value, error) {
		if v.kind == KindUndefined {
			return Value{}, undefinedError(v)
		}
		name, err := strArg("attr", a[0])
		if err != nil {
			return Value{}, typeErrorf("attribute name must be string, not '%s'", a[0].TypeName())
		}
		if unsafeAttr(name) {
			return unsafeUndefined(v, name), nil
		}
		if v.kind == KindDict && dictMethods[name] == nil {
			return undefinedAttr(v, name), nil
		}
		if got, ok, err := r.pyAttr(v, name); err != nil || ok {
			return got, err
		}
		return undefinedAttr(v, name), nil
	}))
	register(filters, []string{"default", "d"}, simple(sig("do_default", opt("default_value", String("")), opt("boolean", False)),
		func(r *Renderer, v Value, a []Value) (Value, error) {
			if v.kind == KindUndefined || a[1].Truth() && !v.Truth() {
				return a[0], nil
			}
			return v, nil
		}))
	register(filters, []string{"first"}, simple(sig("sync_do_first"), func(r *Renderer, v Value, _ []Value) (Value, error) {
		var first Value
		found := false
		err := r.iterate(v, func(item Value) (bool, error) {
			first, found = item, true
			return false, nil
		})
		if err != nil {
			return Value{}, err
		}
		if !found {
			return undefinedHint("No first item, sequence was empty."), nil
		}
		return first, nil
	}))
	register(filters, []string{"last"}, simple(sig("do_last"), func(r *Renderer, v Value, _ []Value) (Value, error) {
		switch v.kind {
		case KindIter, KindObject:
			return Value{}, typeErrorf("'%s' object is not reversible", v.TypeName())
		}
		items, err := r.items(v)
		if err != nil {
			return Value{}, err
		}
		if len(items) == 0 {
			return undefinedHint("No last item, sequence was empty."), nil
		}
		return items[len(items)-1], nil
	}))
	register(filters, []string{"length", "count"}, simple(sig("length"), func(r *Renderer, v Value, _ []Value) (Value, error) {
		n, err := r.length(v)
		return Int(n), err
	}))
	register(filters, []string{"list"}, simple(sig("sync_do_list"), func(r *Renderer, v Value, _ []Value) (Value, error) {
		items, err := r.toList(v)
		return NewList(items), err
	}))
	register(filters, []string{"string"}, simple(sig("soft_str"), func(r *Renderer, v Value, _ []Value) (Value, error) {
		if v.kind == KindString {
			return v, nil
		}
		s, err := r.str(v)
		return String(s), err
	}))
	register(filters, []string{"safe"}, simple(sig("do_mark_safe"), func(r *Renderer, v Value, _ []Value) (Value, error) {
		s, err := r.str(v)
		return Markup(s), err
	}))
	register(filters, []string{"escape", "e"}, simple(sig("escape"), func(r *Renderer, v Value, _ []Value) (Value, error) {
		s, err := r.escape(v)
		return Markup(s), err
	}))
	register(filters, []string{"forceescape"}, simple(sig("do_forceescape"), func(r *Renderer, v Value, _ []Value) (Value, error) {
		s, err := r.str(v)
		if err != nil {
			return Value{}, err
		}
		return Markup(escapeHTML(s)), r.alloc(int64(len(s)))
	}))
	register(filters, []string{"float"}, simple(sig("do_float", opt("default", Float(0))), func(r *Renderer, v Value, a []Value) (Value, error) {
		switch v.kind {
		case KindUndefined:
			return Value{}, undefinedError(v)
		case KindFloat:
			return v, nil
		case KindInt, KindBool:
			f, err := toFloat(v)
			if err != nil {
				return Value{}, err
			}
			return Float(f), nil
		case KindString:
			if f, ok := parseFloatText(v.s); ok {
				return Float(f), nil
			}
		}
		return a[0], nil
	}))
	register(filters, []string{"int"}, simple(sig("do_int", opt("default", Int(0)), opt("base", Int(10))), filterInt))
	register(filters, []string{"items"}, simple(sig("do_items"), func(r *Renderer, v Value, _ []Value) (Value, error) {
		switch v.kind {
		case KindUndefined:
			return sliceIter("generator", nil), nil
		case KindDict:
			items, err := (&View{d: v.r.(*Dict), which: 'i'}).items(r)
			return sliceIter("generator", items), err
		}
		return Value{}, typeErrorf("Can only get item pairs from a mapping.")
	}))
	register(filters, []string{"random"}, simple(sig("do_random"), func(r *Renderer, v Value, _ []Value) (Value, error) {
		// random.choice(seq): seq[randbelow(len(seq))], so a dict is
		// indexed by an int key.
		n, err := r.length(v)
		if err != nil {
			return Value{}, err
		}
		if n == 0 {
			return undefinedHint("No random item, sequence was empty."), nil
		}
		key := Int(rand.Int64N(n))
		if d := v.Dict(); d != nil {
			item, ok, err := d.Get(key)
			if err == nil && !ok {
				err = newError(KeyError, "%d", key.i)
			}
			return item, err
		}
		item, ok, err := r.item(v, key)
		if err == nil && !ok {
			err = newError(IndexError, "index out of range")
		}
		return item, err
	}))
	register(filters, []string{"round"}, simple(sig("do_round", opt("precision", Int(0)), opt("method", String("common"))), filterRound))
}

var _ = strconv.Itoa
