package jinja

import (
	"strings"
)

// pprint is Python 3.11's pprint.pformat(value) (width 80, indent 1,
// sort_dicts): a value whose repr fits stays on one line; dicts, lists,
// tuples and strs that do not are broken over lines as PrettyPrinter
// breaks them. Dict keys are sorted in both forms.

const pprintWidth = 80

type pprinter struct {
	r     *Renderer
	b     reprBuilder
	stack []uintptr
}

func init() {
	register(filters, []string{"pprint"}, simple(sig("do_pprint"), func(r *Renderer, v Value, _ []Value) (Value, error) {
		p := &pprinter{r: r}
		p.b.max = r.budget.maxMem - r.budget.mem
		if err := p.format(v, 0, 0, 0); err != nil {
			return Value{}, err
		}
		if p.b.err != nil {
			if p.b.err == errMemory {
				return Value{}, r.memoryExceeded()
			}
			return Value{}, p.b.err
		}
		return String(p.b.String()), r.alloc(int64(p.b.Len()))
	}))
}

// safeRepr is pprint's _safe_repr: repr with dict keys sorted.
func (p *pprinter) safeRepr(v Value, depth int) (string, error) {
	if depth > maxValueDepth {
		return "", recursionError("getting the repr of an object")
	}
	if err := p.r.step(); err != nil {
		return "", err
	}
	switch v.kind {
	case KindDict, KindList, KindTuple:
		id := identity(v)
		for _, s := range p.stack {
			if s == id {
				return "<Recursion on " + v.TypeName() + " with id=" + itoa(int(id)) + ">", nil
			}
		}
		p.stack = append(p.stack, id)
		defer func() { p.stack = p.stack[:len(p.stack)-1] }()
	}
	switch v.kind {
	case KindDict:
		d := v.r.(*Dict)
		order, err := p.sortedItems(d)
		if err != nil {
			return "", err
		}
		parts := make([]string, 0, len(order))
		for _, i := range order {
			k, err := p.safeRepr(d.keys[i], depth+1)
			if err != nil {
				return "", err
			}
			val, err := p.safeRepr(d.vals[i], depth+1)
			if err != nil {
				return "", err
			}
			parts = append(parts, k+": "+val)
		}
		return "{" + strings.Join(parts, ", ") + "}", nil
	case KindList, KindTuple:
		if l := v.r.(*List); l.fields == nil {
			parts := make([]string, len(l.Items))
			for i, it := range l.Items {
				s, err := p.safeRepr(it, depth+1)
				if err != nil {
					return "", err
				}
				parts[i] = s
			}
			if v.kind == KindList {
				return "[" + strings.Join(parts, ", ") + "]", nil
			}
			if len(parts) == 1 {
				return "(" + parts[0] + ",)", nil
			}
			return "(" + strings.Join(parts, ", ") + ")", nil
		}
	}
	return p.r.repr(v)
}

// sortedItems orders a dict's entries by key, then value (pprint's
// _safe_tuple); incomparable keys keep their order by type name.
func (p *pprinter) sortedItems(d *Dict) ([]int, error) {
	idx := make([]Value, d.Len())
	for i := range idx {
		idx[i] = Int(int64(i))
	}
	err := p.r.sortBy(idx, func(x Value) (Value, error) {
		return NewTuple([]Value{d.keys[x.i], d.vals[x.i]}), nil
	}, false)
	if err != nil {
		// Mixed types: Python falls back to (type name, id); keep order
		// by type name, stable.
		err = p.r.sortBy(idx, func(x Value) (Value, error) { return String(d.keys[x.i].TypeName()), nil }, false)
	}
	order := make([]int, len(idx))
	for i, x := range idx {
		order[i] = int(x.i)
	}
	return order, err
}

// format is PrettyPrinter._format.
func (p *pprinter) format(v Value, indent, allowance, level int) error {
	rep, err := p.safeRepr(v, 0)
	if err != nil {
		return err
	}
	if runeCount(rep) <= pprintWidth-indent-allowance {
		p.b.write(rep)
		return p.b.err
	}
	switch v.kind {
	case KindDict:
		return p.dict(v.r.(*Dict), indent, allowance, level+1)
	case KindList:
		p.b.write("[")
		if err := p.items(v.r.(*List).Items, indent, allowance+1, level+1); err != nil {
			return err
		}
		p.b.write("]")
		return nil
	case KindTuple:
		if v.r.(*List).fields != nil {
			break
		}
		items := v.r.(*List).Items
		end := ")"
		if len(items) == 1 {
			end = ",)"
		}
		p.b.write("(")
		if err := p.items(items, indent, allowance+len(end), level+1); err != nil {
			return err
		}
		p.b.write(end)
		return nil
	case KindString:
		if !v.safe {
			p.str(v.s, indent, allowance, level+1)
			return nil
		}
	}
	p.b.write(rep)
	return nil
}

func (p *pprinter) dict(d *Dict, indent, allowance, level int) error {
	p.b.write("{")
	if d.Len() > 0 {
		order, err := p.sortedItems(d)
		if err != nil {
			return err
		}
		indent++
		for n, i := range order {
			last := n == len(order)-1
			rep, err := p.safeRepr(d.keys[i], 0)
			if err != nil {
				return err
			}
			p.b.write(rep + ": ")
			al := 1
			if last {
				al = allowance + 1
			}
			if err := p.format(d.vals[i], indent+runeCount(rep)+2, al, level); err != nil {
				return err
			}
			if !last {
				p.b.write(",\n" + strings.Repeat(" ", indent))
			}
		}
	}
	p.b.write("}")
	return nil
}

func (p *pprinter) items(items []Value, indent, allowance, level int) error {
	indent++
	for i, it := range items {
		if i > 0 {
			p.b.write(",\n" + strings.Repeat(" ", indent))
		}
		al := 1
		if i == len(items)-1 {
			al = allowance
		}
		if err := p.format(it, indent, al, level); err != nil {
			return err
		}
	}
	return nil
}

// str is PrettyPrinter._pprint_str: the string cut into chunks at white
// space, one repr per line, in parentheses at the top level.
func (p *pprinter) str(s string, indent, allowance, level int) {
	if s == "" {
		p.b.write(pyQuote(s))
		return
	}
	var chunks []string
	lines := splitLines(s, true)
	if level == 1 {
		indent++
		allowance++
	}
	maxWidth1, maxWidth := pprintWidth-indent, pprintWidth-indent
	var rep string
	for i, line := range lines {
		rep = pyQuote(line)
		if i == len(lines)-1 {
			maxWidth1 -= allowance
		}
		if runeCount(rep) <= maxWidth1 {
			chunks = append(chunks, rep)
			continue
		}
		parts := spaceParts(line)
		maxWidth2 := maxWidth
		current := ""
		for j, part := range parts {
			candidate := current + part
			if j == len(parts)-1 && i == len(lines)-1 {
				maxWidth2 -= allowance
			}
			if runeCount(pyQuote(candidate)) > maxWidth2 {
				if current != "" {
					chunks = append(chunks, pyQuote(current))
				}
				current = part
			} else {
				current = candidate
			}
		}
		if current != "" {
			chunks = append(chunks, pyQuote(current))
		}
	}
	if len(chunks) == 1 {
		p.b.write(rep)
		return
	}
	if level == 1 {
		p.b.write("(")
	}
	for i, c := range chunks {
		if i > 0 {
			p.b.write("\n" + strings.Repeat(" ", indent))
		}
		p.b.write(c)
	}
	if level == 1 {
		p.b.write(")")
	}
}

// spaceParts is re.findall(r'\S*\s*', line) without its empty last match.
func spaceParts(line string) []string {
	var parts []string
	rs := []rune(line)
	i := 0
	for i < len(rs) {
		j := i
		for j < len(rs) && !isSpace(rs[j]) {
			j++
		}
		for j < len(rs) && isSpace(rs[j]) {
			j++
		}
		parts = append(parts, string(rs[i:j]))
		i = j
	}
	return parts
}
