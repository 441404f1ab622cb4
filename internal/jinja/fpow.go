package jinja

import "math"

// pyPow is C's pow(x, y) as CPython's float ** uses it, correctly rounded
// in practice: exp(y * log(x)) evaluated in double-double arithmetic
// (about 100 bits) and rounded once. Go's math.Pow multiplies by repeated
// squaring and is off by an ulp often enough to show: (x / 31) ** -2
// printing 961.0000000000001 where Python prints 961.0.
func pyPow(x, y float64) float64 {
	switch {
	case y == 0 || x == 1:
		return 1
	case math.IsNaN(x) || math.IsNaN(y) || math.IsInf(x, 0) || math.IsInf(y, 0) || x == 0:
		return math.Pow(x, y)
	case y == 1:
		return x
	}
	neg := false
	if x < 0 {
		// Only integer exponents get here (the caller makes a complex
		// otherwise); an odd one keeps the sign.
		x = -x
		neg = math.Mod(y, 2) != 0
	}
	var r float64
	if y == 0.5 {
		r = math.Sqrt(x)
	} else {
		r = ddExp(ddMulF(ddLog(x), y))
	}
	if neg {
		return -r
	}
	return r
}

// dd is a double-double: the unevaluated sum hi + lo, |lo| <= ulp(hi)/2.
type dd struct{ hi, lo float64 }

func twoSum(a, b float64) (float64, float64) {
	s := a + b
	bb := s - a
	return s, (a - (s - bb)) + (b - bb)
}

func quickTwoSum(a, b float64) dd {
	s := a + b
	return dd{s, b - (s - a)}
}

func ddAdd(a, b dd) dd {
	s, e := twoSum(a.hi, b.hi)
	return quickTwoSum(s, e+a.lo+b.lo)
}

func ddMul(a, b dd) dd {
	p := a.hi * b.hi
	e := math.FMA(a.hi, b.hi, -p)
	return quickTwoSum(p, e+a.hi*b.lo+a.lo*b.hi)
}

func ddMulF(a dd, b float64) dd {
	p := a.hi * b
	e := math.FMA(a.hi, b, -p)
	return quickTwoSum(p, e+a.lo*b)
}

func ddDiv(a, b dd) dd {
	q1 := a.hi / b.hi
	r := ddAdd(a, ddMulF(b, -q1))
	q2 := r.hi / b.hi
	r = ddAdd(r, ddMulF(b, -q2))
	q3 := r.hi / b.hi
	return ddAdd(quickTwoSum(q1, q2), dd{q3, 0})
}

var ddLn2 = dd{6.93147180559945286227e-01, 2.31904681384629955842e-17}

// ddLog is log(x) for a finite x > 0: x = m * 2^e with m near 1, log(m) =
// 2 atanh((m-1)/(m+1)) by its series.
func ddLog(x float64) dd {
	m, e := math.Frexp(x)
	if m < math.Sqrt2/2 {
		m *= 2
		e--
	}
	num := dd{m - 1, 0} // exact: m is in [0.7, 1.42)
	hi, lo := twoSum(m, 1)
	s := ddDiv(num, dd{hi, lo})
	s2 := ddMul(s, s)
	const terms = 24
	t := ddDiv(dd{1, 0}, dd{2*terms + 1, 0})
	for k := terms - 1; k >= 0; k-- {
		t = ddAdd(ddMul(t, s2), ddDiv(dd{1, 0}, dd{float64(2*k + 1), 0}))
	}
	logm := ddMulF(ddMul(s, t), 2)
	return ddAdd(ddMulF(ddLn2, float64(e)), logm)
}

// ddExp is exp(z) rounded to a float64: z = k ln2 + r, exp(r) from the
// Taylor series of expm1(r / 2^10) squared ten times.
func ddExp(z dd) float64 {
	switch {
	case z.hi > 710:
		return math.Inf(1)
	case z.hi < -746:
		return 0
	}
	k := math.RoundToEven(z.hi / ddLn2.hi)
	r := ddAdd(z, ddMulF(ddLn2, -k))
	const squarings = 10
	r = dd{r.hi / (1 << squarings), r.lo / (1 << squarings)}
	// expm1(r) = r + r^2/2! + ... by Horner.
	const terms = 14
	p := dd{0, 0}
	for n := terms; n >= 1; n-- {
		p = ddMul(ddAdd(p, dd{1, 0}), ddDiv(r, dd{float64(n), 0}))
	}
	for range squarings {
		p = ddAdd(ddMulF(p, 2), ddMul(p, p))
	}
	one := ddAdd(dd{1, 0}, p)
	return math.Ldexp(one.hi+one.lo, int(k))
}
