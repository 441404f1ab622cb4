package jinja

import (
	"math"
	"strconv"
	"strings"
)

// Python's operators over template values. Any arithmetic or ordering
// with an Undefined raises UndefinedError, as Jinja2's Undefined does;
// every result is counted against the memory budget before it is built.

func itoa(i int) string { return strconv.Itoa(i) }

// opNames are the Python names of the operators, for messages.
var opNames = map[string]string{"+": "+", "-": "-", "*": "*", "/": "/", "//": "//", "%": "%", "**": "** or pow()"}

func unsupported(op string, a, b Value) error {
	return typeErrorf("unsupported operand type(s) for %s: '%s' and '%s'", opNames[op], a.TypeName(), b.TypeName())
}

func (r *Renderer) binop(op string, a, b Value) (Value, error) {
	if a.kind == KindUndefined {
		return Value{}, undefinedError(a)
	}
	if op == "*" && a.kind == KindString && a.safe && !b.isIntLike() {
		// MarkupSafe 3's Markup.__mul__ is str.__mul__, which raises
		// (no NotImplemented, so an Undefined operand is not asked).
		return Value{}, typeErrorf("'%s' object cannot be interpreted as an integer", b.TypeName())
	}
	if b.kind == KindUndefined && (op != "%" || a.kind != KindString) {
		// str % x formats x with the str's own rules, Undefined too.
		return Value{}, undefinedError(b)
	}
	if a.isNumber() && b.isNumber() {
		return r.arith(op, a, b)
	}
	if (a.kind == KindComplex || b.kind == KindComplex) && a.isComplexOperand() && b.isComplexOperand() {
		return complexArith(op, a, b)
	}
	switch op {
	case "+":
		return r.add(a, b)
	case "*":
		if a.isIntLike() {
			a, b = b, a
		}
		if b.isIntLike() {
			return r.repeat(a, b)
		}
		if (a.kind == KindString || a.isSeq()) && b.kind == KindFloat || (b.kind == KindString || b.isSeq()) && a.kind == KindFloat {
			t := b
			if a.kind == KindFloat {
				t = a
			}
			return Value{}, typeErrorf("can't multiply sequence by non-int of type '%s'", t.TypeName())
		}
	case "%":
		if a.kind == KindString {
			return r.percentFormat(a, b)
		}
	}
	return Value{}, unsupported(op, a, b)
}

func (r *Renderer) add(a, b Value) (Value, error) {
	switch {
	case a.kind == KindString && b.kind == KindString:
		if err := r.alloc(int64(len(a.s) + len(b.s))); err != nil {
			return Value{}, err
		}
		if a.safe || b.safe {
			sa, sb := a.s, b.s
			if !a.safe {
				sa = escapeHTML(sa)
			}
			if !b.safe {
				sb = escapeHTML(sb)
			}
			return Markup(sa + sb), nil
		}
		return String(a.s + b.s), nil
	case a.kind == KindBytes && b.kind == KindBytes:
		if err := r.alloc(int64(len(a.s) + len(b.s))); err != nil {
			return Value{}, err
		}
		return Bytes(a.s + b.s), nil
	case a.kind == KindBytes:
		return Value{}, typeErrorf("can't concat %s to bytes", b.TypeName())
	case a.kind == KindList && b.kind == KindList, a.kind == KindTuple && b.kind == KindTuple:
		x, y := a.r.(*List).Items, b.r.(*List).Items
		if err := r.allocN(int64(len(x)+len(y)), valueSize); err != nil {
			return Value{}, err
		}
		items := make([]Value, 0, len(x)+len(y))
		items = append(append(items, x...), y...)
		if a.kind == KindTuple {
			return NewTuple(items), nil
		}
		return NewList(items), nil
	case a.kind == KindString:
		return Value{}, typeErrorf("can only concatenate str (not \"%s\") to str", b.TypeName())
	case a.kind == KindList:
		return Value{}, typeErrorf("can only concatenate list (not \"%s\") to list", b.TypeName())
	case a.kind == KindTuple:
		return Value{}, typeErrorf("can only concatenate tuple (not \"%s\") to tuple", b.TypeName())
	}
	return Value{}, unsupported("+", a, b)
}

// repeat is seq * n.
func (r *Renderer) repeat(seq, n Value) (Value, error) {
	if seq.kind != KindString && seq.kind != KindBytes && !seq.isSeq() {
		return Value{}, unsupported("*", seq, n)
	}
	count := int64(0)
	if n.isBig() {
		return Value{}, newError(OverflowError, "cannot fit 'int' into an index-sized integer")
	} else if n.i > 0 {
		count = n.i
	}
	if seq.kind == KindString || seq.kind == KindBytes {
		if count > 0 && int64(len(seq.s)) > 0 && count > (r.budget.maxMem-r.budget.mem)/int64(len(seq.s)) {
			return Value{}, r.memoryExceeded()
		}
		if err := r.alloc(count * int64(len(seq.s))); err != nil {
			return Value{}, err
		}
		if err := r.workBytes(int(count) * len(seq.s)); err != nil {
			return Value{}, err
		}
		return Value{kind: seq.kind, s: strings.Repeat(seq.s, int(count)), safe: seq.safe}, nil
	}
	items := seq.r.(*List).Items
	if err := r.allocN(count, int64(len(items))*valueSize); err != nil {
		return Value{}, err
	}
	if err := r.work(int(count) * len(items)); err != nil {
		return Value{}, err
	}
	out := make([]Value, 0, int(count)*len(items))
	for i := int64(0); i < count; i++ {
		out = append(out, items...)
	}
	if seq.kind == KindTuple {
		return NewTuple(out), nil
	}
	return NewList(out), nil
}

// arith is a binary operator over two numbers.
func (r *Renderer) arith(op string, a, b Value) (Value, error) {
	ints := a.kind != KindFloat && b.kind != KindFloat
	if ints {
		switch op {
		case "+":
			return r.intAdd(a, b, false)
		case "-":
			return r.intAdd(a, b, true)
		case "*":
			return r.intMul(a, b)
		case "/":
			return trueDiv(a, b)
		case "//":
			q, _, err := intDivMod(a, b)
			return q, err
		case "%":
			_, m, err := intDivMod(a, b)
			return m, err
		case "**":
			if b.Big().Sign() >= 0 {
				return r.intPow(a, b)
			}
			if a.isIntLike() && !a.isBig() && a.i == 0 {
				return Value{}, newError(ZeroDivisionError, "0.0 cannot be raised to a negative power")
			}
		}
	}
	x, err := toFloat(a)
	if err != nil {
		return Value{}, err
	}
	y, err := toFloat(b)
	if err != nil {
		return Value{}, err
	}
	switch op {
	case "+":
		return Float(x + y), nil
	case "-":
		return Float(x - y), nil
	case "*":
		return Float(x * y), nil
	case "/":
		if y == 0 {
			return Value{}, newError(ZeroDivisionError, "float division by zero")
		}
		return Float(x / y), nil
	case "//":
		q, _, err := floatDivMod(x, y, "float floor division by zero")
		return Float(q), err
	case "%":
		_, m, err := floatDivMod(x, y, "float modulo")
		return Float(m), err
	case "**":
		return floatPow(x, y)
	}
	return Value{}, unsupported(op, a, b)
}

func floatPow(x, y float64) (Value, error) {
	if x == 0 && y < 0 {
		return Value{}, newError(ZeroDivisionError, "0.0 cannot be raised to a negative power")
	}
	if x < 0 && y != math.Trunc(y) && !math.IsInf(y, 0) && !math.IsNaN(y) {
		return complexPow(complex(x, 0), complex(y, 0))
	}
	p := pyPow(x, y)
	if math.IsInf(p, 0) && !math.IsInf(x, 0) && !math.IsInf(y, 0) {
		return Value{}, newError(OverflowError, "(34, 'Numerical result out of range')")
	}
	return Float(p), nil
}

// unary is -v or +v.
func (r *Renderer) unary(neg bool, v Value) (Value, error) {
	switch v.kind {
	case KindUndefined:
		return Value{}, undefinedError(v)
	case KindInt, KindBool:
		if !neg {
			return Value{kind: KindInt, i: v.i, r: v.r}, nil
		}
		return r.intAdd(Int(0), v, true)
	case KindFloat:
		if neg {
			return Float(-v.FloatVal()), nil
		}
		return v, nil
	case KindComplex:
		if neg {
			return Complex(-v.complex()), nil
		}
		return v, nil
	}
	sign := "+"
	if neg {
		sign = "-"
	}
	return Value{}, typeErrorf("bad operand type for unary %s: '%s'", sign, v.TypeName())
}

type cmpResult int

const (
	cmpLess cmpResult = iota - 1
	cmpEqual
	cmpGreater
	cmpUnordered // NaN
)

var cmpSymbols = map[string]string{"lt": "<", "lteq": "<=", "gt": ">", "gteq": ">="}
