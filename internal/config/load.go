package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// decodeYAML reads data over cfg. Every problem is reported by its YAML key
// (worker.concurency: unknown key (did you mean concurrency?)), never by a
// Go type; all of them at once, each with its line.
func decodeYAML(data []byte, cfg *Config, set map[string]bool) error {
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil // an empty file: the defaults
		}
		return err
	}
	root := &doc
	if root.Kind == yaml.DocumentNode && len(root.Content) == 1 {
		root = root.Content[0]
	}
	if root.Kind == yaml.ScalarNode && root.Tag == "!!null" {
		return nil
	}
	var errs []error
	decodeNode(root, reflect.ValueOf(cfg).Elem(), "", set, &errs)
	return errors.Join(errs...)
}

// decodeNode decodes n into v (a struct) key by key, so that an error
// names the key path; set records the keys it set.
func decodeNode(n *yaml.Node, v reflect.Value, path string, set map[string]bool, errs *[]error) {
	if n.Kind != yaml.MappingNode {
		*errs = append(*errs, fmt.Errorf("%s (line %d): want a mapping of keys, not %s", orTop(path), n.Line, describe(n)))
		return
	}
	fields := yamlFields(v.Type())
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		key := join(path, k.Value)
		if seen[k.Value] {
			*errs = append(*errs, fmt.Errorf("%s (line %d): given twice", key, k.Line))
			continue
		}
		seen[k.Value] = true
		idx, ok := fields[k.Value]
		if !ok {
			*errs = append(*errs, fmt.Errorf("%s (line %d): unknown key%s", key, k.Line, suggest(k.Value, fieldNames(fields))))
			continue
		}
		fv := v.Field(idx)
		if fv.Kind() == reflect.Struct && fv.Type() != reflect.TypeFor[time.Time]() {
			if val.Kind == yaml.ScalarNode && val.Tag == "!!null" {
				continue // "section:" with nothing under it keeps the defaults
			}
			decodeNode(val, fv, key, set, errs)
			continue
		}
		ptr := reflect.New(fv.Type())
		if err := val.Decode(ptr.Interface()); err != nil {
			*errs = append(*errs, fmt.Errorf("%s (line %d): %s is not %s", key, val.Line, describe(val), kindName(fv.Type())))
			continue
		}
		fv.Set(ptr.Elem())
		set[key] = true
	}
}

// yamlFields maps the YAML keys of struct type t to field indexes.
func yamlFields(t reflect.Type) map[string]int {
	m := make(map[string]int, t.NumField())
	for i := 0; i < t.NumField(); i++ {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("yaml"), ",")
		if name != "" && name != "-" {
			m[name] = i
		}
	}
	return m
}

func fieldNames(m map[string]int) []string {
	names := make([]string, 0, len(m))
	for k := range m {
		names = append(names, k)
	}
	return names
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func orTop(path string) string {
	if path == "" {
		return "the file"
	}
	return path
}

// describe shows a YAML value the way its author wrote it.
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.ScalarNode:
		return strconv.Quote(n.Value)
	case yaml.SequenceNode:
		return "a list"
	case yaml.MappingNode:
		return "a mapping"
	default:
		return "this value"
	}
}

// kindName names what a setting of type t must look like.
func kindName(t reflect.Type) string {
	switch {
	case t == reflect.TypeFor[time.Duration]():
		return "a duration such as 5s"
	case t == reflect.TypeFor[[]time.Duration]():
		return "a list of durations such as [5s, 5m]"
	case t.Kind() == reflect.Slice:
		return "a list of " + strings.TrimPrefix(strings.TrimPrefix(kindName(t.Elem()), "an "), "a ") + "s"
	case t.Kind() == reflect.String:
		return "a string"
	case t.Kind() == reflect.Bool:
		return "true or false"
	case t.Kind() == reflect.Int, t.Kind() == reflect.Int64:
		return "an integer"
	case t.Kind() == reflect.Float64:
		return "a number"
	default:
		return "a " + t.Kind().String()
	}
}

// setFromEnv parses s, an environment variable's value, into fv.
func setFromEnv(fv reflect.Value, s string) error {
	switch t := fv.Type(); {
	case t == reflect.TypeFor[[]time.Duration]():
		ds := []time.Duration{}
		for _, part := range strings.Split(s, ",") {
			if strings.TrimSpace(part) == "" && strings.TrimSpace(s) == "" {
				break // set but empty: an empty list
			}
			d, err := time.ParseDuration(strings.TrimSpace(part))
			if err != nil {
				return err
			}
			ds = append(ds, d)
		}
		fv.Set(reflect.ValueOf(ds))
	case t == reflect.TypeFor[[]string]():
		list := []string{} // set but empty: an empty list
		for _, part := range strings.Split(s, ",") {
			if part = strings.TrimSpace(part); part != "" {
				list = append(list, part)
			}
		}
		fv.Set(reflect.ValueOf(list))
	case t == reflect.TypeFor[time.Duration]():
		d, err := time.ParseDuration(s)
		if err != nil {
			return err
		}
		fv.SetInt(int64(d))
	case t.Kind() == reflect.String:
		fv.SetString(s)
	case t.Kind() == reflect.Int || t.Kind() == reflect.Int64:
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return err
		}
		fv.SetInt(n)
	case t.Kind() == reflect.Float64:
		x, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return err
		}
		fv.SetFloat(x)
	case t.Kind() == reflect.Bool:
		b, err := strconv.ParseBool(s)
		if err != nil {
			return err
		}
		fv.SetBool(b)
	default:
		return fmt.Errorf("unsupported type %s", t)
	}
	return nil
}
