package jinja

import (
	"math"
	"strconv"
	"strings"
)

// Dict is a Python dict: keys in insertion order, keys equal as Python
// compares them (1, 1.0 and True are one key), updating a key keeps its
// position. Small dicts are searched linearly; an index is built past
// indexAfter entries.
type Dict struct {
	keys  []Value
	vals  []Value
	index map[hashKey]int
}

const indexAfter = 12

// hashKey identifies a dict key: ints, bools and integral floats by their
// integer value, other floats by their bits, strings by their text,
// tuples by an encoding of their items.
type hashKey struct {
	k byte
	i int64
	s string
}

// smallDict1 to smallDict4 are dicts of up to 1 to 4 entries in one
// allocation of their own size (most JSON objects of events and
// responses have a few keys; a size for each keeps the allocation, and
// what the garbage collector scans, to what the dict holds).
type smallDict1 struct {
	d   Dict
	buf [2]Value
}

type smallDict2 struct {
	d   Dict
	buf [4]Value
}

type smallDict3 struct {
	d   Dict
	buf [6]Value
}

type smallDict4 struct {
	d   Dict
	buf [8]Value
}

// NewDict returns an empty dict with room for n entries. Keys and values
// share one backing array (full slices: an append past n moves them).
func NewDict(n int) *Dict {
	switch n {
	case 1:
		a := &smallDict1{}
		a.d.keys, a.d.vals = a.buf[0:0:1], a.buf[1:1:2]
		return &a.d
	case 2:
		a := &smallDict2{}
		a.d.keys, a.d.vals = a.buf[0:0:2], a.buf[2:2:4]
		return &a.d
	case 3:
		a := &smallDict3{}
		a.d.keys, a.d.vals = a.buf[0:0:3], a.buf[3:3:6]
		return &a.d
	case 4:
		a := &smallDict4{}
		a.d.keys, a.d.vals = a.buf[0:0:4], a.buf[4:4:8]
		return &a.d
	}
	if n <= 0 {
		return &Dict{}
	}
	buf := make([]Value, 2*n)
	return &Dict{keys: buf[0:0:n], vals: buf[n : n : 2*n]}
}

// Len returns the number of entries.
func (d *Dict) Len() int { return len(d.keys) }

// Keys returns the keys in order (not a copy).
func (d *Dict) Keys() []Value { return d.keys }

// Values returns the values in order (not a copy).
func (d *Dict) Values() []Value { return d.vals }

// keyOf returns the hash key of v, or an error for an unhashable value.
func keyOf(v Value) (hashKey, error) {
	switch v.kind {
	case KindString:
		return hashKey{k: 's', s: v.s}, nil
	case KindBytes:
		return hashKey{k: 'b', s: v.s}, nil
	case KindInt, KindBool:
		if v.isBig() {
			return hashKey{k: 'I', s: v.Big().String()}, nil
		}
		return hashKey{k: 'i', i: v.i}, nil
	case KindFloat:
		f := v.FloatVal()
		if f == math.Trunc(f) && math.Abs(f) < 1<<63 {
			return hashKey{k: 'i', i: int64(f)}, nil
		}
		if f == math.Trunc(f) && !math.IsInf(f, 0) {
			b, _ := bigFromFloat(f)
			return hashKey{k: 'I', s: b.String()}, nil
		}
		return hashKey{k: 'f', i: v.i}, nil
	case KindComplex:
		c := v.complex()
		if imag(c) == 0 {
			return keyOf(Float(real(c)))
		}
		return hashKey{k: 'c', s: complexRepr(c)}, nil
	case KindNone:
		return hashKey{k: 'n'}, nil
	case KindUndefined:
		return hashKey{k: 'u'}, nil
	case KindTuple:
		var b strings.Builder
		for _, it := range v.r.(*List).Items {
			k, err := keyOf(it)
			if err != nil {
				return hashKey{}, err
			}
			b.WriteByte(k.k)
			b.WriteString(strconv.FormatInt(k.i, 10))
			b.WriteByte(':')
			b.WriteString(strconv.Itoa(len(k.s)))
			b.WriteByte(':')
			b.WriteString(k.s)
		}
		return hashKey{k: 't', s: b.String()}, nil
	case KindList, KindDict, KindView:
		return hashKey{}, typeErrorf("unhashable type: '%s'", v.TypeName())
	}
	// Other objects hash by identity.
	return hashKey{k: 'o', s: strconv.FormatUint(uint64(identity(v)), 16)}, nil
}

// find returns the index of key, or -1.
func (d *Dict) find(key Value) (int, error) {
	if key.kind == KindString && d.index == nil {
		for i, k := range d.keys {
			if k.kind == KindString && k.s == key.s {
				return i, nil
			}
		}
		return -1, nil
	}
	hk, err := keyOf(key)
	if err != nil {
		return -1, err
	}
	if d.index != nil {
		if i, ok := d.index[hk]; ok {
			return i, nil
		}
		return -1, nil
	}
	for i, k := range d.keys {
		if kk, _ := keyOf(k); kk == hk {
			return i, nil
		}
	}
	return -1, nil
}

// GetStr returns the value of a string key.
func (d *Dict) GetStr(key string) (Value, bool) {
	if d.index == nil {
		for i, k := range d.keys {
			if k.kind == KindString && k.s == key {
				return d.vals[i], true
			}
		}
		return Value{}, false
	}
	if i, ok := d.index[hashKey{k: 's', s: key}]; ok {
		return d.vals[i], true
	}
	return Value{}, false
}

// Get returns the value of key; an unhashable key is an error.
func (d *Dict) Get(key Value) (Value, bool, error) {
	i, err := d.find(key)
	if err != nil || i < 0 {
		return Value{}, false, err
	}
	return d.vals[i], true, nil
}

// Set sets key to val, keeping the position of an existing key.
func (d *Dict) Set(key, val Value) error {
	i, err := d.find(key)
	if err != nil {
		return err
	}
	if i >= 0 {
		d.vals[i] = val
		return nil
	}
	d.keys = append(d.keys, key)
	d.vals = append(d.vals, val)
	switch {
	case d.index != nil:
		hk, _ := keyOf(key)
		d.index[hk] = len(d.keys) - 1
	case len(d.keys) > indexAfter:
		d.reindex()
	}
	return nil
}

// SetStr sets a string key.
func (d *Dict) SetStr(key string, val Value) { _ = d.Set(String(key), val) }

func (d *Dict) reindex() {
	d.index = make(map[hashKey]int, len(d.keys))
	for i, k := range d.keys {
		hk, _ := keyOf(k)
		d.index[hk] = i
	}
}

// Delete removes key and returns its value.
func (d *Dict) Delete(key Value) (Value, bool, error) {
	i, err := d.find(key)
	if err != nil || i < 0 {
		return Value{}, false, err
	}
	v := d.vals[i]
	d.keys = append(d.keys[:i], d.keys[i+1:]...)
	d.vals = append(d.vals[:i], d.vals[i+1:]...)
	if d.index != nil {
		d.reindex()
	}
	return v, true, nil
}

// Copy returns a shallow copy.
func (d *Dict) Copy() *Dict {
	c := &Dict{keys: append([]Value(nil), d.keys...), vals: append([]Value(nil), d.vals...)}
	if d.index != nil {
		c.reindex()
	}
	return c
}

// Clear removes every entry.
func (d *Dict) Clear() {
	d.keys, d.vals, d.index = d.keys[:0], d.vals[:0], nil
}
