package jinja

import (
	"fmt"
	"math/big"
	"strings"
)

// The globals of Jinja2's default environment: range (the sandbox's
// safe_range, at most 100000 items), dict, cycler, joiner, namespace and
// lipsum.

// maxRange is the sandbox's MAX_RANGE.
const maxRange = 100000

var globals = map[string]Value{}

func function(name string, fn func(r *Renderer, args []Value, kw []Kwarg) (Value, error)) Value {
	return Value{kind: KindCallable, r: &Callable{name: name, fn: func(r *Renderer, _ Value, args []Value, kw []Kwarg) (Value, error) {
		return fn(r, args, kw)
	}}}
}

func class(name, qual string, fn func(r *Renderer, args []Value, kw []Kwarg) (Value, error)) Value {
	v := function(name, fn)
	v.r.(*Callable).class = qual
	return v
}

func init() {
	globals["range"] = function("safe_range", globalRange)
	globals["dict"] = class("dict", "dict", func(r *Renderer, args []Value, kw []Kwarg) (Value, error) {
		d, err := r.makeDict("dict", args, kw)
		if err != nil {
			return Value{}, err
		}
		return DictValue(d), nil
	})
	globals["namespace"] = class("Namespace", "jinja2.utils.Namespace", func(r *Renderer, args []Value, kw []Kwarg) (Value, error) {
		d, err := r.makeDict("Namespace", args, kw)
		if err != nil {
			return Value{}, err
		}
		return ObjectValue(&Namespace{attrs: d}), nil
	})
	globals["cycler"] = class("Cycler", "jinja2.utils.Cycler", func(r *Renderer, args []Value, kw []Kwarg) (Value, error) {
		if len(kw) > 0 {
			return Value{}, typeErrorf("Cycler.__init__() got an unexpected keyword argument '%s'", kw[0].Name)
		}
		if len(args) == 0 {
			return Value{}, newError(PyRuntimeError, "at least one item has to be provided")
		}
		return ObjectValue(&cycler{items: append([]Value{}, args...)}), nil
	})
	globals["joiner"] = class("Joiner", "jinja2.utils.Joiner", func(r *Renderer, args []Value, kw []Kwarg) (Value, error) {
		a, err := sig("Joiner.__init__", opt("sep", String(", "))).bind(args, kw)
		if err != nil {
			return Value{}, err
		}
		return ObjectValue(&joiner{sep: a[0]}), nil
	})
	globals["lipsum"] = function("generate_lorem_ipsum", globalLipsum)
}

func globalRange(r *Renderer, args []Value, kw []Kwarg) (Value, error) {
	if len(kw) > 0 {
		return Value{}, typeErrorf("range() takes no keyword arguments")
	}
	if len(args) == 0 || len(args) > 3 {
		return Value{}, typeErrorf("range expected at most 3 arguments, got %d", len(args))
	}
	ints := make([]int64, len(args))
	var base *big.Int
	for _, a := range args {
		if !a.isIntLike() {
			return Value{}, typeErrorf("'%s' object cannot be interpreted as an integer", a.TypeName())
		}
		if a.isBig() && len(args) > 1 {
			base = args[0].Big()
		}
	}
	tooBig := newError(OverflowError, "Range too big. The sandbox blocks ranges larger than MAX_RANGE (%d).", maxRange)
	for i, a := range args {
		v := a.Big()
		if base != nil && i < 2 {
			v = new(big.Int).Sub(v, base)
		}
		if !v.IsInt64() {
			// range(2**70) or a span or step past int64: far more than
			// MAX_RANGE items, or (a huge step) at most one; the sandbox
			// refuses the former, and the latter is taken as the former.
			return Value{}, tooBig
		}
		ints[i] = v.Int64()
	}
	g := &Range{step: 1, base: base}
	switch len(ints) {
	case 1:
		g.stop = ints[0]
	case 2:
		g.start, g.stop = ints[0], ints[1]
	case 3:
		g.start, g.stop, g.step = ints[0], ints[1], ints[2]
	}
	if g.step == 0 {
		return Value{}, valueErrorf("range() arg 3 must not be zero")
	}
	if rangeLen(g) > maxRange {
		return Value{}, newError(OverflowError, "Range too big. The sandbox blocks ranges larger than MAX_RANGE (%d).", maxRange)
	}
	return Value{kind: KindRange, r: g}, nil
}

// rangeLen is the length of g without overflow.
func rangeLen(g *Range) int64 {
	var span float64
	switch {
	case g.step > 0 && g.stop > g.start:
		span = (float64(g.stop) - float64(g.start)) / float64(g.step)
	case g.step < 0 && g.start > g.stop:
		span = (float64(g.start) - float64(g.stop)) / -float64(g.step)
	default:
		return 0
	}
	if span > 2*maxRange {
		return maxRange + 1
	}
	return g.Len()
}

// makeDict is Python's dict(mapping_or_pairs, **kwargs).
func (r *Renderer) makeDict(name string, args []Value, kw []Kwarg) (*Dict, error) {
	if len(args) > 1 {
		return nil, typeErrorf("%s expected at most 1 argument, got %d", name, len(args))
	}
	d := NewDict(len(kw))
	if len(args) == 1 {
		src := args[0]
		if src.kind == KindUndefined {
			return nil, undefinedError(src) // Python looks up src.keys
		}
		if sd := src.Dict(); sd != nil {
			d = sd.Copy()
		} else {
			items, err := r.items(src)
			if err != nil {
				return nil, err
			}
			for i, it := range items {
				pair, err := r.toList(it)
				if err != nil {
					return nil, typeErrorf("cannot convert dictionary update sequence element #%d to a sequence", i)
				}
				if len(pair) != 2 {
					return nil, valueErrorf("dictionary update sequence element #%d has length %d; 2 is required", i, len(pair))
				}
				if err := d.Set(pair[0], pair[1]); err != nil {
					return nil, err
				}
			}
		}
	}
	if err := r.allocN(int64(d.Len()+len(kw)), 2*valueSize); err != nil {
		return nil, err
	}
	for _, k := range kw {
		d.SetStr(k.Name, k.Value)
	}
	return d, nil
}

// Namespace is Jinja2's namespace(): attributes set with {% set ns.x %}.
type Namespace struct{ attrs *Dict }

func (n *Namespace) TypeName() string { return "Namespace" }

func (n *Namespace) Attr(r *Renderer, name string) (Value, bool, error) {
	v, ok := n.attrs.GetStr(name)
	if ok && strings.HasPrefix(name, "_") {
		return undefinedHint(fmt.Sprintf("access to attribute %s of 'Namespace' object is unsafe.", pyQuote(name))), true, nil
	}
	return v, ok, nil
}

type cycler struct {
	items []Value
	pos   int
}

func (c *cycler) TypeName() string { return "Cycler" }

func (c *cycler) Attr(r *Renderer, name string) (Value, bool, error) {
	switch name {
	case "current":
		return c.items[c.pos], true, nil
	case "items":
		return NewTuple(c.items), true, nil
	case "pos":
		return Int(int64(c.pos)), true, nil
	case "next":
		return bound("next", ObjectValue(c), func(r *Renderer, _ Value, args []Value, kw []Kwarg) (Value, error) {
			if err := noArgs("next", args, kw); err != nil {
				return Value{}, err
			}
			v := c.items[c.pos]
			c.pos = (c.pos + 1) % len(c.items)
			return v, nil
		}), true, nil
	case "reset":
		return bound("reset", ObjectValue(c), func(r *Renderer, _ Value, args []Value, kw []Kwarg) (Value, error) {
			if err := noArgs("reset", args, kw); err != nil {
				return Value{}, err
			}
			c.pos = 0
			return None, nil
		}), true, nil
	}
	return Value{}, false, nil
}

type joiner struct {
	sep  Value
	used bool
}

func (j *joiner) TypeName() string { return "Joiner" }

func (j *joiner) Attr(r *Renderer, name string) (Value, bool, error) {
	switch name {
	case "sep":
		return j.sep, true, nil
	case "used":
		return Bool(j.used), true, nil
	}
	return Value{}, false, nil
}

func (j *joiner) call(r *Renderer, args []Value, kw []Kwarg) (Value, error) {
	if err := noArgs("Joiner.__call__", args, kw); err != nil {
		return Value{}, err
	}
	if !j.used {
		j.used = true
		return String(""), nil
	}
	return j.sep, nil
}

// lipsumWords are Jinja2's LOREM_IPSUM_WORDS.
var lipsumWords = strings.Fields(`a ac accumsan ad adipiscing aenean aliquam aliquet amet ante aptent arcu at auctor augue bibendum blandit class commodo condimentum congue consectetuer consequat conubia convallis cras cubilia cum curabitur curae cursus dapibus diam dictum dictumst dignissim dis dolor donec dui duis egestas eget eleifend elementum elit enim erat eros est et etiam eu euismod facilisi facilisis fames faucibus felis fermentum feugiat fringilla fusce gravida habitant habitasse hac hendrerit hymenaeos iaculis id imperdiet in inceptos integer interdum ipsum justo lacinia lacus laoreet lectus leo libero ligula litora lobortis lorem luctus maecenas magna magnis malesuada massa mattis mauris metus mi molestie mollis montes morbi mus nam nascetur natoque nec neque netus nibh nisi nisl non nonummy nostra nulla nullam nunc odio orci ornare parturient pede pellentesque penatibus per pharetra phasellus placerat platea porta porttitor posuere potenti praesent pretium primis proin pulvinar purus quam quis quisque rhoncus ridiculus risus rutrum sagittis sapien scelerisque sed sem semper senectus sit sociis sociosqu sodales sollicitudin suscipit suspendisse taciti tellus tempor tempus tincidunt torquent tortor tristique turpis ullamcorper ultrices ultricies urna ut varius vehicula vel velit venenatis vestibulum vitae vivamus viverra volutpat vulputate`)

// globalLipsum is generate_lorem_ipsum(n=5, html=True, min=20, max=100),
// with a deterministic choice of words.
func globalLipsum(r *Renderer, args []Value, kw []Kwarg) (Value, error) {
	a, err := sig("generate_lorem_ipsum", opt("n", Int(5)), opt("html", True), opt("min", Int(20)), opt("max", Int(100))).bind(args, kw)
	if err != nil {
		return Value{}, err
	}
	n, err := intArg("lipsum", "n", a[0])
	if err != nil {
		return Value{}, err
	}
	lo, err := intArg("lipsum", "min", a[2])
	if err != nil {
		return Value{}, err
	}
	hi, err := intArg("lipsum", "max", a[3])
	if err != nil {
		return Value{}, err
	}
	if hi <= lo {
		return Value{}, valueErrorf("empty range for randrange() (%d, %d, %d)", lo, hi, hi-lo)
	}
	if err := r.allocN(n, hi*12); err != nil {
		return Value{}, err
	}
	seed := uint64(r.budget.steps) | 1
	rnd := func(k int64) int64 {
		seed ^= seed << 13
		seed ^= seed >> 7
		seed ^= seed << 17
		return int64(seed % uint64(k))
	}
	var paras []string
	for i := int64(0); i < n; i++ {
		count := lo + rnd(hi-lo)
		if err := r.work(int(count)); err != nil {
			return Value{}, err
		}
		words := make([]string, 0, count)
		last := ""
		for j := int64(0); j < count; j++ {
			w := lipsumWords[rnd(int64(len(lipsumWords)))]
			if w == last {
				w = lipsumWords[(rnd(int64(len(lipsumWords)))+1)%int64(len(lipsumWords))]
			}
			last = w
			if j == 0 {
				w = pyCapitalize(w)
			}
			words = append(words, w)
		}
		p := strings.Join(words, " ")
		if !strings.HasSuffix(p, ".") {
			p += "."
		}
		paras = append(paras, p)
	}
	if a[1].Truth() {
		for i, p := range paras {
			paras[i] = "<p>" + escapeHTML(p) + "</p>"
		}
		return Markup(strings.Join(paras, "\n")), nil
	}
	return String(strings.Join(paras, "\n\n")), nil
}
