package render

import (
	"encoding/json"
	"strconv"
)

// Normalize prepares a value decoded from JSON with UseNumber for
// templates: each json.Number becomes an int64 when it is an integer in
// range (so it prints as 388, not 388.0), a uint64 above that, else a
// float64. Maps and slices are converted in place and returned.
func Normalize(v any) any {
	switch x := v.(type) {
	case json.Number:
		return Number(string(x))
	case map[string]any:
		for k, e := range x {
			switch e.(type) {
			case json.Number, map[string]any, []any:
				x[k] = Normalize(e)
			}
		}
		return x
	case []any:
		for i, e := range x {
			x[i] = Normalize(e)
		}
		return x
	}
	return v
}

// Number converts JSON number text to int64, uint64 or float64, as
// Normalize does. Text that is not a number is returned as a string.
func Number(s string) any {
	if i, err := strconv.ParseInt(s, 10, 64); err == nil {
		return i
	}
	if u, err := strconv.ParseUint(s, 10, 64); err == nil {
		return u
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil {
		return f
	}
	return s
}
