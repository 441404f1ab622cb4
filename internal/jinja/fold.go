package jinja

import (
	"errors"
	"math"

	"github.com/nikolalohinski/gonja/v2/nodes"
	"github.com/nikolalohinski/gonja/v2/tokens"
)

// Constant folding, as far as it shows. Jinja2's optimizer replaces every
// expression it can evaluate at compile time (no names, no calls, no
// filter needing the context; an error means "not constant") by its
// value, and the code generator writes that value as Python source:
// str(f) for a float, repr(v) otherwise; a constant printed directly by
// {{ }} becomes text at compile time. Two things show:
//
//   - A float inf or nan becomes the Python name inf or nan, which is
//     undefined: evaluating it raises NameError. So `{{ 1e308 * 10 }}`
//     prints inf, while `{% if 'nan' | float %}`, `{{ x ~ 1e400 }}` and
//     the same expression in a mapper fail with NameError when they run.
//   - At compile time x[a:b] goes through the sandbox's getitem, which
//     makes an Undefined of what cannot be sliced, while at run time it
//     is a plain Python subscript, which raises TypeError: so
//     `{{ (0.1 is boolean)[1:] }}` prints nothing and `1 if 0.1[1:] else
//     2` is 2.
//
// The folder evaluates the same candidates, replaces the first kind by a
// node that raises NameError and the second by the value folded; any
// other constant evaluates at run time exactly as it folded.

// errImpossible is Jinja2's nodes.Impossible: not a constant.
var errImpossible = errors.New("not a constant")

// contextFilters are the builtin filters marked @pass_context, which
// Jinja2 never folds.
var contextFilters = map[string]bool{"random": true, "map": true, "select": true, "reject": true,
	"selectattr": true, "rejectattr": true}

// nameErrorExpr raises NameError for an undefined Python name.
type nameErrorExpr struct {
	loc  *tokens.Token
	name string
}

func (n *nameErrorExpr) Position() *tokens.Token { return n.loc }
func (n *nameErrorExpr) String() string          { return n.name }

// constExpr is a folded value; each evaluation gets a fresh copy, as the
// Python literal Jinja2 generates makes a new list or dict each time.
type constExpr struct {
	loc *tokens.Token
	v   Value
}

func (c *constExpr) Position() *tokens.Token { return c.loc }
func (c *constExpr) String() string          { return "const" }

// maxFolded bounds the size of a value the folder keeps in a template.
const maxFolded = 4 << 10

// folder evaluates candidate constants within one budget for the whole
// template: once it is spent, nothing more is folded.
type folder struct {
	r *Renderer
}

func newFolder(e *Env) *folder {
	r := e.NewRenderer(nil)
	r.folding = true
	r.top = &frame{}
	r.frame = r.top
	return &folder{r: r}
}

// template folds the constants of a template.
func (f *folder) template(root nodes.Node) {
	walk(root, false, func(n nodes.Node, slot *nodes.Expression, _ bool) bool {
		if o, ok := n.(*nodes.Output); ok {
			// A constant printed by {{ }} is text made at compile time,
			// whatever its value.
			return f.fold(&o.Expression, true)
		}
		return slot == nil || f.fold(slot, false)
	})
}

// expression folds the constants of a bare expression, itself included.
func (f *folder) expression(x *nodes.Expression) {
	walkSlot(*x, x, false, func(_ nodes.Node, slot *nodes.Expression, _ bool) bool {
		return slot == nil || f.fold(slot, false)
	})
}

// fold handles the expression in slot (printed by {{ }} when output); it
// returns whether the walk should look inside it (it is not a constant).
func (f *folder) fold(slot *nodes.Expression, output bool) bool {
	switch (*slot).(type) {
	case *nodes.String, *nodes.Integer, *nodes.Bool, *nodes.None, *nameErrorExpr, *constExpr:
		return false // nothing to fold
	}
	f.r.sliceFolded = false
	v, err := f.r.foldEval(*slot)
	if err != nil || !output && !safeRepr(v, 0) {
		return true
	}
	loc := (*slot).Position()
	if name := undefinedPythonName(v, 0); name != "" && !output {
		*slot = &nameErrorExpr{loc: loc, name: name}
	} else if f.r.sliceFolded && foldedSize(v, 0) <= maxFolded {
		*slot = &constExpr{loc: loc, v: v}
	}
	return false
}

// foldEval evaluates x with names, calls and context filters refused.
func (r *Renderer) foldEval(x nodes.Expression) (v Value, err error) {
	defer r.recover(&err)
	return r.eval(x)
}

// foldedSize estimates the bytes of a folded value.
func foldedSize(v Value, depth int) int {
	if depth > maxValueDepth {
		return maxFolded + 1
	}
	switch v.kind {
	case KindString:
		return len(v.s)
	case KindList, KindTuple:
		n := 0
		for _, it := range v.r.(*List).Items {
			n += valueSize + foldedSize(it, depth+1)
		}
		return n
	case KindDict:
		n := 0
		d := v.r.(*Dict)
		for i, k := range d.keys {
			n += 2*valueSize + foldedSize(k, depth+1) + foldedSize(d.vals[i], depth+1)
		}
		return n
	}
	return valueSize
}

// copyConst is a fresh copy of a folded value: new lists and dicts.
func copyConst(v Value) Value {
	switch v.kind {
	case KindList, KindTuple:
		items := make([]Value, len(v.r.(*List).Items))
		for i, it := range v.r.(*List).Items {
			items[i] = copyConst(it)
		}
		return Value{kind: v.kind, r: &List{Items: items}}
	case KindDict:
		d := v.r.(*Dict)
		c := NewDict(d.Len())
		for i, k := range d.keys {
			_ = c.Set(k, copyConst(d.vals[i]))
		}
		return DictValue(c)
	}
	return v
}

// safeRepr is Jinja2's has_safe_repr for the values the evaluator makes.
func safeRepr(v Value, depth int) bool {
	if depth > maxValueDepth {
		return false
	}
	switch v.kind {
	case KindNone, KindBool, KindInt, KindFloat, KindString, KindComplex:
		return true
	case KindList, KindTuple:
		for _, it := range v.r.(*List).Items {
			if !safeRepr(it, depth+1) {
				return false
			}
		}
		return true
	case KindDict:
		d := v.r.(*Dict)
		for i, k := range d.keys {
			if !safeRepr(k, depth+1) || !safeRepr(d.vals[i], depth+1) {
				return false
			}
		}
		return true
	}
	return false
}

// undefinedPythonName returns the first of inf and nan that repr(v) would
// write as a bare name, or "".
func undefinedPythonName(v Value, depth int) string {
	if depth > maxValueDepth {
		return ""
	}
	name := func(f float64) string {
		switch {
		case math.IsInf(f, 0):
			return "inf"
		case math.IsNaN(f):
			return "nan"
		}
		return ""
	}
	switch v.kind {
	case KindFloat:
		return name(v.FloatVal())
	case KindComplex:
		c := v.complex()
		if n := name(real(c)); n != "" {
			return n
		}
		return name(imag(c))
	case KindList, KindTuple:
		for _, it := range v.r.(*List).Items {
			if n := undefinedPythonName(it, depth+1); n != "" {
				return n
			}
		}
	case KindDict:
		d := v.r.(*Dict)
		for i, k := range d.keys {
			if n := undefinedPythonName(k, depth+1); n != "" {
				return n
			}
			if n := undefinedPythonName(d.vals[i], depth+1); n != "" {
				return n
			}
		}
	}
	return ""
}
