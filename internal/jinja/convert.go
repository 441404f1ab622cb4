package jinja

import (
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"math/big"
	"slices"
)

// Go values in and out, for callers holding decoded JSON as Go values
// (map[string]any has no order: its keys go in sorted order).

// FromGo converts a Go value: nil, bool, string, the int and float types,
// json.Number (exactly: 18446744073709551616 stays an int), []any,
// []string, map[string]any, map[string]string, a Value, or an Object.
// Nesting deeper than maxDepth is an error.
func FromGo(x any, maxDepth int) (Value, error) {
	if maxDepth <= 0 {
		maxDepth = DefaultMaxJSONDepth
	}
	return fromGo(x, maxDepth)
}

func fromGo(x any, depth int) (Value, error) {
	if depth < 0 {
		return Value{}, &JSONError{Msg: "value nested too deeply", Depth: true}
	}
	switch t := x.(type) {
	case nil:
		return None, nil
	case Value:
		return t, nil
	case bool:
		return Bool(t), nil
	case string:
		return String(t), nil
	case int:
		return Int(int64(t)), nil
	case int64:
		return Int(t), nil
	case int32:
		return Int(int64(t)), nil
	case uint64:
		if t <= math.MaxInt64 {
			return Int(int64(t)), nil
		}
		return BigInt(new(big.Int).SetUint64(t)), nil
	case float64:
		return Float(t), nil
	case json.Number:
		s := string(t)
		isFloat := false
		for i := 0; i < len(s); i++ {
			if c := s[i]; c == '.' || c == 'e' || c == 'E' {
				isFloat = true
			}
		}
		return NumberValue(s, isFloat)
	case []any:
		items := make([]Value, len(t))
		for i, e := range t {
			v, err := fromGo(e, depth-1)
			if err != nil {
				return Value{}, err
			}
			items[i] = v
		}
		return NewList(items), nil
	case []string:
		items := make([]Value, len(t))
		for i, e := range t {
			items[i] = String(e)
		}
		return NewList(items), nil
	case map[string]any:
		d := NewDict(len(t))
		for _, k := range slices.Sorted(maps.Keys(t)) {
			v, err := fromGo(t[k], depth-1)
			if err != nil {
				return Value{}, err
			}
			d.SetStr(k, v)
		}
		return DictValue(d), nil
	case map[string]string:
		d := NewDict(len(t))
		for _, k := range slices.Sorted(maps.Keys(t)) {
			d.SetStr(k, String(t[k]))
		}
		return DictValue(d), nil
	case Object:
		return ObjectValue(t), nil
	}
	return Value{}, fmt.Errorf("jinja: cannot use a %T as a template value", x)
}

// keyText is str(k) for the keys a dict literal can have.
func keyText(k Value) (string, error) {
	switch k.kind {
	case KindString:
		return k.s, nil
	case KindNone:
		return "None", nil
	case KindBool:
		return map[bool]string{true: "True", false: "False"}[k.i != 0], nil
	case KindInt:
		return formatInt(k)
	case KindFloat:
		return formatFloat(k.FloatVal()), nil
	}
	return "", fmt.Errorf("a dict key of type %s is not a JSON object key", k.TypeName())
}

// ToJSON converts a value to Go values as encoding/json decodes JSON
// with UseNumber: nil, bool, string, json.Number for every int and float
// (exact, in Python's spelling: 2.0 stays 2.0), []any (lists and tuples)
// and map[string]any (keys as str() makes them). Anything else (inf, a
// generator, bytes) is an error naming it.
func ToJSON(v Value) (any, error) { return toJSON(v, 0) }

func toJSON(v Value, depth int) (any, error) {
	if depth > maxValueDepth {
		return nil, fmt.Errorf("value nested more than %d levels deep", maxValueDepth)
	}
	switch v.kind {
	case KindNone:
		return nil, nil
	case KindBool:
		return v.i != 0, nil
	case KindInt:
		s, err := formatInt(v)
		return json.Number(s), err
	case KindFloat:
		f := v.FloatVal()
		if math.IsInf(f, 0) || math.IsNaN(f) {
			return nil, fmt.Errorf("%s is not a JSON number", formatFloat(f))
		}
		return json.Number(jsonFloat(f)), nil
	case KindString:
		return v.s, nil
	case KindList, KindTuple:
		items := v.r.(*List).Items
		out := make([]any, len(items))
		for i, it := range items {
			x, err := toJSON(it, depth+1)
			if err != nil {
				return nil, err
			}
			out[i] = x
		}
		return out, nil
	case KindDict:
		d := v.r.(*Dict)
		out := make(map[string]any, d.Len())
		for i, k := range d.keys {
			key, err := keyText(k)
			if err != nil {
				return nil, err
			}
			x, err := toJSON(d.vals[i], depth+1)
			if err != nil {
				return nil, err
			}
			out[key] = x
		}
		return out, nil
	}
	return nil, fmt.Errorf("a %s is not a JSON value", v.TypeName())
}
