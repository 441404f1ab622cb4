package jinja

import (
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/cases"
	"golang.org/x/text/language"
)

// Python str semantics on Go's UTF-8 strings: lengths, indices and slices
// count code points; white space, case mapping and character classes are
// Python's.

// isSpace is Python's str.isspace for one character.
func isSpace(r rune) bool { return unicode.IsSpace(r) || r >= 0x1c && r <= 0x1f }

func isBlank(s string) bool { return strings.TrimFunc(s, isSpace) == "" }

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

func runeCount(s string) int {
	if isASCII(s) {
		return len(s)
	}
	return utf8.RuneCountInString(s)
}

// runeAt returns the i-th character of s (0 <= i < runeCount(s)).
func runeAt(s string, i int) string {
	if isASCII(s) {
		return s[i : i+1]
	}
	for _, c := range s {
		if i == 0 {
			return string(c)
		}
		i--
	}
	return ""
}

// A cases.Caser keeps state between calls and may not be shared by
// goroutines: renders run in parallel, so each call takes one from a pool.
var (
	upperCasers = sync.Pool{New: func() any { return cases.Upper(language.Und) }}
	lowerCasers = sync.Pool{New: func() any { return cases.Lower(language.Und) }}
	foldCasers  = sync.Pool{New: func() any { return cases.Fold() }}
)

func withCaser(p *sync.Pool, s string) string {
	c := p.Get().(cases.Caser)
	out := c.String(s)
	p.Put(c)
	return out
}

// pyUpper and pyLower are Python's str.upper and str.lower: full Unicode
// case mapping (ß -> SS, final sigma).
func pyUpper(s string) string {
	if isASCII(s) {
		return strings.ToUpper(s)
	}
	return withCaser(&upperCasers, s)
}

func pyLower(s string) string {
	if isASCII(s) {
		return strings.ToLower(s)
	}
	return withCaser(&lowerCasers, s)
}

// pyCasefold is Python's str.casefold: full Unicode case folding
// (ß -> ss, ﬁ -> fi).
func pyCasefold(s string) string {
	if isASCII(s) {
		return strings.ToLower(s)
	}
	return withCaser(&foldCasers, s)
}

// pyIsUpper and pyIsLower are Python's Uppercase and Lowercase
// properties (Lu or Ll plus Other_Uppercase / Other_Lowercase).
func pyIsUpper(c rune) bool { return unicode.IsUpper(c) || unicode.Is(unicode.Other_Uppercase, c) }
func pyIsLower(c rune) bool { return unicode.IsLower(c) || unicode.Is(unicode.Other_Lowercase, c) }

// isCased reports whether c has case (Python's cased characters).
func isCased(c rune) bool {
	return pyIsUpper(c) || pyIsLower(c) || unicode.IsTitle(c)
}

// pyTitle is Python's str.title: a cased character after an uncased one
// starts a word and is title-cased; the others are lower-cased.
func pyTitle(s string) string {
	var b strings.Builder
	prevCased := false
	for _, c := range s {
		if prevCased {
			b.WriteString(pyLower(string(c)))
		} else {
			b.WriteString(titleRune(c))
		}
		prevCased = isCased(c)
	}
	return b.String()
}

// titleRune is the title case of one character (Python's special casing
// where it differs from upper).
func titleRune(c rune) string {
	switch c {
	case 'ß':
		return "Ss"
	case 'ǆ', 'ǅ', 'Ǆ':
		return "ǅ"
	case 'ǉ', 'ǈ', 'Ǉ':
		return "ǈ"
	case 'ǌ', 'ǋ', 'Ǌ':
		return "ǋ"
	case 'ﬀ':
		return "Ff"
	case 'ﬁ':
		return "Fi"
	case 'ﬂ':
		return "Fl"
	}
	if t := unicode.ToTitle(c); t != c {
		return string(t)
	}
	return pyUpper(string(c))
}

// pyCapitalize is Python's str.capitalize: the first character title-cased,
// the rest lower-cased.
func pyCapitalize(s string) string {
	if s == "" {
		return s
	}
	c, w := utf8.DecodeRuneInString(s)
	return titleRune(c) + pyLower(s[w:])
}

// pySwapcase is Python's str.swapcase.
func pySwapcase(s string) string {
	var b strings.Builder
	for _, c := range s {
		switch {
		case unicode.IsUpper(c):
			b.WriteString(pyLower(string(c)))
		case unicode.IsLower(c):
			b.WriteString(pyUpper(string(c)))
		default:
			b.WriteRune(c)
		}
	}
	return b.String()
}

// escapeHTML is markupsafe's escape of a str.
func escapeHTML(s string) string {
	if !strings.ContainsAny(s, "&<>'\"") {
		return s
	}
	return htmlEscaper.Replace(s)
}

var htmlEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", "'", "&#39;", "\"", "&#34;")

// escape is markupsafe.escape(v) as text: Markup as it is, else str(v)
// escaped.
func (r *Renderer) escape(v Value) (string, error) {
	if v.IsSafe() {
		return v.s, nil
	}
	s, err := r.str(v)
	if err != nil {
		return "", err
	}
	e := escapeHTML(s)
	if len(e) != len(s) {
		if err := r.alloc(int64(len(e))); err != nil {
			return "", err
		}
	}
	return e, nil
}

// isWordRune is \w in Python's regular expressions: letters, digits
// (every numeric character) and the underscore.
func isWordRune(c rune) bool {
	return c == '_' || unicode.IsLetter(c) || unicode.IsNumber(c) || unicode.Is(unicode.Mn, c) || unicode.Is(unicode.Mc, c)
}

// splitLines is Python's str.splitlines(): line breaks are \n, \r, \r\n,
// \v, \f, \x1c, \x1d, \x1e, \x85, \u2028 and \u2029.
func splitLines(s string, keepends bool) []string {
	var out []string
	start := 0
	for i := 0; i < len(s); {
		c, w := utf8.DecodeRuneInString(s[i:])
		brk := 0
		switch c {
		case '\r':
			brk = 1
			if i+1 < len(s) && s[i+1] == '\n' {
				brk = 2
			}
		case '\n', '\v', '\f', 0x1c, 0x1d, 0x1e, 0x85, 0x2028, 0x2029:
			brk = w
		}
		if brk == 0 {
			i += w
			continue
		}
		if keepends {
			out = append(out, s[start:i+brk])
		} else {
			out = append(out, s[start:i])
		}
		i += brk
		start = i
	}
	if start < len(s) {
		out = append(out, s[start:])
	}
	return out
}

// stripChars is Python's strip/lstrip/rstrip with chars (None: white space).
func stripChars(s string, chars Value, left, right bool) string {
	cut := isSpace
	if chars.kind == KindString {
		set := chars.s
		cut = func(c rune) bool { return strings.ContainsRune(set, c) }
	}
	if left {
		s = strings.TrimLeftFunc(s, cut)
	}
	if right {
		s = strings.TrimRightFunc(s, cut)
	}
	return s
}
