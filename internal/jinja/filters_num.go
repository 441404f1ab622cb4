package jinja

import (
	"math"
	"math/big"
	"strconv"
	"strings"
)

// The number filters: int, round.

// filterInt is Jinja2's int(value, default=0, base=10).
func filterInt(r *Renderer, v Value, a []Value) (Value, error) {
	def, base := a[0], a[1]
	switch v.kind {
	case KindUndefined:
		return Value{}, undefinedError(v)
	case KindInt, KindBool:
		return Value{kind: KindInt, i: v.i, r: v.r}, nil
	case KindFloat:
		f := v.FloatVal()
		if math.IsInf(f, 0) {
			return Value{}, newError(OverflowError, "cannot convert float infinity to integer")
		}
		if math.IsNaN(f) {
			return def, nil
		}
		b, _ := bigFromFloat(f)
		return BigInt(b), nil
	case KindString:
		// int(value, base) failing (a bad base is a TypeError) falls
		// back to int(float(value)), then to the default, as do_int does.
		b, ok := asIndex(base)
		if !base.isIntLike() {
			// int(value, base) fails with a TypeError, caught.
		} else if ok && b == 10 {
			if n, ok := parseIntText(v.s); ok {
				return n, nil
			}
		} else if n, ok := parseIntBase(v.s, b); ok {
			return n, nil
		}
		// int(float('inf')) raises OverflowError, which the fallback
		// catches since Jinja2 3.1.5: the default.
		if f, ok := parseFloatText(v.s); ok && !math.IsInf(f, 0) && !math.IsNaN(f) {
			n, _ := bigFromFloat(f)
			return BigInt(n), nil
		}
	}
	return def, nil
}

// parseIntBase is Python's int(text, base) for bases other than 10.
func parseIntBase(s string, base int64) (Value, bool) {
	s = asciiDigits(strings.TrimFunc(s, isSpace))
	neg := false
	if strings.HasPrefix(s, "-") || strings.HasPrefix(s, "+") {
		neg = s[0] == '-'
		s = s[1:]
	}
	low := strings.ToLower(s)
	prefixes := map[int64]string{2: "0b", 8: "0o", 16: "0x"}
	if base == 0 {
		base = 10
		for b, p := range prefixes {
			if strings.HasPrefix(low, p) {
				base = b
			}
		}
		if base == 10 && len(low) > 1 && low[0] == '0' && strings.Trim(low, "0_") != "" {
			return Value{}, false
		}
	}
	if p, ok := prefixes[base]; ok {
		low = strings.TrimPrefix(low, p)
		low = strings.TrimPrefix(low, "_")
	}
	if base < 2 || base > 36 || low == "" || strings.HasPrefix(low, "_") || strings.HasSuffix(low, "_") || strings.Contains(low, "__") {
		return Value{}, false
	}
	n, ok := new(big.Int).SetString(strings.ReplaceAll(low, "_", ""), int(base))
	if !ok {
		return Value{}, false
	}
	if neg {
		n.Neg(n)
	}
	return BigInt(n), true
}

// filterRound is Jinja2's round(value, precision=0, method='common'):
// Python's round() (half to even on the exact binary value; an int stays
// an int) or math.ceil / math.floor of value * 10**precision.
func filterRound(r *Renderer, v Value, a []Value) (Value, error) {
	method := a[1]
	if _, err := keyOf(method); err != nil {
		return Value{}, err // method in {...}: unhashable
	}
	if method.kind != KindString || method.s != "common" && method.s != "ceil" && method.s != "floor" {
		return Value{}, newError(FilterArgError, "method must be common, ceil or floor")
	}
	if a[0].kind == KindNone && method.s == "common" {
		// round(value, None) is round(value): an int.
		if v.isIntLike() {
			return Value{kind: KindInt, i: v.i, r: v.r}, nil
		}
		if v.kind == KindFloat {
			f := roundFloat(v.FloatVal(), 0)
			if math.IsInf(f, 0) || math.IsNaN(f) {
				return Value{}, valueErrorf("cannot convert float %s to integer", formatFloat(f))
			}
			b, _ := bigFromFloat(f)
			return BigInt(b), nil
		}
	}
	if v.kind == KindUndefined && method.s != "common" {
		return Value{}, undefinedError(v) // value * 10**precision
	}
	if !v.isNumber() {
		return Value{}, typeErrorf("type %s doesn't define __round__ method", v.TypeName())
	}
	if !a[0].isIntLike() {
		return Value{}, typeErrorf("'%s' object cannot be interpreted as an integer", a[0].TypeName())
	}
	prec, _ := asIndex(a[0])
	if prec > 1000 {
		prec = 1000
	} else if prec < -1000 {
		prec = -1000
	}
	if method.s == "common" {
		if v.isIntLike() {
			return BigInt(roundInt(v.Big(), int(prec))), nil
		}
		return Float(roundFloat(v.FloatVal(), int(prec))), nil
	}
	f, err := roundCeilFloor(v, int(prec), method.s == "ceil")
	return Float(f), err
}

func pow10(n int) *big.Int { return new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(n)), nil) }

// roundInt is Python's round(int, ndigits).
func roundInt(n *big.Int, prec int) *big.Int {
	if prec >= 0 {
		return n
	}
	p := pow10(-prec)
	q, rem := new(big.Int).DivMod(n, p, new(big.Int))
	switch c := new(big.Int).Lsh(rem, 1).Cmp(p); {
	case c > 0, c == 0 && q.Bit(0) == 1:
		q.Add(q, big.NewInt(1))
	}
	return q.Mul(q, p)
}

// roundFloat is Python's round(float, ndigits): the float nearest to f
// rounded half to even at ndigits decimals. With ndigits >= 0 that is
// strconv's 'f' formatting (exact, half to even, as CPython's dtoa mode
// 3) read back; below, exact rational arithmetic (roundFloatRat).
func roundFloat(f float64, prec int) float64 {
	switch {
	case math.IsNaN(f) || math.IsInf(f, 0) || prec > 323:
		return f
	case prec < -308:
		return math.Copysign(0, f)
	case prec >= 0:
		var buf [64]byte
		out, err := strconv.ParseFloat(string(strconv.AppendFloat(buf[:0], f, 'f', prec, 64)), 64)
		if err != nil || out == 0 {
			return math.Copysign(out, f)
		}
		return out
	}
	return roundFloatRat(f, prec)
}

// roundFloatRat is roundFloat in exact rational arithmetic, for any
// ndigits.
func roundFloatRat(f float64, prec int) float64 {
	x := new(big.Rat).SetFloat64(f)
	scale := new(big.Rat).SetInt(pow10(absInt(prec)))
	if prec >= 0 {
		x.Mul(x, scale)
	} else {
		x.Quo(x, scale)
	}
	q, rem := new(big.Int).DivMod(x.Num(), x.Denom(), new(big.Int))
	switch c := new(big.Int).Lsh(rem, 1).Cmp(x.Denom()); {
	case c > 0, c == 0 && q.Bit(0) == 1:
		q.Add(q, big.NewInt(1))
	}
	y := new(big.Rat).SetInt(q)
	if prec >= 0 {
		y.Quo(y, scale)
	} else {
		y.Mul(y, scale)
	}
	out, _ := y.Float64()
	if out == 0 {
		return math.Copysign(0, f)
	}
	return out
}

func absInt(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

// roundCeilFloor is math.ceil/floor(value * 10**precision) / 10**precision.
func roundCeilFloor(v Value, prec int, ceil bool) (float64, error) {
	op := math.Floor
	if ceil {
		op = math.Ceil
	}
	if prec < 0 {
		p := math.Pow(10, float64(prec))
		f, err := toFloat(v)
		if err != nil {
			return 0, err
		}
		y := f * p
		if math.IsInf(y, 0) || math.IsNaN(y) {
			return 0, valueErrorf("cannot convert float %s to integer", formatFloat(y))
		}
		if p == 0 {
			return 0, newError(ZeroDivisionError, "float division by zero")
		}
		return (op(y) + 0) / p, nil
	}
	p := pow10(prec)
	var k *big.Int
	if v.isIntLike() {
		k = new(big.Int).Mul(v.Big(), p)
	} else {
		pf, _ := new(big.Float).SetInt(p).Float64()
		if math.IsInf(pf, 0) {
			return 0, newError(OverflowError, "int too large to convert to float")
		}
		y := v.FloatVal() * pf
		if math.IsInf(y, 0) || math.IsNaN(y) {
			return 0, valueErrorf("cannot convert float %s to integer", formatFloat(y))
		}
		k, _ = new(big.Float).SetFloat64(op(y)).Int(nil)
	}
	out, _ := new(big.Rat).SetFrac(k, p).Float64()
	return out, nil
}
