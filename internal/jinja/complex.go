package jinja

import (
	"math"
	"strings"
)

// Python's complex numbers, which templates meet only one way: a float
// power with a negative base and a fractional exponent, (-8) ** 0.5. They
// print, compare for equality, hash, and take part in + - * / ** with
// other numbers as in CPython; ordering, // and % are TypeErrors.

// Complex returns a complex value.
func Complex(c complex128) Value { return Value{kind: KindComplex, r: c} }

func (v Value) complex() complex128 {
	switch v.kind {
	case KindComplex:
		return v.r.(complex128)
	case KindFloat:
		return complex(v.FloatVal(), 0)
	}
	f, _ := toFloat(v)
	return complex(f, 0)
}

// isComplexOperand reports whether v can meet a complex in arithmetic.
func (v Value) isComplexOperand() bool { return v.isNumber() || v.kind == KindComplex }

// complexRepr is CPython's complex_repr: "1j", "(1+2j)", "(-0+1j)", with
// the parts in repr form without a trailing ".0".
func complexRepr(c complex128) string {
	part := func(f float64) string { return strings.TrimSuffix(formatFloat(f), ".0") }
	re, im := real(c), imag(c)
	if re == 0 && !math.Signbit(re) {
		return part(im) + "j"
	}
	sign := "+"
	if math.Signbit(im) && !math.IsNaN(im) {
		sign = "" // part(im) starts with "-"
	}
	return "(" + part(re) + sign + part(im) + "j)"
}

// complexArith is op over two numbers at least one of which is complex.
func complexArith(op string, a, b Value) (Value, error) {
	x, y := a.complex(), b.complex()
	switch op {
	case "+":
		return Complex(x + y), nil
	case "-":
		return Complex(x - y), nil
	case "*":
		return Complex(x * y), nil
	case "/":
		if y == 0 {
			return Value{}, newError(ZeroDivisionError, "complex division by zero")
		}
		return Complex(x / y), nil
	case "**":
		return complexPow(x, y)
	}
	return Value{}, unsupported(op, a, b)
}

// complexPow is CPython's c_pow.
func complexPow(a, b complex128) (Value, error) {
	switch {
	case b == 0:
		return Complex(1), nil
	case a == 0:
		if imag(b) != 0 || real(b) < 0 {
			return Value{}, newError(ZeroDivisionError, "0.0 to a negative or complex power")
		}
		return Complex(0), nil
	}
	vabs := math.Hypot(real(a), imag(a))
	length := pyPow(vabs, real(b))
	at := math.Atan2(imag(a), real(a))
	phase := at * real(b)
	if imag(b) != 0 {
		length /= math.Exp(at * imag(b))
		phase += imag(b) * math.Log(vabs)
	}
	sin, cos := sincos(phase)
	return Complex(complex(length*cos, length*sin)), nil
}

// sincos is sin and cos with the argument reduced modulo pi/2 in extra
// precision (fdlibm's __ieee754_rem_pio2 for medium arguments), as the C
// library behind CPython does; Go's math.Sin and math.Cos lose the last
// digits near multiples of pi/2, where the result is tiny.
func sincos(x float64) (sin, cos float64) {
	if math.IsNaN(x) || math.IsInf(x, 0) || math.Abs(x) > 1<<19 {
		return math.Sin(x), math.Cos(x)
	}
	const (
		invpio2 = 6.36619772367581382433e-01
		pio2_1  = 1.57079632673412561417e+00
		pio2_2  = 6.07710050630396597660e-11
		pio2_3  = 2.02226624871116645580e-21
		pio2_3t = 8.47842766036889956997e-32
	)
	// pi/2 = pio2_1 + pio2_2 + pio2_3 + pio2_3t, the first three with 33
	// bits each, so fn * pio2_k is exact for |fn| < 2^20.
	fn := math.RoundToEven(x * invpio2)
	r := ddAdd(dd{x - fn*pio2_1, 0}, dd{-fn * pio2_2, 0})
	r = ddAdd(r, dd{-fn * pio2_3, 0})
	r = ddAdd(r, dd{-fn * pio2_3t, 0})
	s, c := ddSinCos(r)
	switch int64(fn) & 3 {
	case 0:
		return s, c
	case 1:
		return c, -s
	case 2:
		return -s, -c
	}
	return -c, s
}

// ddSinCos is sin and cos of |r| <= pi/4 by their Taylor series in
// double-double, rounded once.
func ddSinCos(r dd) (float64, float64) {
	r2 := ddMul(r, r)
	const terms = 15
	sin, cos := dd{1, 0}, dd{1, 0}
	for n := terms; n >= 1; n-- {
		// sin/r = 1 - r2/(2*3) (1 - r2/(4*5) (...)); cos likewise with (2n-1)(2n).
		sin = ddAdd(dd{1, 0}, ddMulF(ddDiv(ddMul(r2, sin), dd{float64((2 * n) * (2*n + 1)), 0}), -1))
		cos = ddAdd(dd{1, 0}, ddMulF(ddDiv(ddMul(r2, cos), dd{float64((2*n - 1) * (2 * n)), 0}), -1))
	}
	sin = ddMul(sin, r)
	return sin.hi + sin.lo, cos.hi + cos.lo
}
