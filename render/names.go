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
	walkNodes(v, seen, depth, func(p reflect.Value) bool {
		if p.Type() != nameType {
			return true
		}
		if n := p.Interface().(*nodes.Name); n.Name != nil {
			found[n.Name.Val] = true
		}
		return false
	})
}

// walkNodes calls visit with every non-nil pointer under v, once each
// (gonja's nodes, with the unexported fields statements keep their
// expressions in); visit returns whether to look inside it.
func walkNodes(v reflect.Value, seen map[uintptr]bool, depth int, visit func(reflect.Value) bool) {
	if depth > 200 || !v.IsValid() {
		return
	}
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() || seen[v.Pointer()] {
			return
		}
		seen[v.Pointer()] = true
		if visit(v) {
			walkNodes(v.Elem(), seen, depth+1, visit)
		}
	case reflect.Interface:
		walkNodes(v.Elem(), seen, depth+1, visit)
	case reflect.Struct:
		for i := range v.NumField() {
			f := v.Field(i)
			if !f.CanInterface() && f.CanAddr() {
				// Statements keep their expressions in unexported fields.
				f = reflect.NewAt(f.Type(), unsafe.Pointer(f.UnsafeAddr())).Elem()
			}
			walkNodes(f, seen, depth+1, visit)
		}
	case reflect.Slice, reflect.Array:
		for i := range v.Len() {
			walkNodes(v.Index(i), seen, depth+1, visit)
		}
	case reflect.Map:
		it := v.MapRange()
		for it.Next() {
			walkNodes(it.Value(), seen, depth+1, visit)
		}
	}
}
