package jinja

import (
	"fmt"
	"math"
	"math/big"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// str.format and str.format_map as Jinja2's SandboxedFormatter runs them:
// {field!conversion:spec} with fields resolved through the sandbox's
// attribute and item rules, and Python's format-spec mini-language for
// str, int and float ([[fill]align][sign][z][#][0][width][grouping]
// [.precision][type]). Widths are counted against the memory budget
// before anything is padded.

// With markup (a Markup receiver) each field is escaped, as markupsafe's
// EscapeFormatter does, and the result is Markup.
func (r *Renderer) strFormat(f string, args []Value, kw []Kwarg, mapping *Value, markup bool) (Value, error) {
	return r.vformat(f, args, kw, mapping, markup, &fmtState{})
}

// fmtState is string.Formatter._vformat's auto_arg_index, shared with the
// nested fields of a spec ('{:{}}{}' takes args 0, 1, 2): off once a field
// named by digits alone has been used.
type fmtState struct {
	auto int
	off  bool
}

func (r *Renderer) vformat(f string, args []Value, kw []Kwarg, mapping *Value, markup bool, st *fmtState) (Value, error) {
	var out strings.Builder
	field := func(name string) (Value, error) {
		// string.Formatter numbers only an empty name; digits alone
		// turn numbering off ('{0[k]}' does neither).
		switch {
		case name == "":
			if st.off {
				return Value{}, valueErrorf("cannot switch from manual field specification to automatic field numbering")
			}
			name = strconv.Itoa(st.auto)
			st.auto++
		case strings.Trim(name, "0123456789") == "":
			if st.auto > 0 && !st.off {
				return Value{}, valueErrorf("cannot switch from manual field specification to automatic field numbering")
			}
			st.off = true
		}
		first, rest := name, ""
		if k := strings.IndexAny(name, ".["); k >= 0 {
			first, rest = name[:k], name[k:]
		}
		var v Value
		switch {
		case first != "" && strings.Trim(first, "0123456789") == "":
			i, _ := strconv.Atoi(first)
			if i >= len(args) {
				return Value{}, newError(IndexError, "Replacement index %d out of range for positional args tuple", i)
			}
			v = args[i]
		default:
			found := false
			if mapping != nil {
				got, err := r.getitem(*mapping, String(first))
				if err != nil {
					return Value{}, err
				}
				v, found = got, got.kind != KindUndefined
			}
			for _, k := range kw {
				if k.Name == first {
					v, found = k.Value, true
				}
			}
			if !found {
				return Value{}, newError(KeyError, "%s", pyQuote(first))
			}
		}
		for rest != "" {
			var err error
			if rest[0] == '.' {
				k := strings.IndexAny(rest[1:], ".[")
				attr := rest[1:]
				if k >= 0 {
					attr, rest = rest[1:k+1], rest[k+1:]
				} else {
					rest = ""
				}
				if attr == "" {
					return Value{}, valueErrorf("Empty attribute in format string")
				}
				v, err = r.getattr(v, attr) // the sandbox's: unsafe names are Undefined
			} else {
				k := strings.IndexByte(rest, ']')
				if k < 0 {
					return Value{}, valueErrorf("Missing ']' in format string")
				}
				key := rest[1:k]
				rest = rest[k+1:]
				var kv Value = String(key)
				if key != "" && strings.Trim(key, "0123456789") == "" {
					kv, _ = parseIntText(key)
				}
				v, err = r.getitem(v, kv)
			}
			if err != nil {
				return Value{}, err
			}
		}
		return v, nil
	}
	for i := 0; i < len(f); {
		c := f[i]
		if c == '}' {
			if i+1 < len(f) && f[i+1] == '}' {
				out.WriteByte('}')
				i += 2
				continue
			}
			return Value{}, valueErrorf("Single '}' encountered in format string")
		}
		if c != '{' {
			out.WriteByte(c)
			i++
			continue
		}
		if i+1 < len(f) && f[i+1] == '{' {
			out.WriteByte('{')
			i += 2
			continue
		}
		// Find the matching }, allowing one level of nested {} in the spec.
		depth, k := 1, i+1
		for ; k < len(f) && depth > 0; k++ {
			switch f[k] {
			case '{':
				depth++
			case '}':
				depth--
			}
		}
		if depth > 0 {
			return Value{}, valueErrorf("expected '}' before end of string")
		}
		body := f[i+1 : k-1]
		i = k
		name, spec, conv := body, "", byte(0)
		if j := strings.IndexByte(body, ':'); j >= 0 {
			name, spec = body[:j], body[j+1:]
		}
		if j := strings.IndexByte(name, '!'); j >= 0 {
			if j+2 != len(name) {
				return Value{}, valueErrorf("expected ':' after conversion specifier")
			}
			name, conv = name[:j], name[j+1]
		}
		v, err := field(name)
		if err != nil {
			return Value{}, err
		}
		switch conv {
		case 0:
		case 's', 'r', 'a':
			var s string
			if conv == 's' {
				s, err = r.str(v)
			} else {
				s, err = r.repr(v)
				if conv == 'a' {
					s = asciiEscape(s)
				}
			}
			if err != nil {
				return Value{}, err
			}
			v = String(s)
		default:
			return Value{}, valueErrorf("Unknown conversion specifier %c", conv)
		}
		if strings.IndexByte(spec, '{') >= 0 {
			nested, err := r.vformat(spec, args, kw, mapping, markup, st)
			if err != nil {
				return Value{}, err
			}
			spec = nested.s
		}
		var s string
		switch {
		case markup && v.IsSafe():
			if spec != "" {
				return Value{}, valueErrorf("Unsupported format specification for Markup.")
			}
			s = v.s
		case markup:
			if s, err = r.formatSpec(v, spec); err != nil {
				return Value{}, err
			}
			s = escapeHTML(s)
		default:
			if s, err = r.formatSpec(v, spec); err != nil {
				return Value{}, err
			}
		}
		if err := r.alloc(int64(len(s))); err != nil {
			return Value{}, err
		}
		out.WriteString(s)
	}
	return Value{kind: KindString, s: out.String(), safe: markup}, nil
}

// formatSpec is Python's format(v, spec).
type spec struct {
	fill      rune
	fillSet   bool // an explicit fill: the 0 flag does not replace it
	negZero   bool // z: a negative zero prints as a zero
	align     byte
	sign      byte
	alt, zero bool
	width     int64
	group     byte
	prec      int64
	typ       byte
}

func parseSpec(s string) (spec, error) {
	sp := spec{fill: ' ', prec: -1}
	rs := []rune(s)
	i := 0
	isAlign := func(c rune) bool { return c == '<' || c == '>' || c == '=' || c == '^' }
	if len(rs) >= 2 && isAlign(rs[1]) {
		sp.fill, sp.fillSet, sp.align, i = rs[0], true, byte(rs[1]), 2
	} else if len(rs) >= 1 && isAlign(rs[0]) {
		sp.align, i = byte(rs[0]), 1
	}
	if i < len(rs) && (rs[i] == '+' || rs[i] == '-' || rs[i] == ' ') {
		sp.sign = byte(rs[i])
		i++
	}
	if i < len(rs) && rs[i] == 'z' {
		sp.negZero = true
		i++
	}
	if i < len(rs) && rs[i] == '#' {
		sp.alt = true
		i++
	}
	if i < len(rs) && rs[i] == '0' {
		sp.zero = true
		i++
	}
	num := func() (int64, bool) {
		k := i
		for i < len(rs) && rs[i] >= '0' && rs[i] <= '9' {
			i++
		}
		if i == k {
			return 0, false
		}
		n, err := strconv.ParseInt(string(rs[k:i]), 10, 64)
		if err != nil {
			return math.MaxInt64, true
		}
		return n, true
	}
	sp.width, _ = num()
	if i < len(rs) && (rs[i] == ',' || rs[i] == '_') {
		sp.group = byte(rs[i])
		i++
	}
	if i < len(rs) && rs[i] == '.' {
		i++
		p, ok := num()
		if !ok {
			return sp, valueErrorf("Format specifier missing precision")
		}
		sp.prec = p
	}
	if i < len(rs) {
		sp.typ = byte(rs[i])
		i++
	}
	if i < len(rs) || sp.typ >= utf8.RuneSelf {
		return sp, valueErrorf("Invalid format specifier")
	}
	return sp, nil
}

func (r *Renderer) formatSpec(v Value, s string) (string, error) {
	if s == "" {
		return r.str(v)
	}
	sp, err := parseSpec(s)
	if err != nil {
		return "", err
	}
	if err := r.alloc(sp.width + max(sp.prec, 0)); err != nil {
		return "", err
	}
	switch {
	case v.kind == KindString:
		if sp.typ != 0 && sp.typ != 's' {
			return "", valueErrorf("Unknown format code '%c' for object of type 'str'", sp.typ)
		}
		if sp.sign != 0 {
			return "", valueErrorf("Sign not allowed in string format specifier")
		}
		if sp.negZero {
			return "", valueErrorf("Negative zero coercion (z) not allowed in string format specifier")
		}
		text, err := r.str(v)
		if err != nil {
			return "", err
		}
		if sp.prec >= 0 {
			if rs := []rune(text); int64(len(rs)) > sp.prec {
				text = string(rs[:sp.prec])
			}
		}
		if sp.align == 0 {
			sp.align = '<'
		}
		return sp.padded("", text), nil
	case v.isIntLike() && sp.typ != 'e' && sp.typ != 'E' && sp.typ != 'f' && sp.typ != 'F' && sp.typ != 'g' && sp.typ != 'G' && sp.typ != '%':
		return sp.formatInt(v.Big())
	case v.isNumber():
		f, err := toFloat(v)
		if err != nil {
			return "", err
		}
		return sp.formatFloat(f, v.kind == KindFloat)
	}
	// object.__format__ (None, lists, dicts, an Undefined): any spec fails.
	return "", typeErrorf("unsupported format string passed to %s.__format__", v.TypeName())
}

func (sp spec) padded(sign, body string) string {
	n := int64(utf8.RuneCountInString(sign) + utf8.RuneCountInString(body))
	if n >= sp.width {
		return sign + body
	}
	fill := strings.Repeat(string(sp.fill), int(sp.width-n))
	switch sp.align {
	case '<':
		return sign + body + fill
	case '^':
		left := (sp.width - n) / 2
		lf := strings.Repeat(string(sp.fill), int(left))
		return lf + sign + body + strings.Repeat(string(sp.fill), int(sp.width-n-left))
	case '=':
		return sign + fill + body
	}
	return fill + sign + body
}

func (sp spec) signOf(neg bool) string {
	switch {
	case neg:
		return "-"
	case sp.sign == '+':
		return "+"
	case sp.sign == ' ':
		return " "
	}
	return ""
}

func (sp spec) finish(sign, body string) string {
	sp = sp.zeroFlag()
	if sp.align == 0 {
		sp.align = '>'
	}
	return sp.padded(sign, body)
}

// zeroFlag applies the 0 flag as CPython does: the fill is '0' unless one
// was given, the alignment '=' unless one was given.
func (sp spec) zeroFlag() spec {
	if sp.zero && !sp.fillSet {
		sp.fill = '0'
	}
	if sp.zero && sp.align == 0 {
		sp.align = '='
	}
	return sp
}

// number pads and groups a number: sign (and prefix), integer digits, and
// the rest (point, fraction, exponent, %). With a '0' fill aligned '=',
// the grouping goes on through the zero padding (format(1, '06,') is
// 00,001), as CPython's _PyUnicode_InsertThousandsGrouping fills it.
func (sp spec) number(sign, digits, rest string, every int) string {
	if sp.group != 0 {
		minWidth := 0
		if z := sp.zeroFlag(); z.fill == '0' && z.align == '=' {
			minWidth = int(min(sp.width, 1<<40)) - utf8.RuneCountInString(sign) - utf8.RuneCountInString(rest)
		}
		digits = groupFill(digits, sp.group, every, minWidth)
	}
	return sp.finish(sign, digits+rest)
}

// groupFill groups d by every digits from the right, padding with zeros
// (and separators) until it is at least minWidth long.
func groupFill(d string, sep byte, every, minWidth int) string {
	var groups []string
	remaining := len(d)
	for {
		l := min(every, max(remaining, minWidth, 1))
		zeros := max(0, l-remaining)
		chars := max(0, min(remaining, l))
		groups = append(groups, strings.Repeat("0", zeros)+d[remaining-chars:remaining])
		remaining -= chars
		minWidth -= l
		if remaining <= 0 && minWidth <= 0 {
			break
		}
		minWidth--
	}
	slices.Reverse(groups)
	return strings.Join(groups, string(sep))
}

func (sp spec) formatInt(n *big.Int) (string, error) {
	if sp.negZero {
		return "", valueErrorf("Negative zero coercion (z) not allowed in integer format specifier")
	}
	if sp.prec >= 0 {
		return "", valueErrorf("Precision not allowed in integer format specifier")
	}
	base, prefix, every := 10, "", 3
	switch sp.typ {
	case 0, 'd', 'n':
	case 'b':
		base, prefix, every = 2, "0b", 4
	case 'o':
		base, prefix, every = 8, "0o", 4
	case 'x', 'X':
		base, prefix, every = 16, "0"+string(sp.typ), 4
	case 'c':
		if n.Sign() < 0 || n.Cmp(big.NewInt(0x10ffff)) > 0 {
			return "", newError(OverflowError, "%%c arg not in range(0x110000)")
		}
		return sp.finish("", string(rune(n.Int64()))), nil
	case 's':
		return "", valueErrorf("Unknown format code 's' for object of type 'int'")
	default:
		return "", valueErrorf("Unknown format code '%c' for object of type 'int'", sp.typ)
	}
	if base == 10 && n.BitLen() > 14000 {
		if _, err := formatInt(BigInt(n)); err != nil {
			return "", err
		}
	}
	digits := new(big.Int).Abs(n).Text(base)
	if sp.typ == 'X' {
		digits = strings.ToUpper(digits)
	}
	if sp.group != 0 && base != 10 && sp.group == ',' {
		return "", valueErrorf("Cannot specify ',' with '%c'.", sp.typ)
	}
	if !sp.alt {
		prefix = ""
	}
	return sp.number(sp.signOf(n.Sign() < 0)+prefix, digits, "", every), nil
}

func (sp spec) formatFloat(f float64, isFloat bool) (string, error) {
	typ := sp.typ
	var body string
	neg := math.Signbit(f) && !math.IsNaN(f)
	a := math.Abs(f)
	switch typ {
	case 'e', 'E', 'f', 'F', 'g', 'G':
		body = floatBody(a, typ, int(sp.prec), sp.alt)
	case '%':
		body = floatBody(a*100, 'f', int(sp.prec), sp.alt) + "%"
	case 'n':
		body = floatBody(a, 'g', int(sp.prec), sp.alt)
	case 0:
		if sp.prec < 0 {
			body = formatFloat(a)
			if !isFloat {
				body = strings.TrimSuffix(body, ".0")
			}
		} else {
			body = reprG(a, int(max(sp.prec, 1)), sp.alt)
		}
	default:
		return "", valueErrorf("Unknown format code '%c' for object of type 'float'", typ)
	}
	if neg && sp.negZero && strings.Trim(body, "0.e+-%") == "" {
		neg = false // z: -0.0 after rounding prints as 0.0
	}
	if math.IsInf(a, 0) || math.IsNaN(a) {
		return sp.finish(sp.signOf(neg), body), nil
	}
	intPart, rest := body, ""
	if k := strings.IndexAny(body, ".e%"); k >= 0 {
		intPart, rest = body[:k], body[k:]
	}
	return sp.number(sp.signOf(neg), intPart, rest, 3), nil
}

// reprG is a float formatted with no type and a precision: 'g' with p
// significant digits, except that the exponent form is used from p-1 on
// and a fixed result keeps one digit after the point (CPython's 'r' mode
// turned 'g' with Py_DTSF_ADD_DOT_0): format(2.5, '.0') is 2e+00.
func reprG(a float64, p int, alt bool) string {
	if math.IsInf(a, 0) || math.IsNaN(a) {
		return floatBody(a, 'g', p, alt)
	}
	e := strconv.FormatFloat(a, 'e', p-1, 64)
	x, _ := strconv.Atoi(e[strings.IndexByte(e, 'e')+1:])
	if x >= p-1 && x >= -4 && x < p {
		// 'g' would be fixed here; the dot-0 rule takes the exponent.
		mant, exp := e[:strings.IndexByte(e, 'e')], x
		if !alt && strings.Contains(mant, ".") {
			mant = strings.TrimRight(strings.TrimRight(mant, "0"), ".")
		}
		sign := "+"
		if exp < 0 {
			sign, exp = "-", -exp
		}
		return fmt.Sprintf("%se%s%02d", mant, sign, exp)
	}
	body := floatBody(a, 'g', p, alt)
	if !strings.ContainsAny(body, ".e") {
		body += ".0"
	}
	return body
}
