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

// Python's format(value, spec) for str, int and float: the format-spec
// mini-language, as CPython's unicode_format.h renders it.

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
