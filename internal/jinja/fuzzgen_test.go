package jinja

import (
	"strconv"
	"strings"
)

// fuzzGen turns fuzz bytes into a template and a JSON context from a small
// grammar of Jinja2 (the differential fuzzer's input): the same bytes give
// the same case, so a recorded Jinja2 outcome can be looked up by them.
type fuzzGen struct {
	data []byte
	i    int
	keys []string
}

// genCase returns the template, context (JSON text) and oracle mode
// ("render", or "expr" for a mapper's single expression) data encodes.
func genCase(data []byte) (template, context, mode string) {
	g := &fuzzGen{data: data}
	ctx := g.jsonObject(2)
	if g.pick(3) == 0 {
		return "{{ " + g.expr(3) + " }}", ctx, "expr"
	}
	return g.block(2), ctx, "render"
}

// next returns the next byte, 0 once data is used up (so every input,
// however short, ends in the grammar's simplest choices).
func (g *fuzzGen) next() int {
	if g.i >= len(g.data) {
		return 0
	}
	b := g.data[g.i]
	g.i++
	return int(b)
}

func (g *fuzzGen) pick(n int) int { return g.next() % n }

func pickOf[T any](g *fuzzGen, xs []T) T { return xs[g.pick(len(xs))] }

var (
	fgKeys    = []string{"a", "b", "n", "s", "items", "user", "name", "price", "flag", "data"}
	fgStrings = []string{"", "abc", "Hello World", "é", "café ß", "👍", " pad ", "42", "-3.5", "a,b,,c", "<b>&</b>", "it's", "line1\nline2", "İ", "2nd place", "None"}
	fgNumbers = []string{"0", "1", "-1", "7", "-7", "42", "255", "1000", "9223372036854775808", "18446744073709551616", "-9223372036854775809", "1.5", "2.0", "-0.0", "0.1", "1e-07", "1e16", "19.99", "-2.5", "1e300"}
	fgBinOps  = []string{"+", "-", "*", "/", "//", "%", "**", "~", "==", "!=", "<", "<=", ">", ">=", "and", "or", "in", "not in"}
	fgFilters = []string{"upper", "lower", "title", "capitalize", "trim", "length", "first", "last", "list", "sort", "unique", "reverse | list",
		"string", "int", "float", "abs", "round", "round(1, 'floor')", "default('d')", "default('d', true)", "join(',')", "join", "tojson",
		"sum", "min", "max", "count", "wordcount", "center(9)", "indent(2)", "truncate(5)", "truncate(5, true, '..', 0)", "replace('a', 'b')",
		"batch(2) | list", "slice(2) | list", "map('string') | list", "select | list", "reject('odd') | list", "dictsort", "items | list",
		"e", "striptags", "urlencode", "filesizeformat", "format(1)", "pprint", "wordwrap(5)", "title", "d(0)", "groupby('a') | list",
		"selectattr('a') | list", "map(attribute='a') | list", "attr('upper')", "xmlattr", "forceescape", "safe", "urlize"}
	fgTests   = []string{"defined", "undefined", "none", "number", "string", "mapping", "sequence", "iterable", "odd", "even", "true", "false", "boolean", "integer", "float", "lower", "upper", "callable", "divisibleby 3", "eq 1", "gt 0", "in [1, 2]", "sameas none", "escaped"}
	fgMethods = []string{"upper()", "split()", "split(',', 1)", "rsplit(' ', 1)", "strip()", "startswith('a')", "endswith(('c', 'd'))", "zfill(5)",
		"replace('a', 'x')", "find('b')", "count('a')", "title()", "format(1, 2)", "items() | list", "keys() | list", "get('a')", "append(1)", "index(1)", "copy()", "isdigit()", "ljust(4)", "partition(',')"}
)

func (g *fuzzGen) jsonValue(depth int) string {
	k := g.pick(10)
	switch {
	case depth > 0 && k == 0:
		n := g.pick(4)
		parts := make([]string, n)
		for j := range parts {
			parts[j] = g.jsonValue(depth - 1)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case depth > 0 && k == 1:
		return g.jsonObject(depth - 1)
	case k < 5:
		return pickOf(g, fgNumbers)
	case k < 8:
		return strconv.Quote(pickOf(g, fgStrings))
	case k == 8:
		return pickOf(g, []string{"true", "false"})
	}
	return "null"
}

func (g *fuzzGen) jsonObject(depth int) string {
	n := g.pick(5) + 1
	parts := make([]string, 0, n)
	for j := 0; j < n; j++ {
		key := pickOf(g, fgKeys)
		if depth == 2 {
			g.keys = append(g.keys, key)
		}
		parts = append(parts, strconv.Quote(key)+": "+g.jsonValue(depth))
	}
	return "{" + strings.Join(parts, ", ") + "}"
}

func (g *fuzzGen) name() string {
	if len(g.keys) == 0 || g.pick(16) == 0 {
		return pickOf(g, []string{"missing", "loop", "none", "x"}) // no bare function: its repr shows an address
	}
	return pickOf(g, g.keys)
}

func (g *fuzzGen) atom(depth int) string {
	switch g.pick(9) {
	case 0, 1, 2:
		return g.name()
	case 3:
		return pickOf(g, fgNumbers)
	case 4:
		return "'" + strings.NewReplacer(`\`, `\\`, "'", `\'`, "\n", `\n`).Replace(pickOf(g, fgStrings)) + "'"
	case 5:
		if depth > 0 {
			return "[" + g.expr(depth-1) + ", " + g.expr(depth-1) + "]"
		}
		return "[]"
	case 6:
		if depth > 0 {
			return "{'a': " + g.expr(depth-1) + ", 'b': " + g.expr(depth-1) + "}"
		}
		return "{}"
	case 7:
		return pickOf(g, []string{"true", "false", "none", "range(3)", "range(5, 0, -2)", "dict(a=1)", "namespace(v=1).v", "cycler(1, 2).next()", "joiner(',')()"})
	}
	return "(" + g.expr(depth) + ")"
}

func (g *fuzzGen) postfix(depth int) string {
	x := g.atom(depth)
	filtered := false // a filter binds looser than . and []: parenthesise
	for n := g.pick(3); n > 0; n-- {
		k := g.pick(6)
		if k < 3 && filtered {
			x, filtered = "("+x+")", false
		}
		switch k {
		case 0:
			x += "." + pickOf(g, fgKeys)
		case 1:
			x += "[" + pickOf(g, []string{"0", "1", "-1", "'a'", "'name'", "1:3", "::-1", ":2"}) + "]"
		case 2:
			x = "(" + x + ")." + pickOf(g, fgMethods)
		default:
			x += " | " + pickOf(g, fgFilters)
			filtered = true
		}
	}
	return x
}

func (g *fuzzGen) expr(depth int) string {
	if depth <= 0 {
		return g.postfix(0)
	}
	switch g.pick(8) {
	case 0, 1:
		return g.postfix(depth - 1)
	case 2, 3, 4:
		return g.postfix(depth-1) + " " + pickOf(g, fgBinOps) + " " + g.postfix(depth-1)
	case 5:
		return pickOf(g, []string{"not ", "-", "+"}) + g.postfix(depth-1)
	case 6:
		return g.postfix(depth-1) + " is " + pickOf(g, []string{"", "not "}) + pickOf(g, fgTests)
	}
	x := g.postfix(depth-1) + " if " + g.postfix(depth-1)
	if g.pick(3) > 0 {
		x += " else " + g.postfix(depth-1)
	}
	return "(" + x + ")"
}

func (g *fuzzGen) ws(open bool) string {
	switch g.pick(6) {
	case 0:
		return "-"
	case 1:
		if open {
			return "+"
		}
	}
	return ""
}

func (g *fuzzGen) block(depth int) string {
	var b strings.Builder
	for n := g.pick(4) + 1; n > 0; n-- {
		switch k := g.pick(10); {
		case k < 2:
			b.WriteString(pickOf(g, []string{"", " ", "x", "\n", " - ", "Hi "}))
		case k < 6 || depth <= 0:
			b.WriteString("{{" + g.ws(true) + " " + g.expr(2) + " " + g.ws(false) + "}}")
		case k == 6:
			b.WriteString("{%" + g.ws(true) + " if " + g.expr(1) + " %}" + g.block(depth-1))
			if g.pick(2) == 0 {
				b.WriteString("{% elif " + g.expr(1) + " %}" + g.block(depth-1))
			}
			if g.pick(2) == 0 {
				b.WriteString("{% else %}" + g.block(depth-1))
			}
			b.WriteString("{% endif " + g.ws(false) + "%}")
		case k == 7:
			target := pickOf(g, []string{"i", "k, v", "item"})
			b.WriteString("{% for " + target + " in " + g.postfix(1))
			if g.pick(3) == 0 {
				b.WriteString(" if " + g.expr(0))
			}
			b.WriteString(" %}" + pickOf(g, []string{"{{ loop.index }}", "{{ loop.first }}", "{{ loop.revindex }}", "{{ loop.cycle('a', 'b') }}", "{{ i }}", "{{ k }}={{ v }}", ""}) + g.block(depth-1))
			if g.pick(3) == 0 {
				b.WriteString("{% else %}" + g.block(depth-1))
			}
			b.WriteString("{% endfor %}")
		case k == 8:
			switch g.pick(3) {
			case 0:
				b.WriteString("{% set t = " + g.expr(1) + " %}{{ t }}")
			case 1:
				b.WriteString("{% set t, u = " + g.expr(0) + " %}{{ t }}{{ u }}")
			default:
				b.WriteString("{% set t | " + pickOf(g, fgFilters) + " %}" + g.block(depth-1) + "{% endset %}{{ t }}")
			}
		default:
			b.WriteString("{% with w = " + g.expr(1) + " %}{{ w }}" + g.block(depth-1) + "{% endwith %}")
		}
	}
	return b.String()
}
