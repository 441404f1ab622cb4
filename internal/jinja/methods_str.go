package jinja

import (
	"strings"
	"unicode/utf8"
)

// The methods of Python's str that the sandbox allows, over code points.

var strMethods = map[string]method{}

// strMethod registers a str method with its signature.
func strMethod(name string, s *signature, fn func(r *Renderer, self string, a []Value) (Value, error)) {
	strMethods[name] = func(r *Renderer, self Value, args []Value, kw []Kwarg) (Value, error) {
		a, err := s.bind(args, kw)
		if err != nil {
			return Value{}, err
		}
		if err := r.workBytes(len(self.s)); err != nil {
			return Value{}, err
		}
		return fn(r, self.s, a)
	}
}

// strOut counts a new string against the memory budget.
func (r *Renderer) strOut(s string) (Value, error) {
	if err := r.alloc(int64(len(s))); err != nil {
		return Value{}, err
	}
	return String(s), nil
}

func strMap(name string, fn func(string) string) {
	strMethod(name, sig(name), func(r *Renderer, self string, _ []Value) (Value, error) { return r.strOut(fn(self)) })
}

func strPred(name string, fn func(string) bool) {
	strMethod(name, sig(name), func(r *Renderer, self string, _ []Value) (Value, error) { return Bool(fn(self)), nil })
}

// allRunes is true for a non-empty s whose every character satisfies fn.
func allRunes(fn func(rune) bool) func(string) bool {
	return func(s string) bool {
		if s == "" {
			return false
		}
		for _, c := range s {
			if !fn(c) {
				return false
			}
		}
		return true
	}
}

// subRange is Python's optional [start[, end]] of find, count, ...: the
// byte range of s they select.
func subRange(s string, start, end Value) (string, int, error) {
	n := int64(runeCount(s))
	sl := &Slice{start: start, stop: end, step: None}
	b, e, _, err := sliceIndices(sl, n)
	if err != nil {
		return "", 0, err
	}
	if e < b {
		return "", -1, nil
	}
	bi, ei := byteOffset(s, int(b)), byteOffset(s, int(e))
	return s[bi:ei], int(b), nil
}

// byteOffset is the byte offset of the i-th character of s.
func byteOffset(s string, i int) int {
	if isASCII(s) {
		return min(i, len(s))
	}
	off := 0
	for ; i > 0 && off < len(s); i-- {
		_, w := utf8.DecodeRuneInString(s[off:])
		off += w
	}
	return off
}

func rangeSig(name, first string) *signature {
	return sig(name, req(first), optNone("start"), optNone("end"))
}

func init() {
	strMap("upper", pyUpper)
	strMap("lower", pyLower)
	strMap("casefold", pyCasefold)
	strMap("capitalize", pyCapitalize)
	strMap("title", pyTitle)
	strMap("swapcase", pySwapcase)
	strPred("isalpha", allRunes(func(c rune) bool { return pyHas(c, pyAlpha) }))
	strPred("isdigit", allRunes(func(c rune) bool { return pyHas(c, pyDigit) }))
	strPred("isdecimal", allRunes(func(c rune) bool { return pyHas(c, pyDecimal) }))
	strPred("isnumeric", allRunes(func(c rune) bool { return pyHas(c, pyNumeric) }))
	strPred("isalnum", allRunes(pyIsAlnum))
	strPred("isspace", allRunes(isSpace))
	strPred("isascii", isASCII)
	strPred("islower", func(s string) bool { return strCase(s, false) })
	strPred("isupper", func(s string) bool { return strCase(s, true) })
	strPred("isprintable", func(s string) bool {
		for _, c := range s {
			if !isPrintable(c) {
				return false
			}
		}
		return true
	})
	strPred("isidentifier", func(s string) bool {
		for i, c := range s {
			if !pyHas(c, pyIDStart) && (i == 0 || !pyHas(c, pyIDContinue)) {
				return false
			}
		}
		return s != ""
	})
	strPred("istitle", func(s string) bool {
		cased, prev := false, false
		for _, c := range s {
			switch {
			case pyIsUpper(c) || pyHas(c, pyTitleF):
				if prev {
					return false
				}
				prev, cased = true, true
			case pyIsLower(c):
				if !prev {
					return false
				}
				prev, cased = true, true
			default:
				prev = false
			}
		}
		return cased
	})
	for _, n := range []string{"strip", "lstrip", "rstrip"} {
		left, right := n != "rstrip", n != "lstrip"
		strMethod(n, sig(n, optNone("chars")), func(r *Renderer, self string, a []Value) (Value, error) {
			if a[0].kind != KindNone && a[0].kind != KindString {
				return Value{}, typeErrorf("%s arg must be None or str", n)
			}
			return String(stripChars(self, a[0], left, right)), nil
		})
	}
	strMethod("split", sig("split", optNone("sep"), opt("maxsplit", Int(-1))), func(r *Renderer, self string, a []Value) (Value, error) {
		return r.split(self, a[0], a[1], false)
	})
	strMethod("rsplit", sig("rsplit", optNone("sep"), opt("maxsplit", Int(-1))), func(r *Renderer, self string, a []Value) (Value, error) {
		return r.split(self, a[0], a[1], true)
	})
	strMethod("splitlines", sig("splitlines", opt("keepends", False)), func(r *Renderer, self string, a []Value) (Value, error) {
		return r.strList(splitLines(self, a[0].Truth()))
	})
	strMethod("replace", sig("replace", req("old"), req("new"), opt("count", Int(-1))), func(r *Renderer, self string, a []Value) (Value, error) {
		old, err := strArg("replace", a[0])
		if err != nil {
			return Value{}, err
		}
		nw, err := strArg("replace", a[1])
		if err != nil {
			return Value{}, err
		}
		count, err := intArg("replace", "count", a[2])
		if err != nil {
			return Value{}, err
		}
		out, err := r.replace(self, old, nw, count)
		return String(out), err
	})
	for _, n := range []string{"startswith", "endswith"} {
		suffix := n == "endswith"
		strMethod(n, rangeSig(n, "prefix"), func(r *Renderer, self string, a []Value) (Value, error) {
			sub, _, err := subRange(self, a[1], a[2])
			if err != nil {
				return Value{}, err
			}
			cands := []Value{a[0]}
			if a[0].kind == KindTuple {
				cands = a[0].r.(*List).Items
			} else if a[0].kind != KindString {
				return Value{}, typeErrorf("%s first arg must be str or a tuple of str, not %s", n, a[0].TypeName())
			}
			for _, c := range cands {
				if c.kind != KindString {
					return Value{}, typeErrorf("tuple for %s must only contain str, not %s", n, c.TypeName())
				}
				if suffix && strings.HasSuffix(sub, c.s) || !suffix && strings.HasPrefix(sub, c.s) {
					return True, nil
				}
			}
			return False, nil
		})
	}
	for _, n := range []string{"find", "rfind", "index", "rindex"} {
		rev, raise := n[0] == 'r', strings.HasSuffix(n, "index")
		strMethod(n, rangeSig(n, "sub"), func(r *Renderer, self string, a []Value) (Value, error) {
			sub, err := strArg(n, a[0])
			if err != nil {
				return Value{}, err
			}
			hay, base, err := subRange(self, a[1], a[2])
			if err != nil {
				return Value{}, err
			}
			i := -1
			if base >= 0 {
				if rev {
					i = strings.LastIndex(hay, sub)
				} else {
					i = strings.Index(hay, sub)
				}
			}
			if i < 0 {
				if raise {
					return Value{}, valueErrorf("substring not found")
				}
				return Int(-1), nil
			}
			return Int(int64(base + runeCount(hay[:i]))), nil
		})
	}
	strMethod("count", rangeSig("count", "sub"), func(r *Renderer, self string, a []Value) (Value, error) {
		sub, err := strArg("count", a[0])
		if err != nil {
			return Value{}, err
		}
		hay, base, err := subRange(self, a[1], a[2])
		if err != nil || base < 0 {
			return Int(0), err
		}
		if sub == "" {
			return Int(int64(runeCount(hay) + 1)), nil
		}
		return Int(int64(strings.Count(hay, sub))), nil
	})
	for _, n := range []string{"center", "ljust", "rjust"} {
		how := map[string]byte{"center": 'c', "ljust": 'l', "rjust": 'r'}[n]
		strMethod(n, sig(n, req("width"), opt("fillchar", String(" "))), func(r *Renderer, self string, a []Value) (Value, error) {
			w, err := intArg(n, "width", a[0])
			if err != nil {
				return Value{}, err
			}
			if a[1].kind != KindString || runeCount(a[1].s) != 1 {
				return Value{}, typeErrorf("The fill character must be exactly one character long")
			}
			fill, _ := utf8.DecodeRuneInString(a[1].s)
			out, err := r.pad(self, w, fill, how)
			return String(out), err
		})
	}
	strMethod("zfill", sig("zfill", req("width")), func(r *Renderer, self string, a []Value) (Value, error) {
		w, err := intArg("zfill", "width", a[0])
		if err != nil {
			return Value{}, err
		}
		sign := ""
		if strings.HasPrefix(self, "+") || strings.HasPrefix(self, "-") {
			sign, self = self[:1], self[1:]
			w--
		}
		out, err := r.pad(self, w, '0', 'r')
		return String(sign + out), err
	})
	strMethod("join", sig("join", req("iterable")), func(r *Renderer, self string, a []Value) (Value, error) {
		items, err := r.items(a[0])
		if err != nil {
			return Value{}, err
		}
		parts := make([]string, len(items))
		total := len(self) * max(len(items)-1, 0)
		for i, it := range items {
			if it.kind != KindString {
				return Value{}, typeErrorf("sequence item %d: expected str instance, %s found", i, it.TypeName())
			}
			parts[i] = it.s
			total += len(it.s)
		}
		if err := r.alloc(int64(total)); err != nil {
			return Value{}, err
		}
		return String(joinStrings(parts, self, total)), nil
	})
	for _, n := range []string{"partition", "rpartition"} {
		rev := n == "rpartition"
		strMethod(n, sig(n, req("sep")), func(r *Renderer, self string, a []Value) (Value, error) {
			sep, err := strArg(n, a[0])
			if err != nil {
				return Value{}, err
			}
			if sep == "" {
				return Value{}, valueErrorf("empty separator")
			}
			i := strings.Index(self, sep)
			if rev {
				i = strings.LastIndex(self, sep)
			}
			if i < 0 {
				if rev {
					return NewTuple([]Value{String(""), String(""), String(self)}), nil
				}
				return NewTuple([]Value{String(self), String(""), String("")}), nil
			}
			return NewTuple([]Value{String(self[:i]), String(sep), String(self[i+len(sep):])}), nil
		})
	}
	for _, n := range []string{"removeprefix", "removesuffix"} {
		suffix := n == "removesuffix"
		strMethod(n, sig(n, req("fix")), func(r *Renderer, self string, a []Value) (Value, error) {
			fix, err := strArg(n, a[0])
			if err != nil {
				return Value{}, err
			}
			if suffix {
				return String(strings.TrimSuffix(self, fix)), nil
			}
			return String(strings.TrimPrefix(self, fix)), nil
		})
	}
	strMethod("expandtabs", sig("expandtabs", opt("tabsize", Int(8))), func(r *Renderer, self string, a []Value) (Value, error) {
		size, err := intArg("expandtabs", "tabsize", a[0])
		if err != nil {
			return Value{}, err
		}
		var b strings.Builder
		col := int64(0)
		for _, c := range self {
			switch c {
			case '\t':
				if size > 0 {
					n := size - col%size
					if err := r.alloc(n); err != nil {
						return Value{}, err
					}
					b.WriteString(strings.Repeat(" ", int(n)))
					col += n
				}
			case '\n', '\r':
				b.WriteRune(c)
				col = 0
			default:
				b.WriteRune(c)
				col++
			}
		}
		return String(b.String()), nil
	})
	strMethods["format"] = func(r *Renderer, self Value, args []Value, kw []Kwarg) (Value, error) {
		return r.strFormat(self.s, args, kw, nil, self.safe)
	}
	strMethods["format_map"] = func(r *Renderer, self Value, args []Value, kw []Kwarg) (Value, error) {
		a, err := sig("format_map", req("mapping")).bind(args, kw)
		if err != nil {
			return Value{}, err
		}
		return r.strFormat(self.s, nil, nil, &a[0], self.safe)
	}
}

// split is str.split / str.rsplit.
func (r *Renderer) split(s string, sepV, maxV Value, rev bool) (Value, error) {
	maxSplit, err := intArg("split", "maxsplit", maxV)
	if err != nil {
		return Value{}, err
	}
	var parts []string
	switch {
	case sepV.kind == KindNone:
		parts = splitWhitespace(s, int(maxSplit), rev)
	case sepV.kind == KindString:
		if sepV.s == "" {
			return Value{}, valueErrorf("empty separator")
		}
		n := int(maxSplit)
		if n >= 0 {
			n++
		}
		if rev {
			parts = rsplitN(s, sepV.s, n)
		} else {
			parts = strings.SplitN(s, sepV.s, n)
		}
	default:
		return Value{}, typeErrorf("must be str or None, not %s", sepV.TypeName())
	}
	return r.strList(parts)
}

func rsplitN(s, sep string, n int) []string {
	if n < 0 {
		return strings.Split(s, sep)
	}
	var out []string
	for len(out) < n-1 {
		i := strings.LastIndex(s, sep)
		if i < 0 {
			break
		}
		out = append(out, s[i+len(sep):])
		s = s[:i]
	}
	out = append(out, s)
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out
}

// splitWhitespace is str.split() / str.rsplit() without a separator.
func splitWhitespace(s string, maxSplit int, rev bool) []string {
	fields := strings.FieldsFunc(s, isSpace)
	if maxSplit < 0 || len(fields) <= maxSplit+1 {
		return fields
	}
	if !rev {
		rest := strings.TrimLeftFunc(s, isSpace)
		var out []string
		for i := 0; i < maxSplit; i++ {
			j := strings.IndexFunc(rest, isSpace)
			out = append(out, rest[:j])
			rest = strings.TrimLeftFunc(rest[j:], isSpace)
		}
		return append(out, rest)
	}
	rest := strings.TrimRightFunc(s, isSpace)
	var out []string
	for i := 0; i < maxSplit; i++ {
		j := strings.LastIndexFunc(rest, isSpace)
		_, w := utf8.DecodeRuneInString(rest[j:])
		out = append([]string{rest[j+w:]}, out...)
		rest = strings.TrimRightFunc(rest[:j], isSpace)
	}
	return append([]string{rest}, out...)
}

func (r *Renderer) strList(parts []string) (Value, error) {
	if err := r.allocN(int64(len(parts)), valueSize); err != nil {
		return Value{}, err
	}
	items := make([]Value, len(parts))
	for i, p := range parts {
		items[i] = String(p)
	}
	return NewList(items), nil
}
