package jinja

import (
	"slices"
)

// Sequence filters. map, select, reject, selectattr, rejectattr, batch,
// slice and unique are lazy generators, as in Jinja2: their work happens
// (and is counted) item by item as they are consumed.

func init() {
	register(filters, []string{"join"}, simple(sig("sync_do_join", opt("d", String("")), optNone("attribute")), filterJoin))
	// Jinja2's generator filters run nothing until the first item is
	// asked for: (none | unique) is defined, ([1] | map('nosuch')) is a
	// generator, the error comes with | list. Python binds a generator
	// function's declared arguments at the call (batch, slice, unique).
	register(filters, []string{"map"}, deferred(filterMap))
	register(filters, []string{"select"}, deferred(selectFilter(false, false)))
	register(filters, []string{"reject"}, deferred(selectFilter(true, false)))
	register(filters, []string{"selectattr"}, deferred(selectFilter(false, true)))
	register(filters, []string{"rejectattr"}, deferred(selectFilter(true, true)))
	register(filters, []string{"batch"}, simple(sig("do_batch", req("linecount"), optNone("fill_with")), deferredSimple(filterBatch)))
	register(filters, []string{"slice"}, simple(sig("sync_do_slice", req("slices"), optNone("fill_with")), deferredSimple(filterSlice)))
	register(filters, []string{"unique"}, simple(sig("do_unique", opt("case_sensitive", False), optNone("attribute")), deferredSimple(filterUnique)))
	register(filters, []string{"reverse"}, simple(sig("do_reverse"), filterReverse))
	register(filters, []string{"sort"}, simple(sig("do_sort", opt("reverse", False), opt("case_sensitive", False), optNone("attribute")),
		func(r *Renderer, v Value, a []Value) (Value, error) {
			items, err := r.toList(v)
			if err != nil {
				return Value{}, err
			}
			if err := reverseArg(a[0]); err != nil {
				return Value{}, err
			}
			err = r.sortBy(items, r.multiAttrGetter(a[2], !a[1].Truth()), a[0].Truth())
			return NewList(items), err
		}))
	register(filters, []string{"dictsort"}, simple(sig("do_dictsort", opt("case_sensitive", False), opt("by", String("key")), opt("reverse", False)),
		func(r *Renderer, v Value, a []Value) (Value, error) {
			pos := 0
			switch {
			case a[1].kind == KindString && a[1].s == "key":
			case a[1].kind == KindString && a[1].s == "value":
				pos = 1
			default:
				return Value{}, newError(FilterArgError, `You can only sort by either "key" or "value"`)
			}
			d := v.Dict()
			if d == nil {
				return Value{}, r.noAttr(v, "items")
			}
			items, err := (&View{d: d, which: 'i'}).items(r)
			if err != nil {
				return Value{}, err
			}
			if err := reverseArg(a[2]); err != nil {
				return Value{}, err
			}
			lower := !a[0].Truth()
			err = r.sortBy(items, func(it Value) (Value, error) {
				x := it.r.(*List).Items[pos]
				if lower && x.kind == KindString {
					x = String(pyLower(x.s))
				}
				return x, nil
			}, a[2].Truth())
			return NewList(items), err
		}))
	register(filters, []string{"min"}, minMaxFilter("do_min", false))
	register(filters, []string{"max"}, minMaxFilter("do_max", true))
	register(filters, []string{"sum"}, simple(sig("sync_do_sum", optNone("attribute"), opt("start", Int(0))), filterSum))
	register(filters, []string{"groupby"}, simple(sig("sync_do_groupby", req("attribute"), optNone("default"), opt("case_sensitive", False)), filterGroupby))
}

func filterJoin(r *Renderer, v Value, a []Value) (Value, error) {
	if !r.autoescape {
		return r.joinLazy(v, a)
	}
	items, err := r.items(v)
	if err != nil {
		return Value{}, err
	}
	if a[1].kind != KindNone {
		get := r.attrGetter(a[1], false, None)
		mapped := make([]Value, len(items))
		for i, it := range items {
			if mapped[i], err = get(it); err != nil {
				return Value{}, err
			}
		}
		items = mapped
	}
	sep, err := r.str(a[0])
	if err != nil {
		return Value{}, err
	}
	markup := false
	if r.autoescape {
		markup = a[0].IsSafe()
		for _, it := range items {
			markup = markup || it.IsSafe()
		}
		if markup && !a[0].IsSafe() {
			sep = escapeHTML(sep)
		}
	}
	parts := make([]string, len(items))
	total := int64(len(sep)) * int64(max(len(items)-1, 0))
	if err := r.alloc(total); err != nil {
		return Value{}, err
	}
	for i, it := range items {
		var s string
		if markup {
			s, err = r.escape(it)
		} else {
			s, err = r.str(it)
		}
		if err != nil {
			return Value{}, err
		}
		parts[i] = s
		if err := r.alloc(int64(len(s))); err != nil {
			return Value{}, err
		}
		total += int64(len(s))
	}
	if err := r.workBytes(int(total)); err != nil {
		return Value{}, err
	}
	out := joinStrings(parts, sep, int(total))
	if markup {
		return Markup(out), nil
	}
	return String(out), nil
}

// joinLazy is do_join without autoescape: str(d).join(map(str, value)),
// each item taken (and its attribute read) and made a str in turn, so a
// LoopContext advances between them.
func (r *Renderer) joinLazy(v Value, a []Value) (Value, error) {
	sep, err := r.str(a[0])
	if err != nil {
		return Value{}, err
	}
	var get func(Value) (Value, error)
	if a[1].kind != KindNone {
		get = r.attrGetter(a[1], false, None)
	}
	var parts []string
	total := int64(0)
	err = r.iterate(v, func(it Value) (bool, error) {
		if get != nil {
			var err error
			if it, err = get(it); err != nil {
				return false, err
			}
		}
		s, err := r.str(it)
		if err != nil {
			return false, err
		}
		if len(parts) > 0 {
			total += int64(len(sep))
		}
		total += int64(len(s))
		if err := r.alloc(int64(len(s) + len(sep))); err != nil {
			return false, err
		}
		parts = append(parts, s)
		return true, nil
	})
	if err != nil {
		return Value{}, err
	}
	if err := r.workBytes(int(total)); err != nil {
		return Value{}, err
	}
	return String(joinStrings(parts, sep, int(total))), nil
}

// lazyMap is a generator of fn(item) over v's items, taken from v one
// at a time as the generator is advanced (a LoopContext advances with it).
func (r *Renderer) lazyMap(v Value, fn func(Value) (Value, bool, error)) (Value, error) {
	if !v.Truth() {
		return newIter("generator", func() (Value, bool, error) { return Value{}, false, nil }), nil
	}
	return r.lazyMapAll(v, fn)
}

func filterMap(r *Renderer, v Value, args []Value, kw []Kwarg) (Value, error) {
	var fn func(Value) (Value, error)
	if len(args) == 0 && len(kw) > 0 && kw[0].Name == "attribute" || len(args) == 0 && hasKw(kw, "attribute") {
		attr, def := kwValue(kw, "attribute"), kwValue(kw, "default")
		for _, k := range kw {
			if k.Name != "attribute" && k.Name != "default" {
				return Value{}, newError(FilterArgError, "Unexpected keyword argument %s", pyQuote(k.Name))
			}
		}
		if def.kind == KindUndefined {
			def = None
		}
		fn = r.attrGetter(attr, false, def)
	} else {
		if len(args) == 0 {
			return Value{}, newError(FilterArgError, "map requires a filter argument")
		}
		name, rest := args[0], args[1:]
		fn = func(item Value) (Value, error) {
			if name.kind != KindString {
				return Value{}, newError(RuntimeError, "No filter named %s.", r.mustRepr(name))
			}
			return r.callFilter(name.s, item, rest, kw)
		}
	}
	return r.lazyMap(v, func(it Value) (Value, bool, error) {
		out, err := fn(it)
		return out, true, err
	})
}

func (r *Renderer) mustRepr(v Value) string {
	s, err := r.repr(v)
	if err != nil {
		return v.TypeName()
	}
	return s
}

func hasKw(kw []Kwarg, name string) bool {
	for _, k := range kw {
		if k.Name == name {
			return true
		}
	}
	return false
}

func kwValue(kw []Kwarg, name string) Value {
	for _, k := range kw {
		if k.Name == name {
			return k.Value
		}
	}
	return Value{}
}

// selectFilter is select, reject, selectattr and rejectattr.
func selectFilter(reject, byAttr bool) filterFunc {
	return func(r *Renderer, v Value, args []Value, kw []Kwarg) (Value, error) {
		trans := func(x Value) (Value, error) { return x, nil }
		off := 0
		if byAttr {
			if len(args) == 0 {
				return Value{}, newError(FilterArgError, "Missing parameter for attribute name")
			}
			trans = r.attrGetter(args[0], false, None)
			off = 1
		}
		var test func(Value) (bool, error)
		if len(args) > off {
			name, rest := args[off], args[off+1:]
			test = func(x Value) (bool, error) { return r.callTest(name, x, rest, kw) }
		} else {
			test = func(x Value) (bool, error) { return x.Truth(), nil }
		}
		return r.lazyMap(v, func(it Value) (Value, bool, error) {
			x, err := trans(it)
			if err != nil {
				return Value{}, false, err
			}
			ok, err := test(x)
			return it, ok != reject, err
		})
	}
}

func filterUnique(r *Renderer, v Value, a []Value) (Value, error) {
	get := r.attrGetter(a[1], !a[0].Truth(), None)
	seen := map[hashKey]bool{}
	return r.lazyMapAll(v, func(it Value) (Value, bool, error) {
		k, err := get(it)
		if err != nil {
			return Value{}, false, err
		}
		hk, err := keyOf(k)
		if err != nil {
			return Value{}, false, err
		}
		if seen[hk] {
			return Value{}, false, nil
		}
		seen[hk] = true
		return it, true, nil
	})
}

// lazyMapAll is lazyMap without Jinja2's "if value:" shortcut.
func (r *Renderer) lazyMapAll(v Value, fn func(Value) (Value, bool, error)) (Value, error) {
	next, err := r.iterator(v)
	if err != nil {
		return Value{}, err
	}
	return newIter("generator", func() (Value, bool, error) {
		for {
			it, ok, err := next()
			if err != nil || !ok {
				return Value{}, false, err
			}
			if err := r.step(); err != nil {
				return Value{}, false, err
			}
			out, keep, err := fn(it)
			if err != nil || keep {
				return out, keep, err
			}
		}
	}), nil
}

func filterReverse(r *Renderer, v Value, _ []Value) (Value, error) {
	switch v.kind {
	case KindString:
		runes := []rune(v.s)
		slices.Reverse(runes)
		return Value{kind: KindString, s: string(runes), safe: v.safe}, r.alloc(int64(len(v.s)))
	case KindList, KindTuple, KindRange, KindDict, KindUndefined:
		items, err := r.toList(v)
		if err != nil {
			return Value{}, err
		}
		slices.Reverse(items)
		name := map[Kind]string{KindList: "list_reverseiterator", KindTuple: "reversed", KindRange: "range_iterator",
			KindDict: "dict_reversekeyiterator", KindUndefined: "reversed"}[v.kind]
		return sliceIter(name, items), nil
	}
	items, err := r.toList(v)
	if err != nil {
		return Value{}, newError(FilterArgError, "argument must be iterable")
	}
	slices.Reverse(items)
	return NewList(items), nil
}

func minMaxFilter(name string, isMax bool) filterFunc {
	return simple(sig(name, opt("case_sensitive", False), optNone("attribute")), func(r *Renderer, v Value, a []Value) (Value, error) {
		// max(iter(value), key=...): each item's key is taken as the
		// item is (a LoopContext advances between them).
		key := r.attrGetter(a[1], !a[0].Truth(), None)
		var best, bestKey Value
		seen := false
		err := r.iterate(v, func(it Value) (bool, error) {
			k, err := key(it)
			if err != nil {
				return false, err
			}
			if !seen {
				best, bestKey, seen = it, k, true
				return true, nil
			}
			var c cmpResult
			if isMax {
				c, err = r.order(bestKey, k, "lt", 0)
			} else {
				c, err = r.order(k, bestKey, "lt", 0)
			}
			if err != nil {
				return false, err
			}
			if c == cmpLess {
				best, bestKey = it, k
			}
			return true, nil
		})
		if err != nil {
			return Value{}, err
		}
		if !seen {
			return undefinedHint("No aggregated item, sequence was empty."), nil
		}
		return best, nil
	})
}

func filterSum(r *Renderer, v Value, a []Value) (Value, error) {
	// sum(map(getter, iter(value)), start): the iterator first, then the
	// start checked, then each item read and added as it is taken.
	next, err := r.iterator(v)
	if err != nil {
		return Value{}, err
	}
	get := func(x Value) (Value, error) { return x, nil }
	if a[0].kind != KindNone {
		get = r.attrGetter(a[0], false, None)
	}
	acc := a[1]
	if acc.kind == KindString {
		return Value{}, typeErrorf("sum() can't sum strings [use ''.join(seq) instead]")
	}
	for {
		it, ok, err := next()
		if err != nil {
			return Value{}, err
		}
		if !ok {
			return acc, nil
		}
		if err := r.step(); err != nil {
			return Value{}, err
		}
		x, err := get(it)
		if err != nil {
			return Value{}, err
		}
		if acc, err = r.binop("+", acc, x); err != nil {
			return Value{}, err
		}
	}
}

// deferred makes a generator filter lazy: its work, errors included,
// happens when the generator is first advanced.
func deferred(fn filterFunc) filterFunc {
	return func(r *Renderer, v Value, args []Value, kw []Kwarg) (Value, error) {
		return deferIter(r, func() (Value, error) { return fn(r, v, args, kw) }), nil
	}
}

func deferredSimple(fn func(r *Renderer, v Value, a []Value) (Value, error)) func(r *Renderer, v Value, a []Value) (Value, error) {
	return func(r *Renderer, v Value, a []Value) (Value, error) {
		return deferIter(r, func() (Value, error) { return fn(r, v, a) }), nil
	}
}

func deferIter(r *Renderer, start func() (Value, error)) Value {
	var next func() (Value, bool, error)
	return newIter("generator", func() (Value, bool, error) {
		if next == nil {
			g, err := start()
			if err != nil {
				return Value{}, false, err
			}
			if next, err = r.iterator(g); err != nil {
				return Value{}, false, err
			}
		}
		return next()
	})
}

// reverseArg checks sorted()'s reverse: an int or bool, as Python parses it.
func reverseArg(v Value) error {
	if !v.isIntLike() {
		return typeErrorf("'%s' object cannot be interpreted as an integer", v.TypeName())
	}
	return nil
}
