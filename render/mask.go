package render

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
)

// base64Forms returns the base64 forms a secret can take inside encoded
// text, in the standard and the URL-safe alphabet: for each of the three
// alignments it can have in the encoded data (the secret preceded by 0, 1
// or 2 other bytes), the characters that depend on the secret's bytes
// alone. Whatever precedes or follows it (Basic credentials
// "user:secret", a token inside a JSON document), one of them is in the
// encoding. Forms shorter than minAligned are left out for the shifted
// alignments: they would mask ordinary text.
func base64Forms(s string) []string {
	const minAligned = 8
	n := len(s)
	if n < MinMaskedLen {
		return nil // no secret (see MinMaskedLen)
	}
	var forms []string
	for k := range 3 {
		buf := make([]byte, k+n)
		copy(buf[k:], s)
		from := (4*k + 2) / 3   // first character made of the secret's bits only
		to := (8 * (k + n)) / 6 // characters complete within the secret
		if to-from < MinMaskedLen || k > 0 && to-from < minAligned {
			continue
		}
		for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding} {
			forms = append(forms, enc.EncodeToString(buf)[from:to])
		}
	}
	return forms
}

// Value returns v, a mapper's output (a CVar), with every secret masked:
// in each string, object keys included; a number or any other value
// whose JSON text holds a secret becomes the string Mask. Parts without a
// secret are shared with v, which is not changed.
func (r *Redactor) Value(v any) any {
	if r == nil || r.r == nil {
		return v
	}
	out, _ := r.value(v, 0)
	return out
}

// maxValueDepth bounds the walk of Value; deeper values are judged by
// their JSON text as a whole.
const maxValueDepth = 256

// value masks v; changed reports whether anything was masked.
func (r *Redactor) value(v any, depth int) (out any, changed bool) {
	switch x := v.(type) {
	case nil, bool:
		return v, false
	case string:
		red := r.Redact(x)
		return red, red != x
	case map[string]any:
		if depth >= maxValueDepth {
			break
		}
		var m map[string]any
		for k, e := range x {
			rk := r.Redact(k)
			re, ch := r.value(e, depth+1)
			if m == nil && (rk != k || ch) {
				m = make(map[string]any, len(x))
				for k2, e2 := range x {
					m[k2] = e2
				}
			}
			if m != nil {
				delete(m, k)
				m[rk] = re
			}
		}
		if m == nil {
			return x, false
		}
		return m, true
	case []any:
		if depth >= maxValueDepth {
			break
		}
		var l []any
		for i, e := range x {
			re, ch := r.value(e, depth+1)
			if l == nil && ch {
				l = append([]any(nil), x...)
			}
			if l != nil {
				l[i] = re
			}
		}
		if l == nil {
			return x, false
		}
		return l, true
	}
	b, err := json.Marshal(v)
	if err != nil {
		return Mask, true // not shown when it cannot be checked
	}
	if s := string(b); r.Redact(s) != s {
		return Mask, true
	}
	return v, false
}

// hopByHop are headers that describe the connection, not the request:
// a template may not set them (they would let a definition upgrade the
// connection, hold it, smuggle a second request, or name another
// virtual host than the URL's).
var hopByHop = map[string]bool{
	"Connection": true, "Upgrade": true, "Te": true, "Expect": true, "Keep-Alive": true,
	"Transfer-Encoding": true, "Trailer": true, "Host": true, "Content-Length": true,
}

// checkHeaderName refuses a hop-by-hop header, or a Proxy-* one.
func checkHeaderName(name string) error {
	c := http.CanonicalHeaderKey(strings.TrimSpace(name))
	if hopByHop[c] || strings.HasPrefix(c, "Proxy-") {
		return &headerError{name: c}
	}
	return nil
}

type headerError struct{ name string }

func (e *headerError) Error() string {
	return e.name + " is a hop-by-hop or proxy header, which a webhook may not set"
}
