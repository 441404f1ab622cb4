package jinja

import (
	"strings"
	"unicode/utf8"
)

// Python str semantics on Go's UTF-8 strings: lengths, indices and slices
// count code points; white space, case mapping and character classes are
// Python's.

// isSpace is Python's str.isspace for one character.
func isSpace(r rune) bool { return pyHas(r, pySpace) }

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

// pyUpper, pyLower and pyCasefold are Python's str.upper, str.lower and
// str.casefold: full case mapping (ß -> SS, ﬁ -> fi, final sigma).
func pyUpper(s string) string {
	if isASCII(s) {
		return strings.ToUpper(s)
	}
	return pyCaseMap(s, func(rs []rune, i int) string { return pyMap(rs[i], mapUpper) })
}

func pyLower(s string) string {
	if isASCII(s) {
		return strings.ToLower(s)
	}
	return pyCaseMap(s, lowerAt)
}

func pyCasefold(s string) string {
	if isASCII(s) {
		return strings.ToLower(s)
	}
	return pyCaseMap(s, func(rs []rune, i int) string { return pyMap(rs[i], mapFold) })
}

// pyIsUpper and pyIsLower are Python's Uppercase and Lowercase
// properties (Lu or Ll plus Other_Uppercase / Other_Lowercase).
func pyIsUpper(c rune) bool { return pyHas(c, pyUpperF) }
func pyIsLower(c rune) bool { return pyHas(c, pyLowerF) }

// isCased reports whether c has case (Python's cased characters).
func isCased(c rune) bool { return pyHas(c, pyCased) }

// pyTitle is CPython's do_title: a character after a cased one is
// lower-cased (final sigma included), any other is title-cased.
func pyTitle(s string) string {
	return pyCaseMap(s, func(rs []rune, i int) string {
		if i > 0 && isCased(rs[i-1]) {
			return lowerAt(rs, i)
		}
		return pyMap(rs[i], mapTitle)
	})
}

// titleRune is the full title case of one character.
func titleRune(c rune) string { return pyMap(c, mapTitle) }

// pyCapitalize is Python's str.capitalize: the first character title-cased,
// the rest lower-cased.
func pyCapitalize(s string) string {
	return pyCaseMap(s, func(rs []rune, i int) string {
		if i == 0 {
			return pyMap(rs[0], mapTitle)
		}
		return lowerAt(rs, i)
	})
}

// pySwapcase is CPython's do_swapcase: Uppercase characters lower-cased
// (final sigma included), Lowercase ones upper-cased.
func pySwapcase(s string) string {
	return pyCaseMap(s, func(rs []rune, i int) string {
		switch c := rs[i]; {
		case pyIsUpper(c):
			return lowerAt(rs, i)
		case pyIsLower(c):
			return pyMap(c, mapUpper)
		default:
			return string(c)
		}
	})
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

// isWordRune is \w in Python's regular expressions: str.isalnum
// characters (not combining marks) and the underscore.
func isWordRune(c rune) bool { return c == '_' || pyIsAlnum(c) }

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
