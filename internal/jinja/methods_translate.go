package jinja

import "strings"

// str.maketrans and str.translate.

func init() {
	strMethods["maketrans"] = func(r *Renderer, self Value, args []Value, kw []Kwarg) (Value, error) {
		if len(kw) > 0 {
			return Value{}, typeErrorf("maketrans() takes no keyword arguments")
		}
		if len(args) == 0 || len(args) > 3 {
			return Value{}, typeErrorf("maketrans() takes at least 1 argument (%d given)", len(args))
		}
		d := NewDict(0)
		if len(args) == 1 {
			src := args[0].Dict()
			if src == nil {
				return Value{}, typeErrorf("if you give only one argument to maketrans it must be a dict")
			}
			for i, k := range src.keys {
				switch {
				case k.kind == KindString && runeCount(k.s) == 1:
					k = Int(int64([]rune(k.s)[0]))
				case k.kind == KindString:
					return Value{}, valueErrorf("string keys in translate table must be of length 1")
				case !k.isIntLike():
					return Value{}, typeErrorf("keys in translate table must be strings or integers")
				}
				if err := d.Set(k, src.vals[i]); err != nil {
					return Value{}, err
				}
			}
			return DictValue(d), r.allocN(int64(d.Len()), 2*valueSize)
		}
		for i, a := range args {
			if a.kind != KindString {
				return Value{}, typeErrorf("maketrans() argument %d must be str, not %s", i+1, a.TypeName())
			}
		}
		from, to := []rune(args[0].s), []rune(args[1].s)
		if len(from) != len(to) {
			return Value{}, valueErrorf("the first two maketrans arguments must have equal length")
		}
		if err := r.allocN(int64(len(from)), 2*valueSize); err != nil {
			return Value{}, err
		}
		for i, c := range from {
			_ = d.Set(Int(int64(c)), Int(int64(to[i])))
		}
		if len(args) == 3 {
			for _, c := range args[2].s {
				_ = d.Set(Int(int64(c)), None)
			}
		}
		return DictValue(d), nil
	}
	strMethods["translate"] = withSig(sig("translate", req("table")), func(r *Renderer, self Value, a []Value) (Value, error) {
		switch a[0].kind {
		case KindDict, KindList, KindTuple, KindString, KindBytes, KindRange:
		case KindUndefined:
			return Value{}, undefinedError(a[0])
		default:
			if _, ok := a[0].r.(ItemObject); !ok || a[0].kind != KindObject {
				return Value{}, typeErrorf("'%s' object is not subscriptable", a[0].TypeName())
			}
		}
		var b strings.Builder
		for _, c := range self.s {
			if err := r.step(); err != nil {
				return Value{}, err
			}
			v, ok, err := r.item(a[0], Int(int64(c)))
			if err != nil {
				return Value{}, err
			}
			switch {
			case !ok || v.kind == KindUndefined:
				b.WriteRune(c)
			case v.kind == KindNone:
			case v.kind == KindString:
				b.WriteString(v.s)
			case v.isIntLike():
				n, _ := asIndex(v)
				if n < 0 || n > 0x10FFFF {
					return Value{}, valueErrorf("character mapping must be in range(0x110000)")
				}
				b.WriteRune(rune(n))
			default:
				return Value{}, typeErrorf("character mapping must return integer, None or str")
			}
			if err := r.alloc(int64(b.Len())); err != nil {
				return Value{}, err
			}
		}
		return String(b.String()), nil
	})
}
