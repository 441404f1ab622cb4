package jinja

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Python's str() and repr() of every kind of value: None, True, 1.0,
// 'quoted' strings with Python's escapes, [1, 'a'], (1,), {'k': 1},
// range(0, 3), dict_items([('a', 1)]), Markup('x'), [[...]] for a list
// that contains itself. Container reprs are written into a builder bounded
// by the render's memory budget, so printing a large value fails before it
// allocates past the budget.

// maxValueDepth bounds every recursion over a value (repr, equality,
// ordering, JSON, hashing), as Python's recursion limit does.
const maxValueDepth = 500

func recursionError(what string) error {
	return newError(RecursionError, "maximum recursion depth exceeded while %s", what)
}

// reprBuilder collects a repr up to max bytes.
type reprBuilder struct {
	strings.Builder
	max   int64
	err   error
	stack []uintptr // containers being printed, for [...]
}

func (b *reprBuilder) write(s string) {
	if b.err != nil {
		return
	}
	if int64(b.Len()+len(s)) > b.max {
		b.err = errMemory
		return
	}
	b.WriteString(s)
}

// errMemory marks a repr that outgrew its bound; the renderer turns it
// into its memory BoundError.
var errMemory = &Error{Kind: RuntimeError, Msg: "value too large to print"}

// str is Python's str(v).
func (r *Renderer) str(v Value) (string, error) {
	switch v.kind {
	case KindString:
		return v.s, nil
	case KindUndefined:
		return "", nil
	}
	return r.reprOf(v, false)
}

// repr is Python's repr(v).
func (r *Renderer) repr(v Value) (string, error) { return r.reprOf(v, true) }

func (r *Renderer) reprOf(v Value, quote bool) (string, error) {
	switch v.kind {
	case KindNone:
		return "None", nil
	case KindBool:
		if v.i != 0 {
			return "True", nil
		}
		return "False", nil
	case KindInt:
		return formatInt(v)
	case KindFloat:
		return formatFloat(v.FloatVal()), nil
	case KindComplex:
		return complexRepr(v.complex()), nil
	case KindBytes:
		return bytesRepr(v.s), nil
	case KindString:
		if !quote {
			return v.s, nil
		}
	}
	max := int64(1 << 30)
	if r != nil {
		max = r.budget.maxMem - r.budget.mem
	}
	b := &reprBuilder{max: max}
	r.writeRepr(b, v, quote, 0)
	if b.err != nil {
		if b.err == errMemory && r != nil {
			return "", r.memoryExceeded()
		}
		return "", b.err
	}
	s := b.String()
	if r != nil {
		if err := r.alloc(int64(len(s))); err != nil {
			return "", err
		}
	}
	return s, nil
}

func (r *Renderer) writeRepr(b *reprBuilder, v Value, quote bool, depth int) {
	if b.err != nil {
		return
	}
	if depth > maxValueDepth {
		b.err = recursionError("getting the repr of an object")
		return
	}
	if r != nil && depth > 0 {
		if err := r.step(); err != nil {
			b.err = err
			return
		}
	}
	switch v.kind {
	case KindString:
		switch {
		case !quote:
			b.write(v.s)
		case v.safe:
			b.write("Markup(" + pyQuote(v.s) + ")")
		default:
			b.write(pyQuote(v.s))
		}
		return
	case KindUndefined:
		if quote {
			b.write("Undefined")
		}
		return
	case KindNone, KindBool, KindInt, KindFloat:
		s, err := r.reprOf(v, true)
		if err != nil {
			b.err = err
			return
		}
		b.write(s)
		return
	case KindList, KindTuple, KindDict:
		id := identity(v)
		for _, s := range b.stack {
			if s == id {
				switch v.kind {
				case KindDict:
					b.write("{...}")
				default:
					b.write("[...]")
				}
				return
			}
		}
		b.stack = append(b.stack, id)
		defer func() { b.stack = b.stack[:len(b.stack)-1] }()
	}
	switch v.kind {
	case KindList:
		r.writeItems(b, "[", "]", v.r.(*List).Items, depth)
	case KindTuple:
		items := v.r.(*List).Items
		if len(items) == 1 {
			b.write("(")
			r.writeRepr(b, items[0], true, depth+1)
			b.write(",)")
			return
		}
		r.writeItems(b, "(", ")", items, depth)
	case KindDict:
		r.writeDict(b, v.r.(*Dict), depth)
	case KindRange:
		rg := v.r.(*Range)
		start, _ := formatInt(rg.abs(rg.start))
		stop, _ := formatInt(rg.abs(rg.stop))
		if rg.step == 1 {
			b.write(fmt.Sprintf("range(%s, %s)", start, stop))
		} else {
			b.write(fmt.Sprintf("range(%s, %s, %d)", start, stop, rg.step))
		}
	case KindView:
		view := v.r.(*View)
		b.write(view.typeName() + "(")
		items, err := view.items(r)
		if err != nil {
			b.err = err
			return
		}
		r.writeItems(b, "[", "]", items, depth)
		b.write(")")
	case KindSlice:
		s := v.r.(*Slice)
		b.write("slice(")
		r.writeRepr(b, s.start, true, depth+1)
		b.write(", ")
		r.writeRepr(b, s.stop, true, depth+1)
		b.write(", ")
		r.writeRepr(b, s.step, true, depth+1)
		b.write(")")
	case KindIter:
		b.write(fmt.Sprintf("<%s object at 0x%x>", v.r.(*Iter).typeName, identity(v)))
	case KindCallable:
		b.write(v.r.(*Callable).repr(identity(v)))
	case KindObject:
		if s, ok := v.r.(Stringer); ok {
			b.write(s.Str())
			return
		}
		if ns, ok := v.r.(*Namespace); ok {
			b.write("<Namespace ")
			r.writeDict(b, ns.attrs, depth)
			b.write(">")
			return
		}
		b.write(fmt.Sprintf("<%s object at 0x%x>", v.TypeName(), identity(v)))
	}
}

func (r *Renderer) writeItems(b *reprBuilder, open, close string, items []Value, depth int) {
	b.write(open)
	for i, it := range items {
		if i > 0 {
			b.write(", ")
		}
		r.writeRepr(b, it, true, depth+1)
	}
	b.write(close)
}

func (r *Renderer) writeDict(b *reprBuilder, d *Dict, depth int) {
	b.write("{")
	for i, k := range d.keys {
		if i > 0 {
			b.write(", ")
		}
		r.writeRepr(b, k, true, depth+1)
		b.write(": ")
		r.writeRepr(b, d.vals[i], true, depth+1)
	}
	b.write("}")
}

// pyQuote is Python's repr of a str: single quotes unless the text has a
// single quote and no double quote; \\, the quote, \t, \n, \r escaped; other
// characters that are not printable as \xhh, \uhhhh or \Uhhhhhhhh.
func pyQuote(s string) string {
	q := byte('\'')
	if strings.IndexByte(s, '\'') >= 0 && strings.IndexByte(s, '"') < 0 {
		q = '"'
	}
	var b strings.Builder
	b.Grow(len(s) + 2)
	b.WriteByte(q)
	for _, c := range s {
		switch {
		case c == rune(q) || c == '\\':
			b.WriteByte('\\')
			b.WriteRune(c)
		case c == '\t':
			b.WriteString(`\t`)
		case c == '\n':
			b.WriteString(`\n`)
		case c == '\r':
			b.WriteString(`\r`)
		case c < ' ' || c == 0x7f:
			b.WriteString(`\x` + hex2(int(c), 2))
		case c < utf8.RuneSelf || isPrintable(c):
			b.WriteRune(c)
		case c < 0x100:
			b.WriteString(`\x` + hex2(int(c), 2))
		case c < 0x10000:
			b.WriteString(`\u` + hex2(int(c), 4))
		default:
			b.WriteString(`\U` + hex2(int(c), 8))
		}
	}
	b.WriteByte(q)
	return b.String()
}

func hex2(n, width int) string {
	s := strconv.FormatInt(int64(n), 16)
	return strings.Repeat("0", width-len(s)) + s
}

// isPrintable is Python's str.isprintable for one character: not in the
// categories Cc, Cf, Cs, Co, Cn, Zl, Zp and Zs, except the space.
func isPrintable(c rune) bool { return pyHas(c, pyPrintable) }
