package mapper

import (
	"errors"
	"fmt"
	"math"
	"reflect"

	"github.com/nikolalohinski/gonja/v2/exec"
)

const maxDepth = 64

// checkDepth refuses, as goValue does, a decoded JSON value nested more
// than maxDepth levels deep, so that the fast path and the gonja path agree.
func checkDepth(x any, depth int) error {
	if depth > maxDepth {
		return errors.New("value nested too deeply")
	}
	switch t := x.(type) {
	case map[string]any:
		for _, e := range t {
			if err := checkDepth(e, depth+1); err != nil {
				return err
			}
		}
	case []any:
		for _, e := range t {
			if err := checkDepth(e, depth+1); err != nil {
				return err
			}
		}
	}
	return nil
}

// goValue converts what gonja produced into JSON-ready values: nil, bool,
// string, int64, uint64, float64, []any and map[string]any.
func goValue(x any, depth int) (any, error) {
	if depth > maxDepth {
		return nil, errors.New("value nested too deeply")
	}
	switch t := x.(type) {
	case nil, bool, string, int64, uint64:
		return t, nil
	case float64:
		if math.IsNaN(t) || math.IsInf(t, 0) {
			return nil, fmt.Errorf("%v is not a JSON number", t)
		}
		return t, nil
	case int:
		return int64(t), nil
	case *exec.Value:
		if t == nil {
			return nil, nil
		}
		if t.IsError() {
			return nil, errors.New(t.Error())
		}
		return goValue(t.Interface(), depth+1)
	case *exec.Dict:
		out := make(map[string]any, len(t.Pairs))
		for _, p := range t.Pairs {
			v, err := goValue(p.Value, depth+1)
			if err != nil {
				return nil, err
			}
			out[p.Key.String()] = v
		}
		return out, nil
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, e := range t {
			v, err := goValue(e, depth+1)
			if err != nil {
				return nil, err
			}
			out[k] = v
		}
		return out, nil
	case []any:
		out := make([]any, len(t))
		for i, e := range t {
			v, err := goValue(e, depth+1)
			if err != nil {
				return nil, err
			}
			out[i] = v
		}
		return out, nil
	}
	rv := reflect.ValueOf(x)
	switch rv.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return rv.Int(), nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return rv.Uint(), nil
	case reflect.Float32:
		return goValue(rv.Float(), depth)
	case reflect.String:
		return rv.String(), nil
	case reflect.Bool:
		return rv.Bool(), nil
	case reflect.Slice, reflect.Array:
		out := make([]any, rv.Len())
		for i := range out {
			v, err := goValue(rv.Index(i).Interface(), depth+1)
			if err != nil {
				return nil, err
			}
			out[i] = v
		}
		return out, nil
	case reflect.Map:
		out := make(map[string]any, rv.Len())
		it := rv.MapRange()
		for it.Next() {
			v, err := goValue(it.Value().Interface(), depth+1)
			if err != nil {
				return nil, err
			}
			out[fmt.Sprint(it.Key().Interface())] = v
		}
		return out, nil
	case reflect.Pointer:
		if rv.IsNil() {
			return nil, nil
		}
		return goValue(rv.Elem().Interface(), depth+1)
	}
	return nil, fmt.Errorf("a %T cannot be a CVar value", x)
}
