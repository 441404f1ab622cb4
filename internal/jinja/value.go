package jinja

import (
	"math"
	"math/big"
)

// Kind is the Python type family of a Value.
type Kind uint8

// The kinds of values. Int covers Python's int of any size (small ones in
// an int64, others as *big.Int) and Bool is a separate kind that behaves
// as an int in arithmetic and comparison, as in Python.
const (
	KindUndefined Kind = iota
	KindNone
	KindBool
	KindInt
	KindFloat
	KindString
	KindList
	KindTuple
	KindDict
	KindCallable
	KindIter  // a single-pass iterator (Python generators and iterators)
	KindRange // range(start, stop, step)
	KindView  // dict_keys, dict_values, dict_items
	KindSlice // slice(start, stop, step), from x[a:b]
	KindObject
	KindComplex // complex128, from a negative base raised to a fraction
	KindBytes   // bytes, in s
)

// Value is one template value. The zero Value is Undefined. Values are
// small and passed by value; lists and dicts are shared by reference, as
// in Python.
type Value struct {
	kind Kind
	safe bool   // a Markup string
	i    int64  // int, bool (0/1), float bits, undefined hint kind
	s    string // string; undefined name
	r    any    // *big.Int, *List, *Dict, *Callable, *Iter, *Range, *View, *Slice, Object, undefined info
}

// List holds the items of a list or a tuple.
type List struct {
	Items  []Value
	fields []string // names of a named tuple's items (groupby's grouper, list)
}

// Object is a value with attributes of its own: loop, cycler, joiner,
// namespace, macro, and objects the caller supplies (such as a secret
// store).
type Object interface {
	// TypeName is the Python type name, for messages and repr.
	TypeName() string
	// Attr returns the attribute, or false when there is none.
	Attr(r *Renderer, name string) (Value, bool, error)
}

// ItemObject is an Object that also answers obj[key].
type ItemObject interface {
	Object
	Item(r *Renderer, key Value) (Value, bool, error)
}

// Stringer is an Object with its own str() and repr().
type Stringer interface {
	Str() string
}

// Undefined is the undefined value.
var Undefined = Value{}

// None is Python's None.
var None = Value{kind: KindNone}

// True and False are Python's booleans.
var (
	True  = Value{kind: KindBool, i: 1}
	False = Value{kind: KindBool}
)

// Int returns an int value.
func Int(i int64) Value { return Value{kind: KindInt, i: i} }

// BigInt returns an int value, small when it fits an int64.
func BigInt(b *big.Int) Value {
	if b.IsInt64() {
		return Value{kind: KindInt, i: b.Int64()}
	}
	return Value{kind: KindInt, r: b}
}

// Float returns a float value.
func Float(f float64) Value { return Value{kind: KindFloat, i: int64(math.Float64bits(f))} }

// Bool returns True or False.
func Bool(b bool) Value {
	if b {
		return True
	}
	return False
}

// String returns a str value.
func String(s string) Value { return Value{kind: KindString, s: s} }

// Markup returns a safe (already escaped) str value.
func Markup(s string) Value { return Value{kind: KindString, s: s, safe: true} }

// NewList returns a list value over items (not copied).
func NewList(items []Value) Value { return Value{kind: KindList, r: &List{Items: items}} }

// NewTuple returns a tuple value over items (not copied).
func NewTuple(items []Value) Value { return Value{kind: KindTuple, r: &List{Items: items}} }

// DictValue returns a dict value.
func DictValue(d *Dict) Value { return Value{kind: KindDict, r: d} }

// ObjectValue wraps an Object.
func ObjectValue(o Object) Value { return Value{kind: KindObject, r: o} }

// Kind returns the value's kind.
func (v Value) Kind() Kind { return v.kind }

// IsUndefined reports whether v is undefined.
func (v Value) IsUndefined() bool { return v.kind == KindUndefined }

// IsNone reports whether v is None.
func (v Value) IsNone() bool { return v.kind == KindNone }

// IsSafe reports whether v is a Markup string.
func (v Value) IsSafe() bool { return v.kind == KindString && v.safe }

// Str returns the text of a str value.
func (v Value) Str() string { return v.s }

// FloatVal returns the float of a float value.
func (v Value) FloatVal() float64 { return math.Float64frombits(uint64(v.i)) }

// isBig reports whether v is an int too large for an int64.
func (v Value) isBig() bool { return v.kind == KindInt && v.r != nil }

// Big returns an int or bool value as a *big.Int (a new one for small
// values).
func (v Value) Big() *big.Int {
	if v.r != nil {
		if b, ok := v.r.(*big.Int); ok {
			return b
		}
	}
	return big.NewInt(v.i)
}

// Int64 returns the value of a small int or a bool.
func (v Value) Int64() (int64, bool) {
	if (v.kind == KindInt && v.r == nil) || v.kind == KindBool {
		return v.i, true
	}
	return 0, false
}

// List returns the items of a list or tuple.
func (v Value) List() *List {
	if l, ok := v.r.(*List); ok {
		return l
	}
	return nil
}

// Dict returns the dict of a dict value.
func (v Value) Dict() *Dict {
	if d, ok := v.r.(*Dict); ok {
		return d
	}
	return nil
}

// Object returns the object of an object value.
func (v Value) Object() Object {
	o, _ := v.r.(Object)
	return o
}

// isIntLike reports whether v is an int or a bool (Python's bool is an int).
func (v Value) isIntLike() bool { return v.kind == KindInt || v.kind == KindBool }

// isNumber reports whether v is an int, bool or float.
func (v Value) isNumber() bool { return v.kind == KindInt || v.kind == KindBool || v.kind == KindFloat }

// isSeq reports whether v is a list or a tuple.
func (v Value) isSeq() bool { return v.kind == KindList || v.kind == KindTuple }

// TypeName returns Python's type name of v.
func (v Value) TypeName() string {
	switch v.kind {
	case KindUndefined:
		return "Undefined"
	case KindNone:
		return "NoneType"
	case KindBool:
		return "bool"
	case KindInt:
		return "int"
	case KindFloat:
		return "float"
	case KindString:
		if v.safe {
			return "Markup"
		}
		return "str"
	case KindList:
		return "list"
	case KindTuple:
		return "tuple"
	case KindDict:
		return "dict"
	case KindCallable:
		return v.r.(*Callable).typeName()
	case KindIter:
		return v.r.(*Iter).typeName
	case KindRange:
		return "range"
	case KindView:
		return v.r.(*View).typeName()
	case KindSlice:
		return "slice"
	case KindObject:
		return v.r.(Object).TypeName()
	case KindComplex:
		return "complex"
	case KindBytes:
		return "bytes"
	}
	return "object"
}

// Truth is Python's bool(v): Undefined, None, False, 0, 0.0, "" and empty
// containers are false.
func (v Value) Truth() bool {
	switch v.kind {
	case KindUndefined, KindNone:
		return false
	case KindBool:
		return v.i != 0
	case KindInt:
		return v.r != nil || v.i != 0
	case KindFloat:
		return v.FloatVal() != 0
	case KindString:
		return v.s != ""
	case KindList, KindTuple:
		return len(v.r.(*List).Items) > 0
	case KindDict:
		return v.r.(*Dict).Len() > 0
	case KindRange:
		return v.r.(*Range).Len() > 0
	case KindView:
		return v.r.(*View).d.Len() > 0
	case KindComplex:
		return v.complex() != 0
	case KindBytes:
		return v.s != ""
	}
	return true
}
