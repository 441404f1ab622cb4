package jinja

import (
	"math"
	"strings"
	"unicode/utf16"
)

// pyJSON writes v as Python's json.dumps does, with sort_keys, ensure_ascii,
// indent (nil: one line with ", " and ": ") and, for tojson, the HTML-safe
// escapes of < > & '.
type pyJSON struct {
	r        *Renderer
	b        reprBuilder
	sortKeys bool
	ascii    bool
	indent   *string
	htmlSafe bool
	stack    []uintptr
}

func (j *pyJSON) encode(v Value, level int) error {
	if level > maxValueDepth {
		return recursionError("encoding a JSON object")
	}
	if j.r != nil {
		if err := j.r.step(); err != nil {
			return err
		}
	}
	switch v.kind {
	case KindNone:
		j.b.write("null")
	case KindBool:
		j.b.write(map[bool]string{true: "true", false: "false"}[v.i != 0])
	case KindInt:
		s, err := formatInt(v)
		if err != nil {
			return err
		}
		j.b.write(s)
	case KindFloat:
		j.b.write(jsonFloat(v.FloatVal()))
	case KindString:
		j.writeString(v.s)
	case KindList, KindTuple, KindDict:
		id := identity(v)
		for _, s := range j.stack {
			if s == id {
				return valueErrorf("Circular reference detected")
			}
		}
		j.stack = append(j.stack, id)
		defer func() { j.stack = j.stack[:len(j.stack)-1] }()
		if v.kind == KindDict {
			return j.encodeDict(v.r.(*Dict), level)
		}
		items := v.r.(*List).Items
		if len(items) == 0 {
			j.b.write("[]")
			return nil
		}
		j.b.write("[")
		for i, it := range items {
			j.separate(i, level+1)
			if err := j.encode(it, level+1); err != nil {
				return err
			}
		}
		j.close(level)
		j.b.write("]")
	default:
		return typeErrorf("Object of type %s is not JSON serializable", v.TypeName())
	}
	return j.b.err
}

func (j *pyJSON) separate(i, level int) {
	if j.indent == nil {
		if i > 0 {
			j.b.write(", ")
		}
		return
	}
	if i > 0 {
		j.b.write(",")
	}
	j.b.write("\n" + strings.Repeat(*j.indent, level))
}

func (j *pyJSON) close(level int) {
	if j.indent != nil {
		j.b.write("\n" + strings.Repeat(*j.indent, level))
	}
}

func (j *pyJSON) encodeDict(d *Dict, level int) error {
	if d.Len() == 0 {
		j.b.write("{}")
		return nil
	}
	order := make([]int, d.Len())
	for i := range order {
		order[i] = i
	}
	if j.sortKeys {
		var keys []Value
		keys = append(keys, d.keys...)
		idx := make([]Value, len(keys))
		for i := range idx {
			idx[i] = Int(int64(i))
		}
		err := j.r.sortBy(idx, func(x Value) (Value, error) { return keys[x.i], nil }, false)
		if err != nil {
			return err
		}
		for i, x := range idx {
			order[i] = int(x.i)
		}
	}
	j.b.write("{")
	for n, i := range order {
		k := d.keys[i]
		var ks string
		switch k.kind {
		case KindString:
			ks = k.s
		case KindBool:
			ks = map[bool]string{true: "true", false: "false"}[k.i != 0]
		case KindNone:
			ks = "null"
		case KindInt:
			s, err := formatInt(k)
			if err != nil {
				return err
			}
			ks = s
		case KindFloat:
			ks = jsonFloat(k.FloatVal())
		default:
			return typeErrorf("keys must be str, int, float, bool or None, not %s", k.TypeName())
		}
		j.separate(n, level+1)
		j.writeString(ks)
		j.b.write(": ")
		if err := j.encode(d.vals[i], level+1); err != nil {
			return err
		}
	}
	j.close(level)
	j.b.write("}")
	return nil
}

// jsonFloat is float.__repr__ with json's NaN and Infinity.
func jsonFloat(f float64) string {
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "Infinity"
	case math.IsInf(f, -1):
		return "-Infinity"
	}
	return formatFloat(f)
}

func (j *pyJSON) writeString(s string) {
	var b strings.Builder
	b.WriteByte('"')
	for _, c := range s {
		switch c {
		case '"':
			b.WriteString(`\"`)
		case '\\':
			b.WriteString(`\\`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		case '\b':
			b.WriteString(`\b`)
		case '\f':
			b.WriteString(`\f`)
		default:
			switch {
			case c < 0x20:
				b.WriteString(`\u` + hex2(int(c), 4))
			case j.htmlSafe && (c == '<' || c == '>' || c == '&' || c == '\''):
				b.WriteString(`\u` + hex2(int(c), 4))
			case c < 0x7f || !j.ascii:
				b.WriteRune(c)
			case c > 0xFFFF:
				r1, r2 := utf16.EncodeRune(c)
				b.WriteString(`\u` + hex2(int(r1), 4) + `\u` + hex2(int(r2), 4))
			default:
				b.WriteString(`\u` + hex2(int(c), 4))
			}
		}
	}
	b.WriteByte('"')
	j.b.write(b.String())
}

func init() {
	register(filters, []string{"tojson"}, simple(sig("do_tojson", optNone("indent")), func(r *Renderer, v Value, a []Value) (Value, error) {
		j := &pyJSON{r: r, sortKeys: true, ascii: true, htmlSafe: true}
		j.b.max = r.budget.maxMem - r.budget.mem
		switch ind := a[0]; {
		case ind.kind == KindNone, v.kind == KindString:
			// json.dumps encodes a str before it looks at indent.
		case ind.kind == KindUndefined:
			return Value{}, undefinedError(ind) // " " * indent
		case ind.kind == KindString:
			j.indent = &ind.s
		case ind.isIntLike():
			n, _ := asIndex(ind)
			if err := r.alloc(max(n, 0)); err != nil {
				return Value{}, err
			}
			s := strings.Repeat(" ", int(max(n, 0)))
			j.indent = &s
		default:
			return Value{}, typeErrorf("can't multiply sequence by non-int of type '%s'", ind.TypeName())
		}
		if err := j.encode(v, 0); err != nil {
			if err == errMemory {
				return Value{}, r.memoryExceeded()
			}
			return Value{}, err
		}
		if j.b.err != nil {
			return Value{}, r.memoryExceeded()
		}
		return Markup(j.b.String()), r.alloc(int64(j.b.Len()))
	}))
}

// DumpJSON is json.dumps(v, ensure_ascii=False): one line, keys in order.
func (r *Renderer) DumpJSON(v Value) (string, error) {
	j := &pyJSON{r: r}
	j.b.max = 1 << 40
	if r != nil {
		j.b.max = r.budget.maxMem - r.budget.mem
	}
	if err := j.encode(v, 0); err != nil {
		return "", err
	}
	return j.b.String(), j.b.err
}

// JSONable reports whether v maps to JSON without loss, as the oracle and
// the Response Mapper define it: None, bool, int, finite float, str, and
// lists, tuples and str-keyed dicts of those.
func JSONable(v Value) bool { return jsonable(v, 0) }

func jsonable(v Value, depth int) bool {
	if depth > maxValueDepth {
		return false
	}
	switch v.kind {
	case KindNone, KindBool, KindInt, KindString:
		return true
	case KindFloat:
		f := v.FloatVal()
		return !math.IsInf(f, 0) && !math.IsNaN(f)
	case KindList, KindTuple:
		for _, it := range v.r.(*List).Items {
			if !jsonable(it, depth+1) {
				return false
			}
		}
		return true
	case KindDict:
		d := v.r.(*Dict)
		for i, k := range d.keys {
			if k.kind != KindString || !jsonable(d.vals[i], depth+1) {
				return false
			}
		}
		return true
	}
	return false
}
