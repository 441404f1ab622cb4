package jinja

import (
	"html"
	"math"
	"math/big"
	"slices"
	"strconv"
	"strings"
)

// The methods of list, tuple, dict, int, float and range that the sandbox
// allows. Mutating methods (append, update, pop, ...) change the value in
// place, as in Jinja2's SandboxedEnvironment; what they add is counted
// against the memory budget.

var (
	listMethods  = map[string]method{}
	tupleMethods = map[string]method{}
	dictMethods  = map[string]method{}
	intMethods   = map[string]method{}
	floatMethods = map[string]method{}
	rangeMethods = map[string]method{}
)

func htmlUnescape(s string) string { return html.UnescapeString(s) }

// withSig wraps fn with a signature.
func withSig(s *signature, fn func(r *Renderer, self Value, a []Value) (Value, error)) method {
	return func(r *Renderer, self Value, args []Value, kw []Kwarg) (Value, error) {
		if len(kw) > 0 {
			return Value{}, typeErrorf("%s() takes no keyword arguments", s.name)
		}
		a, err := s.bind(args, nil)
		if err != nil {
			return Value{}, err
		}
		return fn(r, self, a)
	}
}

func seqIndexOf(r *Renderer, items []Value, x Value, a []Value, what string) (Value, error) {
	n := int64(len(items))
	start, stop, _, err := sliceIndices(&Slice{start: a[0], stop: a[1], step: None}, n)
	if err != nil {
		return Value{}, err
	}
	for i := start; i < stop; i++ {
		if err := r.step(); err != nil {
			return Value{}, err
		}
		if eq, err := r.equal(items[i], x, 0); err != nil || eq {
			return Int(i), err
		}
	}
	return Value{}, valueErrorf("%s", what)
}

func seqCount(r *Renderer, items []Value, x Value) (Value, error) {
	n := int64(0)
	for _, it := range items {
		if err := r.step(); err != nil {
			return Value{}, err
		}
		eq, err := r.equal(it, x, 0)
		if err != nil {
			return Value{}, err
		}
		if eq {
			n++
		}
	}
	return Int(n), nil
}

func init() {
	l := func(v Value) *List { return v.r.(*List) }
	listMethods["append"] = withSig(sig("append", req("object")), func(r *Renderer, self Value, a []Value) (Value, error) {
		if err := r.alloc(valueSize); err != nil {
			return Value{}, err
		}
		l(self).Items = append(l(self).Items, a[0])
		return None, nil
	})
	listMethods["extend"] = withSig(sig("extend", req("iterable")), func(r *Renderer, self Value, a []Value) (Value, error) {
		items, err := r.toList(a[0])
		if err != nil {
			return Value{}, err
		}
		l(self).Items = append(l(self).Items, items...)
		return None, nil
	})
	listMethods["insert"] = withSig(sig("insert", req("index"), req("object")), func(r *Renderer, self Value, a []Value) (Value, error) {
		i, err := intArg("insert", "index", a[0])
		if err != nil {
			return Value{}, err
		}
		if err := r.alloc(valueSize); err != nil {
			return Value{}, err
		}
		items := l(self).Items
		n := int64(len(items))
		if i < 0 {
			i = max(i+n, 0)
		}
		i = min(i, n)
		l(self).Items = slices.Insert(items, int(i), a[1])
		return None, r.work(len(items))
	})
	listMethods["pop"] = withSig(sig("pop", opt("index", Int(-1))), func(r *Renderer, self Value, a []Value) (Value, error) {
		items := l(self).Items
		if len(items) == 0 {
			return Value{}, newError(IndexError, "pop from empty list")
		}
		i, err := intArg("pop", "index", a[0])
		if err != nil {
			return Value{}, err
		}
		if i < 0 {
			i += int64(len(items))
		}
		if i < 0 || i >= int64(len(items)) {
			return Value{}, newError(IndexError, "pop index out of range")
		}
		v := items[i]
		l(self).Items = slices.Delete(items, int(i), int(i)+1)
		return v, nil
	})
	listMethods["remove"] = withSig(sig("remove", req("value")), func(r *Renderer, self Value, a []Value) (Value, error) {
		items := l(self).Items
		for i, it := range items {
			if eq, err := r.equal(it, a[0], 0); err != nil || eq {
				if eq {
					l(self).Items = slices.Delete(items, i, i+1)
				}
				return None, err
			}
		}
		return Value{}, valueErrorf("list.remove(x): x not in list")
	})
	listMethods["clear"] = withSig(sig("clear"), func(r *Renderer, self Value, _ []Value) (Value, error) {
		l(self).Items = l(self).Items[:0]
		return None, nil
	})
	listMethods["copy"] = withSig(sig("copy"), func(r *Renderer, self Value, _ []Value) (Value, error) {
		items, err := r.toList(self)
		return NewList(items), err
	})
	listMethods["reverse"] = withSig(sig("reverse"), func(r *Renderer, self Value, _ []Value) (Value, error) {
		slices.Reverse(l(self).Items)
		return None, r.work(len(l(self).Items))
	})
	listMethods["sort"] = func(r *Renderer, self Value, args []Value, kw []Kwarg) (Value, error) {
		if len(args) > 0 {
			return Value{}, typeErrorf("sort() takes no positional arguments")
		}
		a, err := sig("sort", optNone("key"), opt("reverse", False)).bind(nil, kw)
		if err != nil {
			return Value{}, err
		}
		key := func(v Value) (Value, error) { return v, nil }
		if a[0].kind != KindNone {
			fn := a[0]
			key = func(v Value) (Value, error) { return r.call(fn, []Value{v}, nil) }
		}
		return None, r.sortBy(l(self).Items, key, a[1].Truth())
	}
	for _, t := range []map[string]method{listMethods, tupleMethods} {
		t["index"] = withSig(sig("index", req("value"), opt("start", Int(0)), opt("stop", Int(math.MaxInt64))), func(r *Renderer, self Value, a []Value) (Value, error) {
			return seqIndexOf(r, l(self).Items, a[0], a[1:], "tuple.index(x): x not in tuple")
		})
		t["count"] = withSig(sig("count", req("value")), func(r *Renderer, self Value, a []Value) (Value, error) {
			return seqCount(r, l(self).Items, a[0])
		})
	}
	dictInit()
	numInit()
}

func dictInit() {
	d := func(v Value) *Dict { return v.r.(*Dict) }
	view := func(which byte) method {
		return withSig(sig("view"), func(r *Renderer, self Value, _ []Value) (Value, error) {
			return Value{kind: KindView, r: &View{d: d(self), which: which}}, nil
		})
	}
	dictMethods["keys"], dictMethods["values"], dictMethods["items"] = view('k'), view('v'), view('i')
	dictMethods["get"] = withSig(sig("get", req("key"), optNone("default")), func(r *Renderer, self Value, a []Value) (Value, error) {
		v, ok, err := d(self).Get(a[0])
		if err != nil || ok {
			return v, err
		}
		return a[1], nil
	})
	dictMethods["pop"] = withSig(sig("pop", req("key"), param{name: "default", def: Value{kind: KindUndefined, s: "\x00"}}), func(r *Renderer, self Value, a []Value) (Value, error) {
		v, ok, err := d(self).Delete(a[0])
		if err != nil || ok {
			return v, err
		}
		if a[1].kind == KindUndefined && a[1].s == "\x00" {
			k, _ := r.repr(a[0])
			return Value{}, newError(KeyError, "%s", k)
		}
		return a[1], nil
	})
	dictMethods["popitem"] = withSig(sig("popitem"), func(r *Renderer, self Value, _ []Value) (Value, error) {
		dd := d(self)
		if dd.Len() == 0 {
			return Value{}, newError(KeyError, "'popitem(): dictionary is empty'")
		}
		k := dd.keys[dd.Len()-1]
		v, _, _ := dd.Delete(k)
		return NewTuple([]Value{k, v}), nil
	})
	dictMethods["setdefault"] = withSig(sig("setdefault", req("key"), optNone("default")), func(r *Renderer, self Value, a []Value) (Value, error) {
		v, ok, err := d(self).Get(a[0])
		if err != nil || ok {
			return v, err
		}
		if err := r.alloc(2 * valueSize); err != nil {
			return Value{}, err
		}
		return a[1], d(self).Set(a[0], a[1])
	})
	dictMethods["update"] = func(r *Renderer, self Value, args []Value, kw []Kwarg) (Value, error) {
		src, err := r.makeDict("update", args, kw)
		if err != nil {
			return Value{}, err
		}
		for i, k := range src.keys {
			if err := d(self).Set(k, src.vals[i]); err != nil {
				return Value{}, err
			}
		}
		return None, nil
	}
	dictMethods["clear"] = withSig(sig("clear"), func(r *Renderer, self Value, _ []Value) (Value, error) {
		d(self).Clear()
		return None, nil
	})
	dictMethods["copy"] = withSig(sig("copy"), func(r *Renderer, self Value, _ []Value) (Value, error) {
		if err := r.allocN(int64(d(self).Len()), 2*valueSize); err != nil {
			return Value{}, err
		}
		return DictValue(d(self).Copy()), nil
	})
	dictMethods["fromkeys"] = withSig(sig("fromkeys", req("iterable"), optNone("value")), func(r *Renderer, self Value, a []Value) (Value, error) {
		keys, err := r.toList(a[0])
		if err != nil {
			return Value{}, err
		}
		out := NewDict(len(keys))
		for _, k := range keys {
			if err := out.Set(k, a[1]); err != nil {
				return Value{}, err
			}
		}
		return DictValue(out), r.allocN(int64(len(keys)), 2*valueSize)
	})
}

func numInit() {
	intMethods["bit_length"] = withSig(sig("bit_length"), func(r *Renderer, self Value, _ []Value) (Value, error) {
		return Int(int64(intBits(self))), nil
	})
	intMethods["bit_count"] = withSig(sig("bit_count"), func(r *Renderer, self Value, _ []Value) (Value, error) {
		b := new(big.Int).Abs(self.Big())
		n := 0
		for _, w := range b.Bits() {
			for ; w != 0; w &= w - 1 {
				n++
			}
		}
		return Int(int64(n)), nil
	})
	intMethods["conjugate"] = withSig(sig("conjugate"), func(r *Renderer, self Value, _ []Value) (Value, error) {
		return Value{kind: KindInt, i: self.i, r: self.r}, nil
	})
	intMethods["as_integer_ratio"] = withSig(sig("as_integer_ratio"), func(r *Renderer, self Value, _ []Value) (Value, error) {
		return NewTuple([]Value{{kind: KindInt, i: self.i, r: self.r}, Int(1)}), nil
	})
	floatMethods["is_integer"] = withSig(sig("is_integer"), func(r *Renderer, self Value, _ []Value) (Value, error) {
		f := self.FloatVal()
		return Bool(f == math.Trunc(f) && !math.IsInf(f, 0)), nil
	})
	floatMethods["conjugate"] = withSig(sig("conjugate"), func(r *Renderer, self Value, _ []Value) (Value, error) { return self, nil })
	floatMethods["hex"] = withSig(sig("hex"), func(r *Renderer, self Value, _ []Value) (Value, error) {
		return String(floatHex(self.FloatVal())), nil
	})
	floatMethods["as_integer_ratio"] = withSig(sig("as_integer_ratio"), func(r *Renderer, self Value, _ []Value) (Value, error) {
		f := self.FloatVal()
		if math.IsInf(f, 0) {
			return Value{}, newError(OverflowError, "cannot convert Infinity to integer ratio")
		}
		if math.IsNaN(f) {
			return Value{}, valueErrorf("cannot convert NaN to integer ratio")
		}
		q := new(big.Rat).SetFloat64(f)
		return NewTuple([]Value{BigInt(q.Num()), BigInt(q.Denom())}), nil
	})
	rangeMethods["index"] = withSig(sig("index", req("value")), func(r *Renderer, self Value, a []Value) (Value, error) {
		g := self.r.(*Range)
		ok, err := r.contains(self, a[0])
		if err != nil || !ok {
			return Value{}, valueErrorf("%s is not in range", r.mustRepr(a[0]))
		}
		v := a[0]
		if v.kind == KindFloat {
			b, _ := bigFromFloat(v.FloatVal())
			v = BigInt(b)
		}
		i, _ := g.rel(v)
		return Int((i - g.start) / g.step), nil
	})
	rangeMethods["count"] = withSig(sig("count", req("value")), func(r *Renderer, self Value, a []Value) (Value, error) {
		ok, err := r.contains(self, a[0])
		if ok {
			return Int(1), err
		}
		return Int(0), err
	})
}

// floatHex is Python's float.hex.
func floatHex(f float64) string {
	switch {
	case math.IsInf(f, 1):
		return "inf"
	case math.IsInf(f, -1):
		return "-inf"
	case math.IsNaN(f):
		return "nan"
	case f == 0:
		if math.Signbit(f) {
			return "-0x0.0p+0"
		}
		return "0x0.0p+0"
	}
	s := strconv.FormatFloat(f, 'x', 13, 64)
	mant, exp, _ := strings.Cut(s, "p")
	n, _ := strconv.Atoi(exp)
	return mant + "p" + map[bool]string{true: "+", false: "-"}[n >= 0] + strconv.Itoa(absInt(n))
}
