package jinja

import (
	"math"
	"math/big"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Python's printf-style formatting, str % args, as CPython's
// PyUnicode_Format does it: flags, width, precision, *, %(name)s, the
// conversions d i u x X o e E f F g G c s r a %, and its errors. Widths
// and precisions are counted against the memory budget before padding.

type fmtSpec struct {
	flags string
	width int64
	prec  int64 // -1 when absent
	verb  byte
}

func (s fmtSpec) has(flag byte) bool { return strings.IndexByte(s.flags, flag) >= 0 }

// percentFormat is format % arg.
func (r *Renderer) percentFormat(format Value, arg Value) (Value, error) {
	// As CPython's PyUnicode_Format: a tuple holds the arguments; any
	// other value with __getitem__ but a str (a dict, and also a list or
	// an Undefined) is a mapping for %(key)s, and is never "not all
	// converted".
	var args []Value
	mapping := false
	switch arg.kind {
	case KindTuple:
		args = arg.r.(*List).Items
	case KindDict, KindList, KindUndefined, KindRange:
		args, mapping = []Value{arg}, true
	default:
		args = []Value{arg}
	}
	f := format.s
	argIdx := 0
	next := func() (Value, error) {
		if argIdx >= len(args) {
			return Value{}, typeErrorf("not enough arguments for format string")
		}
		argIdx++
		return args[argIdx-1], nil
	}
	var out strings.Builder
	i := 0
	for i < len(f) {
		j := strings.IndexByte(f[i:], '%')
		if j < 0 {
			out.WriteString(f[i:])
			break
		}
		out.WriteString(f[i : i+j])
		i += j + 1
		if i >= len(f) {
			return Value{}, valueErrorf("incomplete format")
		}
		var spec fmtSpec
		var named *Value
		if f[i] == '(' {
			if !mapping {
				return Value{}, typeErrorf("format requires a mapping")
			}
			depth, k := 1, i+1
			for ; k < len(f) && depth > 0; k++ {
				switch f[k] {
				case '(':
					depth++
				case ')':
					depth--
				}
			}
			if depth > 0 {
				return Value{}, valueErrorf("incomplete format key")
			}
			key := f[i+1 : k-1]
			var v Value
			switch arg.kind {
			case KindDict:
				got, ok := arg.r.(*Dict).GetStr(key)
				if !ok {
					return Value{}, newError(KeyError, "%s", pyQuote(key))
				}
				v = got
			case KindUndefined:
				return Value{}, undefinedError(arg)
			default:
				return Value{}, typeErrorf("%s indices must be integers or slices, not str", arg.TypeName())
			}
			named = &v
			i = k
		}
		for ; i < len(f) && strings.IndexByte("-+ #0", f[i]) >= 0; i++ {
			spec.flags += string(f[i])
		}
		num := func() (int64, error) {
			if i < len(f) && f[i] == '*' {
				i++
				v, err := next()
				if err != nil {
					return 0, err
				}
				if !v.isIntLike() {
					return 0, typeErrorf("* wants int")
				}
				n, _ := asIndex(v)
				return n, nil
			}
			k := i
			for i < len(f) && f[i] >= '0' && f[i] <= '9' {
				i++
			}
			if i == k {
				return 0, nil
			}
			n, err := strconv.ParseInt(f[k:i], 10, 64)
			if err != nil {
				return 0, valueErrorf("width too big")
			}
			return n, nil
		}
		w, err := num()
		if err != nil {
			return Value{}, err
		}
		if w < 0 {
			spec.flags += "-"
			w = -w
		}
		spec.width, spec.prec = w, -1
		if i < len(f) && f[i] == '.' {
			i++
			p, err := num()
			if err != nil {
				return Value{}, err
			}
			spec.prec = max(p, 0)
		}
		for i < len(f) && strings.IndexByte("hlL", f[i]) >= 0 {
			i++
		}
		if i >= len(f) {
			return Value{}, valueErrorf("incomplete format")
		}
		spec.verb = f[i]
		verbAt := i
		i++
		if spec.verb == '%' {
			out.WriteByte('%')
			continue
		}
		var a Value
		if named != nil {
			a = *named
		} else if a, err = next(); err != nil {
			return Value{}, err
		}
		if err := r.alloc(spec.width + max(spec.prec, 0)); err != nil {
			return Value{}, err
		}
		s, err := r.formatOne(spec, a, format.safe)
		if err == errBadVerb {
			c, _ := utf8.DecodeRuneInString(f[verbAt:])
			err = valueErrorf("unsupported format character %s (0x%x) at index %d", pyQuote(string(c)), c, runeCount(f[:verbAt]))
		}
		if err != nil {
			return Value{}, err
		}
		out.WriteString(s)
		if err := r.alloc(int64(len(s))); err != nil {
			return Value{}, err
		}
	}
	if argIdx < len(args) && !mapping {
		return Value{}, typeErrorf("not all arguments converted during string formatting")
	}
	if format.safe {
		return Markup(out.String()), nil
	}
	return String(out.String()), nil
}

var errBadVerb = &Error{Kind: ValueError, Msg: "unsupported format character"}

func (r *Renderer) formatOne(s fmtSpec, arg Value, escape bool) (string, error) {
	if arg.kind == KindUndefined && strings.IndexByte("diueEfFgG", s.verb) >= 0 {
		return "", undefinedError(arg) // int(x) or float(x) of an Undefined
	}
	switch s.verb {
	case 's', 'r', 'a':
		var body string
		var err error
		switch s.verb {
		case 's':
			if escape {
				body, err = r.escape(arg)
			} else {
				body, err = r.str(arg)
			}
		case 'r':
			body, err = r.repr(arg)
		default:
			body, err = r.repr(arg)
			body = asciiEscape(body)
		}
		if err != nil {
			return "", err
		}
		if s.prec >= 0 {
			if rs := []rune(body); int64(len(rs)) > s.prec {
				body = string(rs[:s.prec])
			}
		}
		return s.pad("", body, false), nil
	case 'c':
		var body string
		switch {
		case arg.isIntLike():
			n, _ := asIndex(arg)
			if n < 0 || n > 0x10ffff {
				return "", newError(OverflowError, "%%c arg not in range(0x110000)")
			}
			body = string(rune(n))
		case arg.kind == KindString && runeCount(arg.s) == 1:
			body = arg.s
		default:
			return "", typeErrorf("%%c requires int or char")
		}
		return s.pad("", body, false), nil
	case 'd', 'i', 'u', 'x', 'X', 'o':
		var n *big.Int
		switch {
		case arg.isIntLike():
			n = arg.Big()
		case arg.kind == KindFloat:
			if s.verb != 'd' && s.verb != 'i' && s.verb != 'u' {
				return "", typeErrorf("%%%c format: an integer is required, not float", s.verb)
			}
			f := arg.FloatVal()
			if math.IsNaN(f) {
				return "", valueErrorf("cannot convert float NaN to integer")
			}
			if math.IsInf(f, 0) {
				return "", newError(OverflowError, "cannot convert float infinity to integer")
			}
			n, _ = bigFromFloat(f)
		default:
			if s.verb == 'd' || s.verb == 'i' || s.verb == 'u' {
				return "", typeErrorf("%%%c format: a real number is required, not %s", s.verb, arg.TypeName())
			}
			return "", typeErrorf("%%%c format: an integer is required, not %s", s.verb, arg.TypeName())
		}
		base, prefix := 10, ""
		switch s.verb {
		case 'x', 'X':
			base, prefix = 16, "0"+string(s.verb)
		case 'o':
			base, prefix = 8, "0o"
		}
		if !s.has('#') {
			prefix = ""
		}
		if base == 10 {
			if _, err := formatInt(BigInt(n)); err != nil {
				return "", err
			}
		}
		digits := new(big.Int).Abs(n).Text(base)
		if s.verb == 'X' {
			digits = strings.ToUpper(digits)
		}
		if int64(len(digits)) < s.prec {
			digits = strings.Repeat("0", int(s.prec)-len(digits)) + digits
		}
		return s.pad(s.sign(n.Sign() < 0)+prefix, digits, true), nil
	case 'e', 'E', 'f', 'F', 'g', 'G':
		if !arg.isNumber() {
			return "", typeErrorf("must be real number, not %s", arg.TypeName())
		}
		f, err := toFloat(arg)
		if err != nil {
			return "", err
		}
		return s.pad(s.sign(math.Signbit(f) && !math.IsNaN(f)), floatBody(math.Abs(f), s.verb, int(s.prec), s.has('#')), true), nil
	}
	return "", errBadVerb
}

func (s fmtSpec) sign(negative bool) string {
	switch {
	case negative:
		return "-"
	case s.has('+'):
		return "+"
	case s.has(' '):
		return " "
	}
	return ""
}

// floatBody formats f >= 0 (or NaN) for an e, f or g conversion with
// precision prec (-1: 6); alt is the # flag.
func floatBody(f float64, verb byte, prec int, alt bool) string {
	upper := verb == 'E' || verb == 'F' || verb == 'G'
	if math.IsNaN(f) || math.IsInf(f, 0) {
		body := "inf"
		if math.IsNaN(f) {
			body = "nan"
		}
		if upper {
			body = strings.ToUpper(body)
		}
		return body
	}
	if prec < 0 {
		prec = 6
	}
	var body string
	switch verb {
	case 'f', 'F':
		body = strconv.FormatFloat(f, 'f', prec, 64)
	case 'e', 'E':
		body = pyExp(strconv.FormatFloat(f, 'e', prec, 64))
	default:
		if prec == 0 {
			prec = 1
		}
		e := strconv.FormatFloat(f, 'e', prec-1, 64)
		exp, _ := strconv.Atoi(e[strings.IndexByte(e, 'e')+1:])
		if exp >= -4 && exp < prec {
			body = strconv.FormatFloat(f, 'f', prec-1-exp, 64)
		} else {
			body = pyExp(e)
		}
		if !alt {
			mant, rest := body, ""
			if k := strings.IndexByte(body, 'e'); k >= 0 {
				mant, rest = body[:k], body[k:]
			}
			if strings.IndexByte(mant, '.') >= 0 {
				mant = strings.TrimRight(strings.TrimRight(mant, "0"), ".")
			}
			body = mant + rest
		}
	}
	if alt && strings.IndexByte(body, '.') < 0 {
		if k := strings.IndexByte(body, 'e'); k >= 0 {
			body = body[:k] + "." + body[k:]
		} else {
			body += "."
		}
	}
	if upper {
		body = strings.ToUpper(body)
	}
	return body
}

// pyExp rewrites Go's exponent (e+07 / e+100) the way Python writes it:
// at least two digits.
func pyExp(s string) string { return s }

// pad applies the width.
func (s fmtSpec) pad(sign, body string, number bool) string {
	n := int64(utf8.RuneCountInString(sign) + utf8.RuneCountInString(body))
	if n >= s.width {
		return sign + body
	}
	fill := int(s.width - n)
	switch {
	case s.has('-'):
		return sign + body + strings.Repeat(" ", fill)
	case number && s.has('0'):
		return sign + strings.Repeat("0", fill) + body
	}
	return strings.Repeat(" ", fill) + sign + body
}

// asciiEscape is Python's ascii(): non-ASCII characters of a repr as
// \xhh, \uhhhh or \Uhhhhhhhh.
func asciiEscape(s string) string {
	if isASCII(s) {
		return s
	}
	var b strings.Builder
	for _, c := range s {
		switch {
		case c < utf8.RuneSelf:
			b.WriteRune(c)
		case c < 0x100:
			b.WriteString(`\x` + hex2(int(c), 2))
		case c < 0x10000:
			b.WriteString(`\u` + hex2(int(c), 4))
		default:
			b.WriteString(`\U` + hex2(int(c), 8))
		}
	}
	return b.String()
}

// formatFixed is Python's format(f, '.Nf').
func formatFixed(f float64, prec int) string {
	switch {
	case math.IsInf(f, 1):
		return "inf"
	case math.IsInf(f, -1):
		return "-inf"
	case math.IsNaN(f):
		return "nan"
	}
	return strconv.FormatFloat(f, 'f', prec, 64)
}
