package webhook

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/big"
	"reflect"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"
)

// This file is the contract's reading of JSON, shared by the event decoder
// (package trigger) and DecodeJSON, and the one the JSON Schemas of
// docs/schema describe. It is stricter than encoding/json, which matches
// keys in any case, takes null for any value, and refuses 3.0 for an
// integer:
//
//   - an object key names a field exactly (case included); any other key is
//     an unknown field;
//   - null stands for "absent" where a field is optional (its JSON tag has
//     omitempty), and is refused for required fields, list items and map
//     values;
//   - an integer may be written 3, 3.0 or 3e0 (JSON Schema's integer), in
//     its type's range.
//
// CheckJSON reports the first problem in document order; decoding then goes
// through encoding/json, which can no longer fail.

// CheckJSON reports the first value of data, in document order, that does
// not fit the Go type t as the contract reads it (see above), or nil. path
// is data's path in the enclosing document, "" at the top; data itself may
// not be null. data must be valid JSON.
func CheckJSON(data []byte, t reflect.Type, path string) *FieldError {
	return check(data, t, path, false)
}

var (
	unmarshalerType = reflect.TypeFor[json.Unmarshaler]()
	timeType        = reflect.TypeFor[time.Time]()
)

// check is CheckJSON; nullOK says whether null may stand for the value.
func check(raw []byte, t reflect.Type, path string, nullOK bool) *FieldError {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return nil
	}
	if string(raw) == "null" {
		if nullOK || t.Kind() == reflect.Interface {
			return nil
		}
		return mismatch(path, typeName(t), raw)
	}
	if t == timeType && !ValidTime(raw) {
		return &FieldError{Field: path, Msg: "want an RFC 3339 time, got JSON " + Clip(string(raw))}
	}
	custom := reflect.PointerTo(t).Implements(unmarshalerType)
	if t.Kind() == reflect.Struct && raw[0] == '{' {
		if fe := checkFields(raw, t, path); fe != nil || !custom {
			return fe
		}
	}
	if custom {
		if err := json.Unmarshal(raw, reflect.New(t).Interface()); err != nil {
			var fe *FieldError
			if errors.As(err, &fe) {
				return fe
			}
			msg := err.Error()
			if t == timeType {
				msg = "want an RFC 3339 time, got JSON " + Clip(string(raw))
			}
			return &FieldError{Field: path, Msg: msg}
		}
		return nil
	}
	switch t.Kind() {
	case reflect.Struct:
		return mismatch(path, "an object", raw)
	case reflect.Map:
		if raw[0] != '{' {
			return mismatch(path, "an object", raw)
		}
		var fe *FieldError
		Members(raw, func(key string, val json.RawMessage) bool {
			fe = check(val, t.Elem(), Join(path, key), false)
			return fe == nil
		})
		return fe
	case reflect.Slice:
		if raw[0] != '[' {
			return mismatch(path, "an array", raw)
		}
		var fe *FieldError
		elems(raw, func(i int, val json.RawMessage) bool {
			fe = check(val, t.Elem(), fmt.Sprintf("%s[%d]", path, i), false)
			return fe == nil
		})
		return fe
	case reflect.Interface:
		return nil
	case reflect.String:
		if raw[0] != '"' {
			return mismatch(path, "a string", raw)
		}
	case reflect.Bool:
		if raw[0] != 't' && raw[0] != 'f' {
			return mismatch(path, "a boolean", raw)
		}
	case reflect.Float32, reflect.Float64:
		if jsonKind(raw) != "number" {
			return mismatch(path, "a number", raw)
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		if _, err := IntegerOf(raw, t.Kind()); err != nil {
			return &FieldError{Field: path, Msg: err.Error()}
		}
	}
	return nil
}

// checkFields checks the members of object raw against struct type t.
func checkFields(raw []byte, t reflect.Type, path string) *FieldError {
	var fe *FieldError
	Members(raw, func(key string, val json.RawMessage) bool {
		f, optional, ok := FieldByJSONName(t, key)
		if !ok {
			fe = &FieldError{Field: Join(path, key), Msg: "unknown field"}
		} else {
			fe = check(val, f.Type, Join(path, key), optional)
		}
		return fe == nil
	})
	return fe
}

// rfc3339 is the form of a time: RFC 3339 with upper-case T and Z, a
// fraction after a dot, seconds up to 59 (what Go's time reads, less its
// comma fraction; the schemas have the same pattern).
var rfc3339 = regexp.MustCompile(`^"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-5][0-9](\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2})"$`)

// ValidTime reports whether raw, a JSON value, is a string of the form of
// an RFC 3339 time that the contract accepts (its calendar is checked when
// it is decoded).
func ValidTime(raw []byte) bool { return rfc3339.Match(bytes.TrimSpace(raw)) }

// FieldByJSONName finds the field of struct type t whose JSON name is key,
// exactly, and whether it is optional (omitempty).
func FieldByJSONName(t reflect.Type, key string) (f reflect.StructField, optional, ok bool) {
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" {
			continue
		}
		if name == "" {
			name = f.Name
		}
		if name == key {
			return f, strings.Contains(","+opts+",", ",omitempty,"), true
		}
	}
	return reflect.StructField{}, false, false
}

// IntegerOf reads a JSON number that is an integer (3, 3.0, 3e0) within
// the range of an integer kind.
func IntegerOf(raw []byte, kind reflect.Kind) (*big.Int, error) {
	s := string(bytes.TrimSpace(raw))
	if jsonKind([]byte(s)) != "number" {
		return nil, fmt.Errorf("want %s, got JSON %s", intName(kind), jsonKind([]byte(s)))
	}
	f, _, err := big.ParseFloat(s, 10, 256, big.ToNearestEven)
	if err != nil || !f.IsInt() || f.MantExp(nil) > 80 {
		return nil, fmt.Errorf("want %s, got JSON number %s", intName(kind), Clip(s))
	}
	n, _ := f.Int(nil)
	lo, hi := big.NewInt(math.MinInt64), big.NewInt(math.MaxInt64)
	switch kind {
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		lo, hi = big.NewInt(0), new(big.Int).SetUint64(math.MaxUint64)
	case reflect.Int32:
		lo, hi = big.NewInt(math.MinInt32), big.NewInt(math.MaxInt32)
	}
	if n.Cmp(lo) < 0 || n.Cmp(hi) > 0 {
		return nil, fmt.Errorf("want %s, got JSON number %s", intName(kind), Clip(s))
	}
	return n, nil
}

func intName(k reflect.Kind) string {
	switch k {
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "a non-negative integer"
	}
	return "an integer"
}

// Members calls fn for each member of object raw, in order, until fn
// returns false. raw must be valid JSON.
func Members(raw []byte, fn func(key string, val json.RawMessage) bool) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	if _, err := dec.Token(); err != nil {
		return
	}
	for dec.More() {
		tok, err := dec.Token()
		key, ok := tok.(string)
		if err != nil || !ok {
			return
		}
		var val json.RawMessage
		if dec.Decode(&val) != nil || !fn(key, val) {
			return
		}
	}
}

// elems calls fn for each element of array raw until fn returns false.
func elems(raw []byte, fn func(i int, val json.RawMessage) bool) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	if _, err := dec.Token(); err != nil {
		return
	}
	for i := 0; dec.More(); i++ {
		var val json.RawMessage
		if dec.Decode(&val) != nil || !fn(i, val) {
			return
		}
	}
}

func mismatch(path, want string, raw []byte) *FieldError {
	return &FieldError{Field: path, Msg: fmt.Sprintf("want %s, got JSON %s", want, jsonKind(raw))}
}

// jsonKind names the kind of JSON value raw as encoding/json does.
func jsonKind(raw []byte) string {
	if len(raw) == 0 {
		return "nothing"
	}
	switch raw[0] {
	case '{':
		return "object"
	case '[':
		return "array"
	case '"':
		return "string"
	case 't', 'f':
		return "bool"
	case 'n':
		return "null"
	}
	return "number"
}

// Join appends key to a field path.
func Join(path, key string) string {
	if path == "" {
		return Clip(key)
	}
	return path + "." + Clip(key)
}

// Clip shortens s for an error message.
func Clip(s string) string {
	const max = 64
	if len(s) <= max {
		return s
	}
	i := max
	for i > 0 && !utf8.RuneStart(s[i]) {
		i--
	}
	return s[:i] + "…"
}

// typeName names what a value of type t must look like.
func typeName(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == timeType {
		return "an RFC 3339 time"
	}
	switch t.Kind() {
	case reflect.Map, reflect.Struct:
		return "an object"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "a boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return "an integer"
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "a non-negative integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	}
	return "a JSON value"
}
