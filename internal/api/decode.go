package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
)

// decode reads a request object into v (a pointer to a struct) the way
// the contract reads JSON: keys name fields exactly (case included), an
// unknown key is refused naming it, and a value of the wrong type names
// its field. path is the object's place in the request ("" at the top).
// Nested structs are checked the same way; json.RawMessage and map fields
// are left to their own decoders.
func decode(data []byte, v any, path string) *Error {
	data = bytes.TrimSpace(data)
	if len(data) == 0 {
		data = []byte("{}")
	}
	if !json.Valid(data) {
		return badRequest(path, "%snot valid JSON", where(path))
	}
	if err := checkKeys(data, reflect.TypeOf(v).Elem(), path); err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			field := join(path, te.Field)
			return badRequest(field, "%s: want %s, not a JSON %s", field, kindName(te.Type), te.Value)
		}
		return badRequest(path, "%s%v", where(path), err)
	}
	return nil
}

func where(path string) string {
	if path == "" {
		return ""
	}
	return path + ": "
}

// checkKeys refuses keys that name no field of t exactly, in t and in the
// structs it holds.
func checkKeys(data []byte, t reflect.Type, path string) *Error {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct {
		return nil
	}
	if data[0] != '{' {
		if string(data) == "null" {
			return nil
		}
		return badRequest(path, "%swant a JSON object", where(path))
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(data, &m); err != nil {
		return badRequest(path, "%swant a JSON object: %v", where(path), err)
	}
	fields := map[string]reflect.Type{}
	var names []string
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" || !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		fields[name] = f.Type
		names = append(names, name)
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		ft, ok := fields[k]
		if !ok {
			return badRequest(join(path, k), "%s: unknown field (known: %s)", join(path, k), strings.Join(names, ", "))
		}
		if raw := bytes.TrimSpace(m[k]); len(raw) > 0 && ft != rawType {
			if err := checkKeys(raw, ft, join(path, k)); err != nil {
				return err
			}
		}
	}
	return nil
}

var rawType = reflect.TypeFor[json.RawMessage]()

func join(path, field string) string {
	if path == "" {
		return field
	}
	return path + "." + field
}

// kindName says what a Go type is in JSON terms.
func kindName(t reflect.Type) string {
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Map, reflect.Struct:
		return "an object"
	case reflect.Slice, reflect.Array:
		return "an array"
	}
	return fmt.Sprint(t)
}
