package jinja

import "slices"

// Python's sorted() and list.sort(): stable, by key, reverse as CPython
// reverses; the comparisons CPython makes, in its order, for short lists.

// sortBy sorts items stably by key, as Python's sorted(key=..., reverse=...).
// Under 64 items it makes CPython's comparisons in CPython's order (the
// first that fails is Python's error: None < 1 or an Undefined key).
func (r *Renderer) sortBy(items []Value, key func(Value) (Value, error), reverse bool) error {
	keys := make([]Value, len(items))
	for i, it := range items {
		k, err := key(it)
		if err != nil {
			return err
		}
		keys[i] = k
	}
	if err := r.work(len(items) * (bitsLen(len(items)) + 1)); err != nil {
		return err
	}
	idx := make([]int, len(items))
	for i := range idx {
		idx[i] = i
	}
	var err error
	if len(idx) < 64 {
		err = r.binarySort(idx, keys, reverse)
	} else {
		err = r.stableSort(idx, keys, reverse)
	}
	if err != nil {
		return err
	}
	sorted := make([]Value, len(items))
	for k, i := range idx {
		sorted[k] = items[i]
	}
	copy(items, sorted)
	return nil
}

// binarySort is CPython 3.11's list.sort of fewer than 64 items: reverse
// if asked, count_run (a strictly descending run is reversed), binary
// insertion of the rest, reverse back.
func (r *Renderer) binarySort(a []int, keys []Value, reverse bool) error {
	lt := func(x, y int) (bool, error) {
		c, err := r.order(keys[x], keys[y], "lt", 0)
		return c == cmpLess, err
	}
	if reverse {
		slices.Reverse(a)
	}
	n := len(a)
	if n >= 2 {
		run := 2
		desc, err := lt(a[1], a[0])
		if err != nil {
			return err
		}
		for ; run < n; run++ {
			l, err := lt(a[run], a[run-1])
			if err != nil {
				return err
			}
			if l != desc {
				break
			}
		}
		if desc {
			slices.Reverse(a[:run])
		}
		for start := run; start < n; start++ {
			pivot := a[start]
			lo, hi := 0, start
			for lo < hi {
				p := lo + (hi-lo)>>1
				l, err := lt(pivot, a[p])
				if err != nil {
					return err
				}
				if l {
					hi = p
				} else {
					lo = p + 1
				}
			}
			copy(a[lo+1:start+1], a[lo:start])
			a[lo] = pivot
		}
	}
	if reverse {
		slices.Reverse(a)
	}
	return nil
}

// stableSort is a stable sort by keys (the order of Python's for a
// consistent order; which failing comparison comes first may differ).
func (r *Renderer) stableSort(idx []int, keys []Value, reverse bool) error {
	var sortErr error
	less := func(a, b Value) bool {
		c, err := r.order(a, b, "lt", 0)
		if err != nil && sortErr == nil {
			sortErr = err
		}
		return c == cmpLess
	}
	slices.SortStableFunc(idx, func(i, j int) int {
		a, b := keys[i], keys[j]
		if reverse {
			a, b = b, a
		}
		if less(a, b) {
			return -1
		}
		if less(b, a) {
			return 1
		}
		return 0
	})
	return sortErr
}

func bitsLen(n int) int {
	b := 0
	for n > 0 {
		b++
		n >>= 1
	}
	return b
}
