package jinja

// batch, slice and groupby: the filters that cut a sequence into groups.

func filterBatch(r *Renderer, v Value, a []Value) (Value, error) {
	count, fill := a[0], a[1]
	items, err := r.items(v)
	if err != nil {
		return Value{}, err
	}
	i, done := 0, false
	var tmp []Value
	return newIter("generator", func() (Value, bool, error) {
		for i < len(items) {
			if err := r.step(); err != nil {
				return Value{}, false, err
			}
			if err := r.alloc(valueSize); err != nil {
				return Value{}, false, err
			}
			full, err := r.equal(Int(int64(len(tmp))), count, 0)
			if err != nil {
				return Value{}, false, err
			}
			item := items[i]
			i++
			if full {
				out := tmp
				tmp = []Value{item}
				return NewList(out), true, nil
			}
			tmp = append(tmp, item)
		}
		if done || len(tmp) == 0 {
			return Value{}, false, nil
		}
		done = true
		if fill.kind != KindNone {
			short, err := r.compare("lt", Int(int64(len(tmp))), count)
			if err != nil {
				return Value{}, false, err
			}
			if short {
				n, err := r.binop("-", count, Int(int64(len(tmp))))
				if err != nil {
					return Value{}, false, err
				}
				if !n.isIntLike() {
					return Value{}, false, typeErrorf("can't multiply sequence by non-int of type '%s'", n.TypeName())
				}
				more, err := r.repeat(NewList([]Value{fill}), n)
				if err != nil {
					return Value{}, false, err
				}
				tmp = append(tmp, more.r.(*List).Items...)
			}
		}
		return NewList(tmp), true, nil
	}), nil
}

func filterSlice(r *Renderer, v Value, a []Value) (Value, error) {
	slicesN, err := intArg("slice", "slices", a[0])
	if err != nil {
		return Value{}, err
	}
	seq, err := r.toList(v)
	if err != nil {
		return Value{}, err
	}
	length := int64(len(seq))
	if slicesN == 0 {
		return Value{}, newError(ZeroDivisionError, "integer division or modulo by zero")
	}
	per, withExtra, _ := intDivMod(Int(length), Int(slicesN))
	itemsPer, slicesWithExtra := per.i, withExtra.i
	offset, num := int64(0), int64(0)
	fill := a[1]
	return newIter("generator", func() (Value, bool, error) {
		if num >= slicesN {
			return Value{}, false, nil
		}
		if err := r.step(); err != nil {
			return Value{}, false, err
		}
		start := offset + num*itemsPer
		if num < slicesWithExtra {
			offset++
		}
		end := offset + (num+1)*itemsPer
		start, end = clampRange(start, end, length)
		tmp := append([]Value{}, seq[start:end]...)
		if err := r.allocN(int64(len(tmp))+1, valueSize); err != nil {
			return Value{}, false, err
		}
		if fill.kind != KindNone && num >= slicesWithExtra {
			tmp = append(tmp, fill)
		}
		num++
		return NewList(tmp), true, nil
	}), nil
}

// clampRange is Python's slice clamping of seq[start:end] for the
// non-negative and negative bounds slice arithmetic produces.
func clampRange(start, end, n int64) (int64, int64) {
	fix := func(i int64) int64 {
		if i < 0 {
			i += n
			if i < 0 {
				i = 0
			}
		}
		if i > n {
			i = n
		}
		return i
	}
	start, end = fix(start), fix(end)
	if end < start {
		end = start
	}
	return start, end
}

func filterGroupby(r *Renderer, v Value, a []Value) (Value, error) {
	items, err := r.toList(v)
	if err != nil {
		return Value{}, err
	}
	lower := !a[2].Truth()
	key := r.attrGetter(a[0], lower, a[1])
	if err := r.sortBy(items, key, false); err != nil {
		return Value{}, err
	}
	var out []Value
	var curKey Value
	var cur []Value
	flush := func() error {
		if cur == nil {
			return nil
		}
		grouper := curKey
		if lower {
			g, err := r.attrGetter(a[0], false, a[1])(cur[0])
			if err != nil {
				return err
			}
			grouper = g
		}
		out = append(out, Value{kind: KindTuple, r: &List{Items: []Value{grouper, NewList(cur)}, fields: groupFields}})
		return nil
	}
	for _, it := range items {
		k, err := key(it)
		if err != nil {
			return Value{}, err
		}
		if cur != nil {
			eq, err := r.equal(k, curKey, 0)
			if err != nil {
				return Value{}, err
			}
			if eq {
				cur = append(cur, it)
				continue
			}
			if err := flush(); err != nil {
				return Value{}, err
			}
		}
		curKey, cur = k, []Value{it}
	}
	if err := flush(); err != nil {
		return Value{}, err
	}
	if out == nil {
		out = []Value{}
	}
	return NewList(out), nil
}

// groupFields are the names of groupby's (grouper, list) tuples.
var groupFields = []string{"grouper", "list"}
