package trigger

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
	"time"
	"unicode/utf8"
)

// This file turns encoding/json errors into FieldErrors naming the field
// (webhook.cvars[1].map, bot_id), by locating the offending value.

func decodeError(data []byte, err error) error {
	var syntaxErr *json.SyntaxError
	switch {
	case errors.As(err, &syntaxErr):
		return &FieldError{Msg: fmt.Sprintf("not valid JSON at byte %d: %v", syntaxErr.Offset, syntaxErr)}
	case errors.Is(err, io.EOF):
		return &FieldError{Msg: "empty input: want a JSON object"}
	case errors.Is(err, io.ErrUnexpectedEOF):
		return &FieldError{Msg: "truncated JSON"}
	}
	// json scans the whole value before decoding it, so it is valid JSON.
	var raw json.RawMessage
	if json.NewDecoder(bytes.NewReader(data)).Decode(&raw) == nil {
		if fe := locate(raw, reflect.TypeFor[Event](), ""); fe != nil {
			return fe
		}
	}
	return jsonFieldError(err)
}

// jsonFieldError turns an encoding/json error into a FieldError, naming the
// field as json gives it.
func jsonFieldError(err error) error {
	var typeErr *json.UnmarshalTypeError
	switch {
	case errors.As(err, &typeErr):
		field := typeErr.Field
		if field == "" {
			field = "event"
		}
		return &FieldError{Field: field, Msg: fmt.Sprintf("want %s, got JSON %s", typeName(typeErr.Type), typeErr.Value)}
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return &FieldError{Field: clip(name), Msg: "unknown field"}
	}
	var fe *FieldError
	if errors.As(err, &fe) {
		return fe
	}
	return &FieldError{Msg: "not a valid event: " + err.Error()}
}

var timeType = reflect.TypeFor[time.Time]()

// locate returns the first value of raw, in document order, that does not
// fit type t, as encoding/json decodes it (fields matched case-insensitively,
// null accepted anywhere), or nil. path is raw's path in the event.
func locate(raw []byte, t reflect.Type, path string) *FieldError {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	raw = trimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	if reflect.PointerTo(t).Implements(reflect.TypeFor[json.Unmarshaler]()) {
		err := json.Unmarshal(raw, reflect.New(t).Interface())
		if err == nil {
			return nil
		}
		if t.Kind() == reflect.Struct && raw[0] == '{' {
			if fe := locateFields(raw, t, path); fe != nil {
				return fe
			}
		}
		msg := err.Error()
		if t == timeType {
			msg = "want an RFC 3339 time, got JSON " + clip(string(raw))
		}
		return &FieldError{Field: pathOr(path), Msg: msg}
	}
	switch t.Kind() {
	case reflect.Struct:
		if raw[0] != '{' {
			return mismatch(path, "an object", raw)
		}
		return locateFields(raw, t, path)
	case reflect.Map:
		if raw[0] != '{' {
			return mismatch(path, "an object", raw)
		}
		if t.Elem().Kind() == reflect.Interface {
			return nil
		}
		var fe *FieldError
		members(raw, func(key string, val json.RawMessage) bool {
			fe = locate(val, t.Elem(), join(path, key))
			return fe == nil
		})
		return fe
	case reflect.Slice:
		if raw[0] != '[' {
			return mismatch(path, "an array", raw)
		}
		var fe *FieldError
		elems(raw, func(i int, val json.RawMessage) bool {
			fe = locate(val, t.Elem(), fmt.Sprintf("%s[%d]", path, i))
			return fe == nil
		})
		return fe
	case reflect.Interface:
		return nil
	}
	err := json.Unmarshal(raw, reflect.New(t).Interface())
	var typeErr *json.UnmarshalTypeError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &typeErr):
		return &FieldError{Field: pathOr(path), Msg: fmt.Sprintf("want %s, got JSON %s", typeName(t), typeErr.Value)}
	}
	return &FieldError{Field: pathOr(path), Msg: err.Error()}
}

// locateFields checks the members of object raw against struct type t.
func locateFields(raw []byte, t reflect.Type, path string) *FieldError {
	var fe *FieldError
	members(raw, func(key string, val json.RawMessage) bool {
		f, ok := fieldByJSONName(t, key)
		if !ok {
			fe = &FieldError{Field: join(path, key), Msg: "unknown field"}
		} else {
			fe = locate(val, f.Type, join(path, key))
		}
		return fe == nil
	})
	return fe
}

// fieldByJSONName finds the field json decodes key into: an exact name
// first, then a case-insensitive match.
func fieldByJSONName(t reflect.Type, key string) (reflect.StructField, bool) {
	var fold reflect.StructField
	found := false
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" {
			continue
		}
		if name == "" {
			name = f.Name
		}
		if name == key {
			return f, true
		}
		if !found && strings.EqualFold(name, key) {
			fold, found = f, true
		}
	}
	return fold, found
}

// members calls fn for each member of object raw until fn returns false.
func members(raw []byte, fn func(key string, val json.RawMessage) bool) {
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
	return &FieldError{Field: pathOr(path), Msg: fmt.Sprintf("want %s, got JSON %s", want, jsonKind(raw))}
}

// jsonKind names the kind of JSON value raw as encoding/json does.
func jsonKind(raw []byte) string {
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

func join(path, key string) string {
	if path == "" {
		return clip(key)
	}
	return path + "." + clip(key)
}

func pathOr(path string) string {
	if path == "" {
		return "event"
	}
	return path
}

// clip shortens s for an error message.
func clip(s string) string {
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

// trimSpace trims JSON whitespace.
func trimSpace(b []byte) []byte {
	return bytes.Trim(b, " \t\r\n")
}

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
