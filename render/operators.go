package render

import (
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"strings"
	"unsafe"

	"github.com/nikolalohinski/gonja/v2/exec"
	"github.com/nikolalohinski/gonja/v2/nodes"
	"github.com/nikolalohinski/gonja/v2/tokens"
)

// gonja evaluates `*`, `+` and `~` by building the whole result first
// ('x' * 100000000000 allocates 100 GB before any budget sees it). At
// compile time, guardOperators rewrites every such binary expression into
// a call of a private filter with the same meaning that checks the size
// of the result before it builds it.

// Filter names of the checked operators; templates cannot spell them
// (a filter name is an identifier, these start with a digit-free prefix
// nobody writes by accident, and calling them directly is harmless).
const (
	mulFilter    = "__hookworker_mul"
	addFilter    = "__hookworker_add"
	concatFilter = "__hookworker_concat"
)

// maxListItems bounds a list built by `+`.
const maxListItems = 100_000

// errOperandSize is an output-limit error: the operator's result would
// exceed what one render may write.
var errOperandSize = fmt.Errorf("%w: operator result", ErrOutputLimit)

// guardOperators rewrites the operators in the tree under root.
func guardOperators(root any) {
	rewrite(reflect.ValueOf(root), map[uintptr]bool{}, 0)
}

var (
	binaryType = reflect.TypeFor[*nodes.BinaryExpression]()
	exprType   = reflect.TypeFor[nodes.Expression]()
	nodeType   = reflect.TypeFor[nodes.Node]()
)

func rewrite(v reflect.Value, seen map[uintptr]bool, depth int) {
	if depth > 400 || !v.IsValid() {
		return
	}
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() || seen[v.Pointer()] {
			return
		}
		seen[v.Pointer()] = true
		rewrite(v.Elem(), seen, depth+1)
	case reflect.Interface:
		if v.IsNil() {
			return
		}
		inner := v.Elem()
		rewrite(inner, seen, depth+1)
		if inner.Type() == binaryType && v.CanSet() && (v.Type() == exprType || v.Type() == nodeType) {
			if r := guarded(inner.Interface().(*nodes.BinaryExpression)); r != nil {
				v.Set(reflect.ValueOf(r))
			}
		}
	case reflect.Struct:
		for i := range v.NumField() {
			f := v.Field(i)
			if !f.CanSet() && f.CanAddr() {
				// gonja keeps the expressions of statements such as
				// {% set %} in unexported fields: reach them as the
				// package itself would (gonja is pinned in go.mod, and the
				// sandbox tests fail if this stops finding them).
				f = reflect.NewAt(f.Type(), unsafe.Pointer(f.UnsafeAddr())).Elem()
			}
			rewrite(f, seen, depth+1)
		}
	case reflect.Slice, reflect.Array:
		for i := range v.Len() {
			rewrite(v.Index(i), seen, depth+1)
		}
	case reflect.Map:
		// Map values are not addressable: rebuild entries that change.
		it := v.MapRange()
		for it.Next() {
			val := it.Value()
			if val.Kind() == reflect.Interface && !val.IsNil() {
				cp := reflect.New(val.Type()).Elem()
				cp.Set(val)
				rewrite(cp, seen, depth+1)
				if cp.Interface() != val.Interface() {
					v.SetMapIndex(it.Key(), cp)
				}
			} else {
				rewrite(val, seen, depth+1)
			}
		}
	}
}

// guarded returns the checked form of a size-growing operator, or nil.
func guarded(b *nodes.BinaryExpression) nodes.Expression {
	if b.Operator == nil || b.Operator.Token == nil {
		return nil
	}
	var name string
	switch b.Operator.Token.Type {
	case tokens.Multiply:
		name = mulFilter
	case tokens.Addition:
		name = addFilter
	case tokens.Tilde:
		name = concatFilter
	default:
		return nil
	}
	return &nodes.FilteredExpression{
		Expression: b.Left,
		Filters:    []*nodes.FilterCall{{Token: b.Operator.Token, Name: name, Args: []nodes.Expression{b.Right}}},
	}
}

// operatorFilters implements the checked operators with gonja's meaning.
func operatorFilters(max int) map[string]exec.FilterFunction {
	right := func(p *exec.VarArgs) (*exec.Value, error) {
		if len(p.Args) != 1 {
			return nil, errors.New("operator needs two operands")
		}
		return p.Args[0], nil
	}
	fail := func(err error) *exec.Value { return exec.AsValue(err) }
	return map[string]exec.FilterFunction{
		mulFilter: func(_ *exec.Evaluator, left *exec.Value, p *exec.VarArgs) *exec.Value {
			r, err := right(p)
			if err != nil {
				return fail(err)
			}
			switch {
			case left.IsFloat() || r.IsFloat():
				return exec.AsValue(left.Float() * r.Float())
			case left.IsString():
				n := r.Integer()
				if n <= 0 {
					return exec.AsValue("")
				}
				s := left.String()
				if len(s) > 0 && n > max/len(s) {
					return fail(fmt.Errorf("%w: %d × %d bytes", errOperandSize, n, len(s)))
				}
				return exec.AsValue(strings.Repeat(s, n))
			}
			return exec.AsValue(left.Integer() * r.Integer())
		},
		addFilter: func(_ *exec.Evaluator, left *exec.Value, p *exec.VarArgs) *exec.Value {
			r, err := right(p)
			if err != nil {
				return fail(err)
			}
			switch {
			case left.IsList():
				if !r.IsList() {
					return fail(fmt.Errorf("unable to concatenate list to %s", r.String()))
				}
				if left.Len()+r.Len() > maxListItems {
					return fail(fmt.Errorf("%w: a list of %d items", errOperandSize, left.Len()+r.Len()))
				}
				out := make([]any, 0, left.Len()+r.Len())
				for _, l := range []*exec.Value{left, r} {
					for i := range l.Len() {
						out = append(out, l.Index(i).Interface())
					}
				}
				return exec.AsValue(out)
			case left.IsFloat() || r.IsFloat():
				return exec.AsValue(left.Float() + r.Float())
			case left.IsString() || r.IsString():
				return concat(left.String(), r.String(), max)
			}
			return exec.AsValue(left.Integer() + r.Integer())
		},
		concatFilter: func(_ *exec.Evaluator, left *exec.Value, p *exec.VarArgs) *exec.Value {
			r, err := right(p)
			if err != nil {
				return fail(err)
			}
			return concat(left.String(), r.String(), max)
		},
	}
}

func concat(a, b string, max int) *exec.Value {
	if len(a)+len(b) > max {
		return exec.AsValue(fmt.Errorf("%w: %d bytes", errOperandSize, len(a)+len(b)))
	}
	return exec.AsValue(a + b)
}

// operatorCall matches how gonja prints a failed call of a checked
// operator, so that errors read as the operator the template wrote.
var operatorCall = regexp.MustCompile(`unable to evaluate filter &\{<Token\[\w+\] Val='([^']*)'[^}]*\}: invalid call to filter '__hookworker_\w+': `)

// cleanOperatorErrors rewrites gonja's rendering of a checked operator.
func cleanOperatorErrors(msg string) string {
	if !strings.Contains(msg, "__hookworker_") {
		return msg
	}
	msg = operatorCall.ReplaceAllString(msg, "operator $1: ")
	return strings.ReplaceAll(msg, "filtered_expression(", "(")
}

// capWidths wraps filters whose numeric arguments set the size of their
// result (center(10000000000), indent(width=...), wordwrap, format's
// "%999999999s") so that such a size over max is an error, not an
// allocation.
func capWidths(fs *exec.FilterSet, max int) {
	if orig, ok := fs.Get("replace"); ok {
		_ = fs.Replace("replace", func(e *exec.Evaluator, in *exec.Value, p *exec.VarArgs) *exec.Value {
			if len(p.Args) >= 2 {
				s, old, repl := in.String(), p.Args[0].String(), p.Args[1].String()
				if n := strings.Count(s, old); len(repl) > len(old) && len(s)+n*(len(repl)-len(old)) > max {
					return exec.AsValue(fmt.Errorf("%w: replace", errOperandSize))
				}
			}
			return orig(e, in, p)
		})
	}
	for _, name := range []string{"center", "indent", "wordwrap", "format"} {
		orig, ok := fs.Get(name)
		if !ok {
			continue
		}
		_ = fs.Replace(name, func(e *exec.Evaluator, in *exec.Value, p *exec.VarArgs) *exec.Value {
			if name == "format" {
				// The arguments are values; the widths are in the format.
				for _, m := range formatWidth.FindAllStringSubmatch(in.String(), -1) {
					if len(m[1]) > 7 { // 10,000,000 or more
						return exec.AsValue(fmt.Errorf("%w: format width %s", errOperandSize, m[1]))
					}
				}
				return orig(e, in, p)
			}
			for _, a := range p.Args {
				if a.IsInteger() && a.Integer() > max {
					return exec.AsValue(fmt.Errorf("%w: %s(%d)", errOperandSize, name, a.Integer()))
				}
			}
			for _, a := range p.KwArgs {
				if a.IsInteger() && a.Integer() > max {
					return exec.AsValue(fmt.Errorf("%w: %s(%d)", errOperandSize, name, a.Integer()))
				}
			}
			return orig(e, in, p)
		})
	}
}

// formatWidth finds the widths and precisions of %-format specifiers.
var formatWidth = regexp.MustCompile(`%[-+ #0]*(?:\(\w*\))?[-+ #0]*(\d+)`)
