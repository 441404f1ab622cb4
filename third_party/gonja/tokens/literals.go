package tokens

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// lexNumber emits a Float or Integer token as Jinja2's float_re and
// integer_re match them (float first): "1.5", "1e3", "1_000", "0x1F",
// "0b101", "0o17". A float never starts right after a dot, so x.1.2 is
// x[1][2].
func (l *Lexer) lexNumber() error {
	in := l.Input
	start := l.pos
	afterDot := start > 0 && in[start-1] == '.'
	if !afterDot {
		if end := matchFloat(in, start); end > 0 {
			l.emitAt(Float, in[start:end], start)
			l.pos = end
			return nil
		}
	}
	end := matchInteger(in, start)
	l.emitAt(Integer, in[start:end], start)
	l.pos = end
	return nil
}

// digits matches (\d+_)*\d+ at i and returns the end, or -1.
func digits(s string, i int) int {
	if i >= len(s) || !isDigit(rune(s[i])) {
		return -1
	}
	for {
		for i < len(s) && isDigit(rune(s[i])) {
			i++
		}
		if i+1 < len(s) && s[i] == '_' && isDigit(rune(s[i+1])) {
			i++
			continue
		}
		return i
	}
}

// matchFloat matches (\d+_)*\d+((\.(\d+_)*\d+)?e[+-]?(\d+_)*\d+|\.(\d+_)*\d+)
// (case-insensitive) at i and returns the end, or 0.
func matchFloat(s string, i int) int {
	i = digits(s, i)
	if i < 0 {
		return 0
	}
	exponent := func(j int) int {
		if j < len(s) && (s[j] == 'e' || s[j] == 'E') {
			j++
			if j < len(s) && (s[j] == '+' || s[j] == '-') {
				j++
			}
			return digits(s, j)
		}
		return -1
	}
	if i < len(s) && s[i] == '.' {
		if f := digits(s, i+1); f > 0 {
			if e := exponent(f); e > 0 {
				return e
			}
			return f
		}
	}
	if e := exponent(i); e > 0 {
		return e
	}
	return 0
}

// matchInteger matches 0b(_?[01])+ | 0o(_?[0-7])+ | 0x(_?[0-9a-f])+ |
// [1-9](_?\d)* | 0(_?0)* (case-insensitive) at i and returns the end.
func matchInteger(s string, i int) int {
	run := func(j int, ok func(byte) bool) int {
		n := j
		for {
			k := n
			if k < len(s) && s[k] == '_' {
				k++
			}
			if k < len(s) && ok(s[k]) {
				n = k + 1
				continue
			}
			return n
		}
	}
	if s[i] == '0' && i+1 < len(s) {
		var ok func(byte) bool
		switch s[i+1] {
		case 'b', 'B':
			ok = func(c byte) bool { return c == '0' || c == '1' }
		case 'o', 'O':
			ok = func(c byte) bool { return c >= '0' && c <= '7' }
		case 'x', 'X':
			ok = func(c byte) bool {
				return isDigit(rune(c)) || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
			}
		}
		if ok != nil {
			if end := run(i+2, ok); end > i+2 {
				return end
			}
		}
	}
	if s[i] == '0' {
		return run(i+1, func(c byte) bool { return c == '0' })
	}
	return run(i+1, func(c byte) bool { return isDigit(rune(c)) })
}

// lexString emits a String token whose value is the literal decoded as
// Jinja2 decodes it: the text between the quotes, made ASCII with
// backslashreplace, then decoded with Python's unicode-escape codec.
func (l *Lexer) lexString(quote byte) error {
	in := l.Input
	start := l.pos
	i := start + 1
	for {
		if i >= len(in) {
			r, _ := utf8.DecodeRuneInString(in[start:])
			return l.errorf("unexpected char %s at %d", pyQuoteRune(r), start)
		}
		switch in[i] {
		case '\\':
			_, w := utf8.DecodeRuneInString(in[i+1:])
			if i+1 >= len(in) {
				w = 0
			}
			i += 1 + w
			continue
		case quote:
		default:
			i++
			continue
		}
		break
	}
	val, err := UnescapeString(in[start+1:i], l.Config.UnicodeName)
	if err != nil {
		return l.errorf("%s", err.Error())
	}
	l.emitAt(String, val, start)
	l.pos = i + 1
	return nil
}

// UnescapeString decodes the body of a string literal as Jinja2 does:
// (lookup resolves \N{name} escapes; nil refuses them)
// s.encode("ascii", "backslashreplace").decode("unicode-escape"). So \n,
// \t, \\, \', \", \xhh, \uhhhh, \Uhhhhhhhh and octal escapes are decoded,
// an unknown escape such as \d stays as it is, a backslash before a
// non-ASCII character escapes its backslashreplace form, and a malformed
// \x, \u or \U escape is an error worded as Python's.
func UnescapeString(s string, lookup func(name string) (rune, bool)) (string, error) {
	if strings.IndexByte(s, '\\') < 0 {
		return s, nil
	}
	ascii := backslashReplace(s)
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(ascii); i++ {
		c := ascii[i]
		if c != '\\' {
			if c < utf8.RuneSelf {
				b.WriteByte(c)
			}
			continue
		}
		i++
		if i >= len(ascii) {
			return "", errorString("\\ at end of string")
		}
		switch c := ascii[i]; c {
		case '\n':
		case '\\', '\'', '"':
			b.WriteByte(c)
		case 'a':
			b.WriteByte('\a')
		case 'b':
			b.WriteByte('\b')
		case 'f':
			b.WriteByte('\f')
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		case 't':
			b.WriteByte('\t')
		case 'v':
			b.WriteByte('\v')
		case '0', '1', '2', '3', '4', '5', '6', '7':
			j := i
			for j < len(ascii) && j < i+3 && ascii[j] >= '0' && ascii[j] <= '7' {
				j++
			}
			n, _ := strconv.ParseUint(ascii[i:j], 8, 32)
			b.WriteRune(rune(n))
			i = j - 1
		case 'x', 'u', 'U':
			width := map[byte]int{'x': 2, 'u': 4, 'U': 8}[c]
			hex := ascii[i+1 : min(i+1+width, len(ascii))]
			n, err := strconv.ParseUint(hex, 16, 32)
			if len(hex) < width || err != nil || strings.ContainsAny(hex, "+-_") {
				return "", errorString("truncated \\" + map[byte]string{'x': "xXX", 'u': "uXXXX", 'U': "UXXXXXXXX"}[c] + " escape")
			}
			if n > utf8.MaxRune {
				return "", errorString("illegal Unicode character")
			}
			b.WriteRune(rune(n))
			i += width
		case 'N':
			end := strings.IndexByte(ascii[i:], '}')
			if i+1 >= len(ascii) || ascii[i+1] != '{' || end < 3 {
				return "", errorString("malformed \\N character escape")
			}
			if lookup == nil {
				return "", errorString("unknown Unicode character name")
			}
			r, ok := lookup(ascii[i+2 : i+end])
			if !ok {
				return "", errorString("unknown Unicode character name")
			}
			b.WriteRune(r)
			i += end
		default:
			b.WriteByte('\\')
			b.WriteByte(c)
		}
	}
	return b.String(), nil
}

type errorString string

func (e errorString) Error() string { return string(e) }

// backslashReplace writes non-ASCII characters as \xhh, \uhhhh or
// \Uhhhhhhhh, as Python's "backslashreplace" error handler does.
func backslashReplace(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r < utf8.RuneSelf:
			b.WriteRune(r)
		case r < 0x100:
			b.WriteString(`\x` + pad(strconv.FormatInt(int64(r), 16), 2))
		case r < 0x10000:
			b.WriteString(`\u` + pad(strconv.FormatInt(int64(r), 16), 4))
		default:
			b.WriteString(`\U` + pad(strconv.FormatInt(int64(r), 16), 8))
		}
	}
	return b.String()
}

func pad(s string, n int) string {
	return strings.Repeat("0", n-len(s)) + s
}
