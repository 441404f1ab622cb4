package jinja

// Markup's methods: markupsafe's wrappers of str methods, and its own.

// markupEscaping are the str methods markupsafe wraps so that str
// arguments are escaped and the result is Markup; markupSplitting return
// lists or tuples of Markup.
var (
	markupEscaping = map[string]bool{"capitalize": true, "title": true, "lower": true, "upper": true, "replace": true,
		"ljust": true, "rjust": true, "lstrip": true, "rstrip": true, "center": true, "strip": true, "translate": true,
		"expandtabs": true, "swapcase": true, "zfill": true, "partition": true, "rpartition": true, "join": true}
	markupSplitting = map[string]bool{"split": true, "rsplit": true, "splitlines": true, "partition": true, "rpartition": true}
)

// markupWrapped is the Markup version of a str method, or nil when Markup
// inherits it unchanged.
func markupWrapped(name string) method {
	m := strMethods[name]
	if m == nil || !markupEscaping[name] && !markupSplitting[name] {
		return nil
	}
	return func(r *Renderer, self Value, args []Value, kw []Kwarg) (Value, error) {
		if markupEscaping[name] {
			esc := func(v Value) Value {
				if v.kind == KindString && !v.safe {
					return Markup(escapeHTML(v.s))
				}
				return v
			}
			args = append([]Value(nil), args...)
			for i := range args {
				args[i] = esc(args[i])
			}
			kw = append([]Kwarg(nil), kw...)
			for i := range kw {
				kw[i].Value = esc(kw[i].Value)
			}
			if name == "join" && len(args) == 1 {
				items, err := r.toList(args[0])
				if err != nil {
					return Value{}, err
				}
				for i := range items {
					if items[i].kind == KindString {
						items[i] = esc(items[i])
					}
				}
				args = []Value{NewList(items)}
			}
		}
		v, err := m(r, self, args, kw)
		if err != nil {
			return v, err
		}
		switch v.kind {
		case KindString:
			v.safe = true
		case KindList, KindTuple:
			for i, it := range v.r.(*List).Items {
				if it.kind == KindString {
					v.r.(*List).Items[i].safe = true
				}
			}
		}
		return v, nil
	}
}

// markupMethods are Markup's own methods.
var markupMethods = map[string]method{
	"striptags": func(r *Renderer, self Value, args []Value, kw []Kwarg) (Value, error) {
		if err := noArgs("striptags", args, kw); err != nil {
			return Value{}, err
		}
		return r.callFilter("striptags", self, nil, nil)
	},
	"unescape": func(r *Renderer, self Value, args []Value, kw []Kwarg) (Value, error) {
		if err := noArgs("unescape", args, kw); err != nil {
			return Value{}, err
		}
		return String(htmlUnescape(self.s)), nil
	},
}
