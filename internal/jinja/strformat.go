package jinja

import (
	"strconv"
	"strings"
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
