package jinja

import (
	"fmt"
	"html"
	"math"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// String filters. Each takes str(value) (soft_str: Undefined is "", a
// Markup stays Markup where Jinja2 keeps it).

// softStr is markupsafe's soft_str: a str as it is, else str(v).
func (r *Renderer) softStr(v Value) (Value, error) {
	if v.kind == KindString {
		return v, nil
	}
	s, err := r.str(v)
	return String(s), err
}

// strFilter makes a filter of a str -> str function; Markup in, Markup out.
func strFilter(name string, fn func(string) string) filterFunc {
	return simple(sig(name), func(r *Renderer, v Value, _ []Value) (Value, error) {
		s, err := r.softStr(v)
		if err != nil {
			return Value{}, err
		}
		if err := r.workBytes(len(s.s)); err != nil {
			return Value{}, err
		}
		out := fn(s.s)
		if err := r.alloc(int64(len(out))); err != nil {
			return Value{}, err
		}
		return Value{kind: KindString, s: out, safe: s.safe}, nil
	})
}

var (
	attrKeyBad   = regexp.MustCompile(`[\s/>=]`)
	stripComment = regexp.MustCompile(`(?s)<!--.*?-->`)
	stripTag     = regexp.MustCompile(`(?s)<.*?>`)
)

// jinjaTitle is Jinja2's title: each piece between [-\s({[<]+ separators
// gets its first character upper-cased and the rest lower-cased.
func jinjaTitle(s string) string {
	// re.split(r"([-\s({\[<]+)", s), \s being Python's str.isspace.
	sep := func(c rune) bool { return isSpace(c) || strings.ContainsRune("-({[<", c) }
	var b strings.Builder
	word := 0
	for i, c := range s {
		if !sep(c) {
			continue
		}
		if word >= 0 {
			b.WriteString(titleWord(s[word:i]))
			word = -1
		}
		b.WriteRune(c)
		if n := i + utf8.RuneLen(c); n < len(s) {
			if next, _ := utf8.DecodeRuneInString(s[n:]); !sep(next) {
				word = n
			}
		}
	}
	if word >= 0 {
		b.WriteString(titleWord(s[word:]))
	}
	return b.String()
}

func titleWord(w string) string {
	if w == "" {
		return ""
	}
	r := []rune(w)
	return pyUpper(string(r[0])) + pyLower(string(r[1:]))
}

func init() {
	register(filters, []string{"upper"}, strFilter("do_upper", pyUpper))
	register(filters, []string{"lower"}, strFilter("do_lower", pyLower))
	register(filters, []string{"capitalize"}, strFilter("do_capitalize", pyCapitalize))
	register(filters, []string{"title"}, strFilter("do_title", jinjaTitle))
	register(filters, []string{"wordcount"}, simple(sig("do_wordcount"), func(r *Renderer, v Value, _ []Value) (Value, error) {
		s, err := r.str(v)
		if err != nil {
			return Value{}, err
		}
		n, in := 0, false
		for _, c := range s {
			w := isWordRune(c)
			if w && !in {
				n++
			}
			in = w
		}
		return Int(int64(n)), r.workBytes(len(s))
	}))
	register(filters, []string{"trim"}, simple(sig("do_trim", optNone("chars")), func(r *Renderer, v Value, a []Value) (Value, error) {
		s, err := r.softStr(v)
		if err != nil {
			return Value{}, err
		}
		if a[0].kind != KindNone && a[0].kind != KindString {
			return Value{}, typeErrorf("strip arg must be None or str")
		}
		return Value{kind: KindString, s: stripChars(s.s, a[0], true, true), safe: s.safe}, nil
	}))
	register(filters, []string{"center"}, simple(sig("do_center", opt("width", Int(80))), func(r *Renderer, v Value, a []Value) (Value, error) {
		s, err := r.softStr(v)
		if err != nil {
			return Value{}, err
		}
		w, err := intArg("center", "width", a[0])
		if err != nil {
			return Value{}, err
		}
		out, err := r.pad(s.s, w, ' ', 'c')
		return Value{kind: KindString, s: out, safe: s.safe}, err
	}))
	register(filters, []string{"replace"}, simple(sig("do_replace", req("old"), req("new"), optNone("count")), func(r *Renderer, v Value, a []Value) (Value, error) {
		s, err := r.str(v)
		if err != nil {
			return Value{}, err
		}
		old, err := r.str(a[0])
		if err != nil {
			return Value{}, err
		}
		nw, err := r.str(a[1])
		if err != nil {
			return Value{}, err
		}
		count := int64(-1)
		if a[2].kind != KindNone {
			if count, err = intArg("replace", "count", a[2]); err != nil {
				return Value{}, err
			}
		}
		out, err := r.replace(s, old, nw, count)
		return String(out), err
	}))
	register(filters, []string{"striptags"}, simple(sig("do_striptags"), func(r *Renderer, v Value, _ []Value) (Value, error) {
		s, err := r.str(v)
		if err != nil {
			return Value{}, err
		}
		if err := r.workBytes(len(s)); err != nil {
			return Value{}, err
		}
		s = stripComment.ReplaceAllString(s, "")
		s = stripTag.ReplaceAllString(s, "")
		s = strings.Join(strings.FieldsFunc(s, isSpace), " ")
		return String(html.UnescapeString(s)), nil
	}))
	register(filters, []string{"indent"}, simple(sig("do_indent", opt("width", Int(4)), opt("first", False), opt("blank", False)), filterIndent))
	register(filters, []string{"truncate"}, simple(sig("do_truncate", opt("length", Int(255)), opt("killwords", False), opt("end", String("...")), optNone("leeway")), filterTruncate))
	register(filters, []string{"filesizeformat"}, simple(sig("do_filesizeformat", opt("binary", False)), filterFilesize))
	register(filters, []string{"xmlattr"}, simple(sig("do_xmlattr", opt("autospace", True)), filterXMLAttr))
	register(filters, []string{"format"}, func(r *Renderer, v Value, args []Value, kw []Kwarg) (Value, error) {
		if len(args) > 0 && len(kw) > 0 {
			return Value{}, newError(FilterArgError, "can't handle positional and keyword arguments at the same time")
		}
		s, err := r.softStr(v)
		if err != nil {
			return Value{}, err
		}
		if len(kw) > 0 {
			d := NewDict(len(kw))
			for _, k := range kw {
				d.SetStr(k.Name, k.Value)
			}
			return r.percentFormat(s, DictValue(d))
		}
		return r.percentFormat(s, NewTuple(args))
	})
}

// pad is str.center / ljust / rjust to width with fill; the result size
// is counted before it is built.
func (r *Renderer) pad(s string, width int64, fill rune, how byte) (string, error) {
	n := int64(runeCount(s))
	if width <= n {
		return s, nil
	}
	marg := width - n
	fw := int64(len(string(fill)))
	if marg > (r.budget.maxMem-r.budget.mem)/fw {
		return "", r.memoryExceeded()
	}
	if err := r.alloc(int64(len(s)) + marg*fw); err != nil {
		return "", err
	}
	if err := r.workBytes(int(marg * fw)); err != nil {
		return "", err
	}
	var left int64
	switch how {
	case 'c':
		left = marg/2 + (marg & width & 1)
	case 'r':
		left = marg
	}
	f := string(fill)
	return strings.Repeat(f, int(left)) + s + strings.Repeat(f, int(marg-left)), nil
}

// replace is str.replace(old, new, count), its size counted first.
func (r *Renderer) replace(s, old, nw string, count int64) (string, error) {
	n := int64(strings.Count(s, old))
	if count >= 0 && n > count {
		n = count
	}
	size := int64(len(s)) + n*(int64(len(nw))-int64(len(old)))
	if n > 0 && int64(len(nw)) > (r.budget.maxMem-r.budget.mem)/n {
		return "", r.memoryExceeded()
	}
	if err := r.alloc(size); err != nil {
		return "", err
	}
	if err := r.workBytes(int(size) + len(s)); err != nil {
		return "", err
	}
	return strings.Replace(s, old, nw, int(n)), nil
}

func filterIndent(r *Renderer, v Value, a []Value) (Value, error) {
	// Jinja2 computes the indentation (" " * width) first, then s += "\n".
	var ind string
	width := int64(0)
	switch w := a[0]; {
	case w.kind == KindString:
		ind = w.s
	case w.kind == KindUndefined:
		return Value{}, undefinedError(w)
	case !w.isIntLike():
		return Value{}, typeErrorf("can't multiply sequence by non-int of type '%s'", w.TypeName())
	default:
		width, _ = asIndex(w)
	}
	switch v.kind {
	case KindString:
	case KindUndefined:
		return Value{}, undefinedError(v)
	case KindList:
		// s += "\n" extends a list (by one item, "\n"); then
		// s.splitlines() fails.
		l := v.r.(*List)
		if err := r.alloc(valueSize); err != nil {
			return Value{}, err
		}
		l.Items = append(l.Items, String("\n"))
		return Value{}, newError(AttributeError, "'list' object has no attribute 'splitlines'")
	case KindTuple:
		return Value{}, typeErrorf("can only concatenate tuple (not \"str\") to tuple")
	default:
		return Value{}, typeErrorf("unsupported operand type(s) for +=: '%s' and 'str'", v.TypeName())
	}
	sv := v
	// The spaces are built (and counted) only when a line gets them.
	if width > 0 && (a[1].Truth() || strings.ContainsAny(sv.s, "\n\r\v\f\x1c\x1d\x1e\u0085\u2028\u2029")) {
		if err := r.alloc(width); err != nil {
			return Value{}, err
		}
		ind = strings.Repeat(" ", int(width))
	}
	s := sv.s + "\n"
	lines := splitLines(s, false)
	if err := r.allocN(int64(len(lines)), int64(len(ind))+1); err != nil {
		return Value{}, err
	}
	if err := r.alloc(int64(len(s))); err != nil {
		return Value{}, err
	}
	var b strings.Builder
	if a[2].Truth() {
		for i, l := range lines {
			if i > 0 {
				b.WriteString("\n" + ind)
			}
			b.WriteString(l)
		}
	} else if len(lines) > 0 {
		b.WriteString(lines[0])
		for _, l := range lines[1:] {
			b.WriteString("\n")
			if l != "" {
				b.WriteString(ind)
			}
			b.WriteString(l)
		}
	}
	out := b.String()
	if a[1].Truth() {
		out = ind + out
	}
	return Value{kind: KindString, s: out, safe: sv.safe}, nil
}

func filterTruncate(r *Renderer, v Value, a []Value) (Value, error) {
	// assert length >= len(end) comes first: end must have a len(), an
	// Undefined length fails the comparison. A float length or leeway is
	// compared as Python compares it; only slicing needs an int length.
	if !hasLen(a[2]) {
		return Value{}, typeErrorf("object of type '%s' has no len()", a[2].TypeName())
	}
	if a[0].kind == KindUndefined {
		return Value{}, undefinedError(a[0])
	}
	floats := a[0].kind == KindFloat || a[3].kind == KindFloat
	var lengthF, leewayF float64
	var length int64
	if a[0].kind == KindFloat {
		n, err := r.length(a[2])
		if err != nil {
			return Value{}, err
		}
		if lengthF = a[0].FloatVal(); !(lengthF >= float64(n)) {
			return Value{}, newError(PyAssertionError, "expected length >= %d, got %s", n, formatFloat(lengthF))
		}
	} else {
		var err error
		if length, err = intArg("truncate", "length", a[0]); err != nil {
			return Value{}, err
		}
	}
	end, err := r.str(a[2])
	if err != nil {
		return Value{}, err
	}
	endLen := int64(runeCount(end))
	if a[0].kind != KindFloat && length < endLen {
		return Value{}, newError(PyAssertionError, "expected length >= %d, got %d", endLen, length)
	}
	leeway := int64(5)
	switch a[3].kind {
	case KindNone:
	case KindFloat:
		if leewayF = a[3].FloatVal(); !(leewayF >= 0) {
			return Value{}, newError(PyAssertionError, "expected leeway >= 0, got %s", formatFloat(leewayF))
		}
	default:
		if leeway, err = intArg("truncate", "leeway", a[3]); err != nil {
			return Value{}, err
		}
		if leeway < 0 {
			return Value{}, newError(PyAssertionError, "expected leeway >= 0, got %d", leeway)
		}
	}
	if floats {
		if a[0].kind != KindFloat {
			if lengthF, err = toFloat(a[0]); err != nil {
				return Value{}, err
			}
		}
		if a[3].kind != KindFloat {
			leewayF = float64(leeway)
		}
	}
	// fits is len(s) <= length + leeway.
	fits := func(n int64) bool {
		if floats {
			return float64(n) <= lengthF+leewayF
		}
		return n <= length+leeway
	}
	if !hasLen(v) {
		return Value{}, typeErrorf("object of type '%s' has no len()", v.TypeName())
	}
	n, err := r.length(v)
	if err != nil {
		return Value{}, err
	}
	if fits(n) {
		// Jinja2 returns s itself, whatever s is (an Undefined stays
		// undefined, a short list stays a list).
		return v, nil
	}
	if a[0].kind == KindFloat {
		return Value{}, typeErrorf("slice indices must be integers or None or have an __index__ method")
	}
	if v.kind != KindString {
		if a[1].Truth() {
			return Value{}, typeErrorf("can only concatenate %s (not \"str\") to %s", v.TypeName(), v.TypeName())
		}
		return Value{}, newError(AttributeError, "'%s' object has no attribute 'rsplit'", v.TypeName())
	}
	runes := []rune(v.s)
	head := string(runes[:length-endLen])
	if !a[1].Truth() {
		if i := strings.LastIndex(head, " "); i >= 0 {
			head = head[:i]
		}
	}
	return String(head + end), nil
}

func filterFilesize(r *Renderer, v Value, a []Value) (Value, error) {
	var bytes float64
	switch {
	case v.isNumber():
		f, err := toFloat(v)
		if err != nil {
			return Value{}, err
		}
		bytes = f
	case v.kind == KindString:
		f, ok := parseFloatText(v.s)
		if !ok {
			return Value{}, valueErrorf("could not convert string to float: %s", pyQuote(v.s))
		}
		bytes = f
	case v.kind == KindUndefined:
		return Value{}, undefinedError(v)
	default:
		return Value{}, typeErrorf("float() argument must be a string or a real number, not '%s'", v.TypeName())
	}
	base := 1000.0
	prefixes := []string{"kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB"}
	if a[0].Truth() {
		base = 1024
		prefixes = []string{"KiB", "MiB", "GiB", "TiB", "PiB", "EiB", "ZiB", "YiB"}
	}
	switch {
	case bytes == 1:
		return String("1 Byte"), nil
	case bytes < base:
		if math.IsNaN(bytes) || math.IsInf(bytes, 0) {
			return Value{}, valueErrorf("cannot convert float %s to integer", formatFloat(bytes))
		}
		n, _ := bigFromFloat(bytes)
		return String(n.String() + " Bytes"), nil
	}
	unit := 0.0
	prefix := ""
	for i, p := range prefixes {
		unit = math.Pow(base, float64(i+2))
		prefix = p
		if bytes < unit {
			break
		}
	}
	return String(fmt.Sprintf("%s %s", formatFixed(base*bytes/unit, 1), prefix)), nil
}

func filterXMLAttr(r *Renderer, v Value, a []Value) (Value, error) {
	d := v.Dict()
	if d == nil {
		return Value{}, r.noAttr(v, "items")
	}
	var parts []string
	for i, k := range d.keys {
		val := d.vals[i]
		if val.kind == KindNone || val.kind == KindUndefined {
			continue
		}
		ks, err := r.str(k)
		if err != nil {
			return Value{}, err
		}
		if k.kind != KindString {
			return Value{}, typeErrorf("expected string or bytes-like object")
		}
		if strings.IndexFunc(ks, func(c rune) bool { return c < 128 && (unicode.IsSpace(c) || c == '/' || c == '>' || c == '=') }) >= 0 {
			return Value{}, valueErrorf("Invalid character in attribute name: %s", pyQuote(ks))
		}
		vs, err := r.escape(val)
		if err != nil {
			return Value{}, err
		}
		parts = append(parts, escapeHTML(ks)+`="`+vs+`"`)
	}
	out := strings.Join(parts, " ")
	if a[0].Truth() && out != "" {
		out = " " + out
	}
	if r.autoescape {
		return Markup(out), nil
	}
	return String(out), nil
}

var _ = attrKeyBad
