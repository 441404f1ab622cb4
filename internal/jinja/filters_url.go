package jinja

import (
	"regexp"
	"slices"
	"strings"
)

// URL filters: urlencode (jinja2.utils.url_quote over
// urllib.parse.quote_from_bytes) and urlize (jinja2.utils.urlize with the
// sandbox's default policies: rel "noopener", no target, no extra
// schemes).

// urlQuote is url_quote(s, for_qs): UTF-8 bytes percent-encoded except
// letters, digits and _.-~ (and / unless forQS); forQS writes spaces as +.
func urlQuote(s string, forQS bool) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9',
			c == '_', c == '.', c == '-', c == '~', c == '/' && !forQS:
			b.WriteByte(c)
		case c == ' ' && forQS:
			b.WriteByte('+')
		default:
			b.WriteByte('%')
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&15])
		}
	}
	return b.String()
}

// quoted charges the budget for quoting s (at most 3 bytes per byte) and
// quotes it.
func (r *Renderer) quoted(s string, forQS bool) (string, error) {
	if err := r.alloc(3 * int64(len(s))); err != nil {
		return "", err
	}
	if err := r.workBytes(len(s)); err != nil {
		return "", err
	}
	return urlQuote(s, forQS), nil
}

func filterURLEncode(r *Renderer, v Value, a []Value) (Value, error) {
	if v.kind != KindString && !isIterable(v) {
		s, err := r.str(v)
		if err != nil {
			return Value{}, err
		}
		q, err := r.quoted(s, false)
		return String(q), err
	}
	if v.kind == KindString {
		q, err := r.quoted(v.s, false)
		return String(q), err
	}
	// Each pair is quoted as it is taken (iter(value) is lazy: a
	// LoopContext advances between pairs).
	var parts []string
	total := 0
	pair := func(it Value) (bool, error) {
		kv, err := r.unpack(it, 2)
		if err != nil {
			return false, err
		}
		var q [2]string
		for i, x := range kv {
			s, err := r.str(x)
			if err != nil {
				return false, err
			}
			if q[i], err = r.quoted(s, true); err != nil {
				return false, err
			}
		}
		p := q[0] + "=" + q[1]
		total += len(p) + 1
		parts = append(parts, p)
		return true, nil
	}
	if d := v.Dict(); d != nil {
		for i, k := range d.keys {
			if _, err := pair(NewTuple([]Value{k, d.vals[i]})); err != nil {
				return Value{}, err
			}
		}
	} else if err := r.iterate(v, pair); err != nil {
		return Value{}, err
	}
	return String(joinStrings(parts, "&", total)), nil
}

// unpack is `a, b = v` for n targets, with Python's errors.
func (r *Renderer) unpack(v Value, n int) ([]Value, error) {
	if !isIterable(v) {
		return nil, typeErrorf("cannot unpack non-iterable %s object", v.TypeName())
	}
	items, err := r.toList(v)
	if err != nil {
		return nil, err
	}
	switch {
	case len(items) > n:
		return nil, valueErrorf("too many values to unpack (expected %d)", n)
	case len(items) < n:
		return nil, valueErrorf("not enough values to unpack (expected %d, got %d)", n, len(items))
	}
	return items, nil
}

// The regular expressions of jinja2.utils.urlize, with Python's Unicode
// \w, \d and \s.
var (
	urlizeSpace = regexp.MustCompile(`[\s\p{Z}\x1c-\x1f\x85]+`)
	urlizeHead  = regexp.MustCompile(`^(?:[(<]|&lt;)+`)
	urlizeTail  = regexp.MustCompile(`(?:[)>.,\n]|&gt;)+$`)
	urlizeHTTP  = regexp.MustCompile(`(?i)^(?:` +
		`(?:https?://|www\.)(?:(?:[\p{L}\p{N}_%-]+\.)+)?(?:[a-z]{2,63}|xn--[\p{L}\p{N}_%]{2,59})` +
		`|(?:[\p{L}\p{N}_%-]{2,63}\.)+(?:com|net|int|edu|gov|org|info|mil)` +
		`|(?:https?://)(?:(?:\p{Nd}{1,3})(?:\.\p{Nd}{1,3}){3}|\[(?:[\p{Nd}a-f]{0,4}:){2}(?:[\p{Nd}a-f]{0,4}:?){1,6}\])` +
		`)(?::\p{Nd}{1,5})?(?:[/?#][^\s\p{Z}\x1c-\x1f\x85]*)?$`)
	urlizeEmail  = regexp.MustCompile(`^[^\s\p{Z}\x1c-\x1f\x85]+@[\p{L}\p{N}_][\p{L}\p{N}_.-]*\.[\p{L}\p{N}_]+$`)
	urlizeScheme = regexp.MustCompile(`^[\p{L}\p{N}_.+-]{2,}:/{0,2}$`)
)

func filterURLize(r *Renderer, v Value, a []Value) (Value, error) {
	limit, nofollow, target, rel, extra := a[0], a[1], a[2], a[3], a[4]
	relParts := map[string]bool{"noopener": true}
	if rel.Truth() {
		// (rel or "").split(): only a str has split.
		if rel.kind != KindString {
			return Value{}, r.noAttr(rel, "split")
		}
		for _, p := range strings.FieldsFunc(rel.s, isSpace) {
			relParts[p] = true
		}
	}
	if nofollow.Truth() {
		relParts["nofollow"] = true
	}
	rels := make([]string, 0, len(relParts))
	for p := range relParts {
		rels = append(rels, p)
	}
	slices.Sort(rels)
	var schemes []string
	if extra.kind != KindNone {
		items, err := r.toList(extra)
		if err != nil {
			return Value{}, err
		}
		for _, it := range items {
			if it.kind != KindString {
				return Value{}, typeErrorf("expected string or bytes-like object, got '%s'", it.TypeName())
			}
			s := it.s
			if !urlizeScheme.MatchString(s) {
				repr, _ := r.repr(it)
				return Value{}, newError(FilterArgError, "%s is not a valid URI scheme prefix.", repr)
			}
			schemes = append(schemes, s)
		}
	}
	text, err := r.escape(v)
	if err != nil {
		return Value{}, err
	}
	if err := r.workBytes(len(text)); err != nil {
		return Value{}, err
	}
	relAttr := ` rel="` + escapeHTML(strings.Join(rels, " ")) + `"`
	targetAttr := ""
	if target.Truth() {
		t, err := r.escape(target) // markupsafe.escape: a Markup target as it is
		if err != nil {
			return Value{}, err
		}
		targetAttr = ` target="` + t + `"`
	}
	trim := func(x string) string { return x }
	if limit.kind != KindNone {
		n, err := intArg("urlize", "trim_url_limit", limit)
		if err != nil {
			return Value{}, err
		}
		trim = func(x string) string {
			runes := []rune(x)
			if int64(len(runes)) <= n {
				return x
			}
			end := n
			if end < 0 {
				end = max(int64(len(runes))+end, 0)
			}
			return string(runes[:end]) + "..."
		}
	}
	var b strings.Builder
	last := 0
	emit := func(word string) error {
		w := urlizeWord(word, relAttr+targetAttr, trim, schemes)
		if err := r.alloc(int64(len(w))); err != nil {
			return err
		}
		b.WriteString(w)
		return nil
	}
	for _, m := range urlizeSpace.FindAllStringIndex(text, -1) {
		if err := emit(text[last:m[0]]); err != nil {
			return Value{}, err
		}
		b.WriteString(text[m[0]:m[1]])
		last = m[1]
	}
	if err := emit(text[last:]); err != nil {
		return Value{}, err
	}
	if r.autoescape {
		return Markup(b.String()), nil
	}
	return String(b.String()), nil
}

// urlizeWord links one word as urlize's loop body does.
func urlizeWord(word, attrs string, trim func(string) string, schemes []string) string {
	head, middle, tail := "", word, ""
	if m := urlizeHead.FindString(middle); m != "" {
		head, middle = m, middle[len(m):]
	}
	for _, end := range []string{")", ">", ".", ",", "\n", "&gt;"} {
		if strings.HasSuffix(middle, end) {
			if loc := urlizeTail.FindStringIndex(middle); loc != nil {
				tail, middle = middle[loc[0]:], middle[:loc[0]]
			}
			break
		}
	}
	for _, pair := range [][2]string{{"(", ")"}, {"<", ">"}, {"&lt;", "&gt;"}} {
		start := strings.Count(middle, pair[0])
		if start <= strings.Count(middle, pair[1]) {
			continue
		}
		for range min(start, strings.Count(tail, pair[1])) {
			end := strings.Index(tail, pair[1]) + len(pair[1])
			middle += tail[:end]
			tail = tail[end:]
		}
	}
	switch {
	case urlizeHTTP.MatchString(middle):
		href := middle
		if !strings.HasPrefix(middle, "https://") && !strings.HasPrefix(middle, "http://") {
			href = "https://" + middle
		}
		middle = `<a href="` + href + `"` + attrs + `>` + trim(middle) + `</a>`
	case strings.HasPrefix(middle, "mailto:") && urlizeEmail.MatchString(middle[7:]):
		middle = `<a href="` + middle + `">` + middle[7:] + `</a>`
	case strings.Contains(middle, "@") && !strings.HasPrefix(middle, "www.") && !strings.Contains(middle, ":") &&
		urlizeEmail.MatchString(middle):
		middle = `<a href="mailto:` + middle + `">` + middle + `</a>`
	default:
		for _, s := range schemes {
			if middle != s && strings.HasPrefix(middle, s) {
				middle = `<a href="` + middle + `"` + attrs + `>` + middle + `</a>`
			}
		}
	}
	return head + middle + tail
}

func init() {
	register(filters, []string{"urlencode"}, simple(sig("do_urlencode"), filterURLEncode))
	register(filters, []string{"urlize"}, simple(sig("do_urlize", optNone("trim_url_limit"), opt("nofollow", False),
		optNone("target"), optNone("rel"), optNone("extra_schemes")), filterURLize))
}
