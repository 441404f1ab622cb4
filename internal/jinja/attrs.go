package jinja

import (
	"fmt"
	"math"
	"math/big"
	"strings"
)

// Attribute and item access as Jinja2's SandboxedEnvironment does it:
// obj.name looks for a Python attribute first (a method such as
// d.items), then the item obj['name']; obj[key] looks for the item first,
// then, for a string key, the attribute. What neither finds is Undefined.
// Attributes whose name starts with an underscore that Python objects
// have (__class__, __init__, ...) are refused, as the sandbox refuses them.

// Kwarg is one keyword argument of a call.
type Kwarg struct {
	Name  string
	Value Value
}

// Callable is a function or a bound method.
type Callable struct {
	name string
	self Value // the receiver of a bound method
	// class names the type the callable stands for (dict, cycler, ...),
	// or is "" for a function or method.
	class string
	fn    func(r *Renderer, self Value, args []Value, kw []Kwarg) (Value, error)
}

func (c *Callable) typeName() string {
	switch {
	case c.class != "":
		return "type"
	case c.self.kind != KindUndefined:
		return "builtin_function_or_method"
	}
	return "function"
}

func (c *Callable) repr(id uintptr) string {
	switch {
	case c.class != "":
		return "<class '" + c.class + "'>"
	case c.self.kind != KindUndefined:
		return fmt.Sprintf("<built-in method %s of %s object at 0x%x>", c.name, c.self.TypeName(), id)
	}
	return fmt.Sprintf("<function %s at 0x%x>", c.name, id)
}

// method is a builtin method of a type.
type method func(r *Renderer, self Value, args []Value, kw []Kwarg) (Value, error)

func bound(name string, self Value, fn method) Value {
	return Value{kind: KindCallable, r: &Callable{name: name, self: self, fn: fn}}
}

// unsafeAttr reports whether Python objects have the underscore
// attribute name, which the sandbox refuses.
func unsafeAttr(name string) bool {
	return strings.HasPrefix(name, "__") && strings.HasSuffix(name, "__") && len(name) > 4
}

func unsafeUndefined(obj Value, name string) Value {
	return Value{kind: KindUndefined, r: &undefInfo{exc: SecurityError,
		hint: fmt.Sprintf("access to attribute %s of %s object is unsafe.", pyQuote(name), pyQuote(obj.TypeName()))}}
}

// pyAttr returns the Python attribute name of obj, if it has one.
func (r *Renderer) pyAttr(obj Value, name string) (Value, bool, error) {
	var table map[string]method
	switch obj.kind {
	case KindString:
		table = strMethods
		if obj.safe {
			if m, ok := markupMethods[name]; ok {
				return bound(name, obj, m), true, nil
			}
			if m := markupWrapped(name); m != nil {
				return bound(name, obj, m), true, nil
			}
		}
	case KindBytes:
		table = bytesMethods
	case KindList:
		table = listMethods
	case KindTuple:
		if l := obj.r.(*List); l.fields != nil {
			for i, f := range l.fields {
				if f == name {
					return l.Items[i], true, nil
				}
			}
		}
		table = tupleMethods
	case KindDict:
		table = dictMethods
	case KindInt, KindBool:
		switch name {
		case "real", "numerator":
			return Value{kind: KindInt, i: obj.i, r: obj.r}, true, nil
		case "imag":
			return Int(0), true, nil
		case "denominator":
			return Int(1), true, nil
		}
		table = intMethods
	case KindFloat:
		switch name {
		case "real":
			return obj, true, nil
		case "imag":
			return Float(0), true, nil
		}
		table = floatMethods
	case KindRange:
		g := obj.r.(*Range)
		switch name {
		case "start":
			return g.abs(g.start), true, nil
		case "stop":
			return g.abs(g.stop), true, nil
		case "step":
			return Int(g.step), true, nil
		}
		table = rangeMethods
	case KindSlice:
		s := obj.r.(*Slice)
		switch name {
		case "start":
			return s.start, true, nil
		case "stop":
			return s.stop, true, nil
		case "step":
			return s.step, true, nil
		}
	case KindObject:
		return obj.r.(Object).Attr(r, name)
	case KindCallable:
		if m, ok := obj.r.(*Callable).attr(name); ok {
			return m, true, nil
		}
	}
	if m, ok := table[name]; ok {
		return bound(name, obj, m), true, nil
	}
	return Value{}, false, nil
}

// getattr is obj.name.
func (r *Renderer) getattr(obj Value, name string) (Value, error) {
	if obj.kind == KindUndefined {
		return Value{}, undefinedError(obj)
	}
	if unsafeAttr(name) {
		return unsafeUndefined(obj, name), nil
	}
	if obj.kind == KindDict && dictMethods[name] == nil {
		if v, ok := obj.r.(*Dict).GetStr(name); ok {
			return v, nil
		}
		return undefinedAttr(obj, name), nil
	}
	v, ok, err := r.pyAttr(obj, name)
	if err != nil || ok {
		return v, err
	}
	if v, ok, err := r.item(obj, String(name)); err != nil || ok {
		return v, err
	}
	return undefinedAttr(obj, name), nil
}

// subscriptSlice is obj[a:b:c]. Jinja2 compiles a slice to a plain Python
// subscript, not to its getitem: so no Undefined for a missing item, but
// Python's TypeError (a dict is not sliced, an int is not subscriptable).
func (r *Renderer) subscriptSlice(obj Value, s *Slice) (Value, error) {
	v, err := r.subscriptSliceRun(obj, s)
	if e, ok := err.(*Error); ok && r.folding && e.Kind == TypeError && obj.kind != KindUndefined {
		// At compile time Jinja2 slices through its getitem.
		r.sliceFolded = true
		return undefinedItem(obj, Value{kind: KindSlice, r: s}), nil
	}
	return v, err
}

func (r *Renderer) subscriptSliceRun(obj Value, s *Slice) (Value, error) {
	switch obj.kind {
	case KindUndefined:
		return Value{}, undefinedError(obj)
	case KindList, KindTuple, KindString, KindRange, KindBytes:
		v, _, err := r.slice(obj, s)
		return v, err
	case KindDict:
		return Value{}, typeErrorf("unhashable type: 'slice'")
	case KindObject:
		if io, ok := obj.r.(ItemObject); ok {
			v, found, err := io.Item(r, Value{kind: KindSlice, r: s})
			if err != nil || found {
				return v, err
			}
		}
	}
	return Value{}, typeErrorf("'%s' object is not subscriptable", obj.TypeName())
}

// getitem is obj[key].
func (r *Renderer) getitem(obj Value, key Value) (Value, error) {
	if obj.kind == KindUndefined {
		return Value{}, undefinedError(obj)
	}
	v, ok, err := r.item(obj, key)
	if err != nil || ok {
		return v, err
	}
	if key.kind == KindString {
		if unsafeAttr(key.s) {
			return unsafeUndefined(obj, key.s), nil
		}
		if v, ok, err := r.pyAttr(obj, key.s); err != nil || ok {
			return v, err
		}
	}
	return undefinedItem(obj, key), nil
}

// item looks up obj[key] as Python does; a TypeError or LookupError
// there is "not found" (false, no error), as Jinja2 catches them.
func (r *Renderer) item(obj Value, key Value) (Value, bool, error) {
	switch obj.kind {
	case KindDict:
		v, ok, err := obj.r.(*Dict).Get(key)
		if err != nil {
			return Value{}, false, nil // unhashable: a TypeError
		}
		return v, ok, nil
	case KindList, KindTuple, KindString, KindRange, KindBytes:
		if key.kind == KindSlice {
			return r.slice(obj, key.r.(*Slice))
		}
		if !key.isIntLike() {
			return Value{}, false, nil
		}
		n, err := r.length(obj)
		if err != nil {
			return Value{}, false, err
		}
		i, ok := key.Int64()
		if !ok {
			return Value{}, false, nil
		}
		if i < 0 {
			i += n
		}
		if i < 0 || i >= n {
			return Value{}, false, nil
		}
		switch obj.kind {
		case KindString:
			return Value{kind: KindString, s: runeAt(obj.s, int(i)), safe: obj.safe}, true, nil
		case KindBytes:
			return Int(int64(obj.s[i])), true, nil
		case KindRange:
			return obj.r.(*Range).item(i), true, nil
		}
		return obj.r.(*List).Items[i], true, nil
	case KindObject:
		if io, ok := obj.r.(ItemObject); ok {
			return io.Item(r, key)
		}
		if key.kind == KindString {
			return obj.r.(Object).Attr(r, key.s)
		}
	}
	return Value{}, false, nil
}

// sliceIndices is Python's slice.indices(n).
func sliceIndices(s *Slice, n int64) (start, stop, step int64, err error) {
	get := func(v Value, def int64) (int64, bool, error) {
		switch {
		case v.kind == KindNone:
			return def, false, nil
		case v.isIntLike():
			if v.isBig() {
				if v.Big().Sign() < 0 {
					return math.MinInt64 / 2, true, nil
				}
				return math.MaxInt64 / 2, true, nil
			}
			return v.i, true, nil
		}
		return 0, false, typeErrorf("slice indices must be integers or None or have an __index__ method")
	}
	step, _, err = get(s.step, 1)
	if err != nil {
		return
	}
	if step == 0 {
		return 0, 0, 0, valueErrorf("slice step cannot be zero")
	}
	lower, upper := int64(0), n
	if step < 0 {
		lower, upper = -1, n-1
	}
	clamp := func(v Value, def int64) (int64, error) {
		i, given, err := get(v, def)
		if err != nil || !given {
			return i, err
		}
		if i < 0 {
			i += n
			if i < lower {
				i = lower
			}
		} else if i > upper {
			i = upper
		}
		return i, nil
	}
	defStart, defStop := lower, upper
	if step < 0 {
		defStart, defStop = upper, lower
	}
	if start, err = clamp(s.start, defStart); err != nil {
		return
	}
	stop, err = clamp(s.stop, defStop)
	return
}

// slice is seq[start:stop:step].
func (r *Renderer) slice(obj Value, s *Slice) (Value, bool, error) {
	n, err := r.length(obj)
	if err != nil {
		return Value{}, false, err
	}
	start, stop, step, err := sliceIndices(s, n)
	if err != nil {
		return Value{}, false, err
	}
	var idx []int64
	count := int64(0)
	if step > 0 && stop > start {
		count = (stop - start + step - 1) / step
	} else if step < 0 && start > stop {
		count = (start - stop - step - 1) / -step
	}
	if obj.kind == KindRange {
		g := obj.r.(*Range)
		ng := &Range{start: g.At(start), step: g.step * step, base: g.base}
		ng.stop = ng.start + count*ng.step
		return Value{kind: KindRange, r: ng}, true, nil
	}
	if err := r.work(int(count)); err != nil {
		return Value{}, false, err
	}
	for i := int64(0); i < count; i++ {
		idx = append(idx, start+i*step)
	}
	if obj.kind == KindBytes {
		if err := r.alloc(count); err != nil {
			return Value{}, false, err
		}
		b := make([]byte, len(idx))
		for j, i := range idx {
			b[j] = obj.s[i]
		}
		return Bytes(string(b)), true, nil
	}
	if obj.kind == KindString {
		runes := []rune(obj.s)
		if err := r.alloc(count * 4); err != nil {
			return Value{}, false, err
		}
		var b strings.Builder
		for _, i := range idx {
			b.WriteRune(runes[i])
		}
		return Value{kind: KindString, s: b.String(), safe: obj.safe}, true, nil
	}
	if err := r.allocN(count, valueSize); err != nil {
		return Value{}, false, err
	}
	items := obj.r.(*List).Items
	out := make([]Value, len(idx))
	for j, i := range idx {
		out[j] = items[i]
	}
	if obj.kind == KindTuple {
		return NewTuple(out), true, nil
	}
	return NewList(out), true, nil
}

// call calls fn with args.
func (r *Renderer) call(fn Value, args []Value, kw []Kwarg) (Value, error) {
	switch fn.kind {
	case KindUndefined:
		return Value{}, undefinedError(fn)
	case KindCallable:
		c := fn.r.(*Callable)
		return c.fn(r, c.self, args, kw)
	case KindObject:
		if c, ok := fn.r.(interface {
			call(r *Renderer, args []Value, kw []Kwarg) (Value, error)
		}); ok {
			return c.call(r, args, kw)
		}
	}
	return Value{}, typeErrorf("'%s' object is not callable", fn.TypeName())
}

// attr returns attributes of builtin callables (none but __name__, which
// the sandbox refuses anyway).
func (c *Callable) attr(name string) (Value, bool) { return Value{}, false }

// asIndex converts an int-like value to an int for sizes and indices.
func asIndex(v Value) (int64, bool) {
	if !v.isIntLike() {
		return 0, false
	}
	if v.isBig() {
		if v.Big().Cmp(big.NewInt(math.MaxInt64)) > 0 {
			return math.MaxInt64, true
		}
		return math.MinInt64, true
	}
	return v.i, true
}
