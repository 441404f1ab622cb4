package render

import (
	"reflect"
	"sort"
	"unsafe"

	"github.com/nikolalohinski/gonja/v2/nodes"
)

// Names returns every variable name the template reads at its top level
// (the root of each {{ a.b }} or {% for x in a %}), sorted, plus names it
// binds itself (loop variables), which do no harm to callers that only
// need a superset. A static template reads none.
func (t *Template) Names() []string {
	if t.static {
		return nil
	}
	t.namesOnce.Do(func() {
		found := map[string]bool{}
		walkNames(reflect.ValueOf(t.tpl.Root()), map[uintptr]bool{}, found, 0)
		for n := range found {
			t.names = append(t.names, n)
		}
		sort.Strings(t.names)
	})
	return t.names
}

var nameType = reflect.TypeFor[*nodes.Name]()

// walkNames collects *nodes.Name values anywhere under v.
func walkNames(v reflect.Value, seen map[uintptr]bool, found map[string]bool, depth int) {
	if depth > 200 || !v.IsValid() {
		return
	}
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() || seen[v.Pointer()] {
			return
		}
		seen[v.Pointer()] = true
		if v.Type() == nameType {
			if n := v.Interface().(*nodes.Name); n.Name != nil {
				found[n.Name.Val] = true
			}
			return
		}
		walkNames(v.Elem(), seen, found, depth+1)
	case reflect.Interface:
		walkNames(v.Elem(), seen, found, depth+1)
	case reflect.Struct:
		for i := range v.NumField() {
			f := v.Field(i)
			if !f.CanInterface() && f.CanAddr() {
				// Statements keep their expressions in unexported fields.
				f = reflect.NewAt(f.Type(), unsafe.Pointer(f.UnsafeAddr())).Elem()
			}
			walkNames(f, seen, found, depth+1)
		}
	case reflect.Slice, reflect.Array:
		for i := range v.Len() {
			walkNames(v.Index(i), seen, found, depth+1)
		}
	case reflect.Map:
		it := v.MapRange()
		for it.Next() {
			walkNames(it.Value(), seen, found, depth+1)
		}
	}
}
