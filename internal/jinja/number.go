package jinja

import (
	"math"
	"math/big"
	"math/bits"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Python numbers: ints of any size (int64 fast path, math/big beyond),
// bools as the ints 0 and 1, IEEE floats; mixed int/float arithmetic in
// float; comparisons between ints and floats exact, as Python's are.

// maxIntDigits is Python 3.11's limit on int/str conversions
// (sys.int_info.default_max_str_digits).
const maxIntDigits = 4300

func bigFromFloat(f float64) (*big.Int, bool) {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		return nil, false
	}
	b, _ := new(big.Float).SetFloat64(math.Trunc(f)).Int(nil)
	return b, true
}

// toFloat converts an int, bool or float to float64; a big int too large
// is an OverflowError, as in Python.
func toFloat(v Value) (float64, error) {
	switch v.kind {
	case KindFloat:
		return v.FloatVal(), nil
	case KindInt, KindBool:
		if !v.isBig() {
			return float64(v.i), nil
		}
		f, _ := new(big.Float).SetInt(v.Big()).Float64()
		if math.IsInf(f, 0) {
			return 0, newError(OverflowError, "int too large to convert to float")
		}
		return f, nil
	}
	return 0, typeErrorf("must be real number, not %s", v.TypeName())
}

// intBits is the size of an int's magnitude in bits.
func intBits(v Value) int {
	if !v.isBig() {
		if v.i < 0 {
			return bits.Len64(uint64(-v.i))
		}
		return bits.Len64(uint64(v.i))
	}
	return v.Big().BitLen()
}

// chargeBig counts an int result of about n bits against the memory
// budget before it is computed.
func (r *Renderer) chargeBig(n int) error {
	if n <= 63 {
		return nil
	}
	return r.alloc(int64(n/8) + 8)
}

func (r *Renderer) intAdd(a, b Value, sub bool) (Value, error) {
	if !a.isBig() && !b.isBig() {
		if sub {
			if c := a.i - b.i; (a.i >= 0) == (b.i >= 0) || (c >= 0) == (a.i >= 0) {
				return Int(c), nil
			}
		} else if c := a.i + b.i; (a.i >= 0) != (b.i >= 0) || (c >= 0) == (a.i >= 0) {
			return Int(c), nil
		}
	}
	if err := r.chargeBig(max(intBits(a), intBits(b)) + 1); err != nil {
		return Value{}, err
	}
	if sub {
		return BigInt(new(big.Int).Sub(a.Big(), b.Big())), nil
	}
	return BigInt(new(big.Int).Add(a.Big(), b.Big())), nil
}

func (r *Renderer) intMul(a, b Value) (Value, error) {
	if !a.isBig() && !b.isBig() {
		hi, lo := bits.Mul64(uint64(abs64(a.i)), uint64(abs64(b.i)))
		if hi == 0 && lo <= math.MaxInt64 && a.i != math.MinInt64 && b.i != math.MinInt64 {
			c := int64(lo)
			if (a.i < 0) != (b.i < 0) {
				c = -c
			}
			return Int(c), nil
		}
	}
	if err := r.chargeBig(intBits(a) + intBits(b)); err != nil {
		return Value{}, err
	}
	return BigInt(new(big.Int).Mul(a.Big(), b.Big())), nil
}

func abs64(i int64) int64 {
	if i < 0 {
		return -i
	}
	return i
}

// intDivMod is Python's floor division and modulo of ints.
func intDivMod(a, b Value) (Value, Value, error) {
	if !b.isBig() && b.i == 0 {
		return Value{}, Value{}, newError(ZeroDivisionError, "integer division or modulo by zero")
	}
	if !a.isBig() && !b.isBig() && !(a.i == math.MinInt64 && b.i == -1) {
		q, m := a.i/b.i, a.i%b.i
		if m != 0 && (m < 0) != (b.i < 0) {
			q--
			m += b.i
		}
		return Int(q), Int(m), nil
	}
	q, m := new(big.Int), new(big.Int)
	q.DivMod(a.Big(), b.Big(), m) // Euclidean: m >= 0
	if m.Sign() != 0 && b.Big().Sign() < 0 {
		q.Sub(q, big.NewInt(1))
		m.Add(m, b.Big())
	}
	return BigInt(q), BigInt(m), nil
}

// floatDivMod is Python's float floor division and modulo.
func floatDivMod(vx, wx float64, what string) (float64, float64, error) {
	if wx == 0 {
		return 0, 0, newError(ZeroDivisionError, "%s", what)
	}
	mod := math.Mod(vx, wx)
	div := (vx - mod) / wx
	if mod != 0 {
		if (wx < 0) != (mod < 0) {
			mod += wx
			div -= 1
		}
	} else {
		mod = math.Copysign(0, wx)
	}
	var floordiv float64
	if div != 0 {
		floordiv = math.Floor(div)
		if div-floordiv > 0.5 {
			floordiv++
		}
	} else {
		floordiv = math.Copysign(0, vx/wx)
	}
	return floordiv, mod, nil
}

// trueDiv is Python's / : always a float, correctly rounded for ints.
func trueDiv(a, b Value) (Value, error) {
	if a.isIntLike() && b.isIntLike() {
		if !b.isBig() && b.i == 0 {
			return Value{}, newError(ZeroDivisionError, "division by zero")
		}
		if !a.isBig() && !b.isBig() && abs64(a.i) < 1<<53 && abs64(b.i) < 1<<53 {
			return Float(float64(a.i) / float64(b.i)), nil
		}
		x, y := a.Big(), b.Big()
		f, _ := new(big.Rat).SetFrac(x, y).Float64()
		if f == 0 && (x.Sign() < 0) != (y.Sign() < 0) {
			f = math.Copysign(0, -1) // 0 / -n is -0.0, as a tiny negative quotient
		}
		if math.IsInf(f, 0) {
			return Value{}, newError(OverflowError, "integer division result too large for a float")
		}
		return Float(f), nil
	}
	x, err := toFloat(a)
	if err != nil {
		return Value{}, err
	}
	y, err := toFloat(b)
	if err != nil {
		return Value{}, err
	}
	if y == 0 {
		return Value{}, newError(ZeroDivisionError, "float division by zero")
	}
	return Float(x / y), nil
}

// intPow is int ** int for a non-negative exponent, bounded by the
// memory budget before it is computed.
func (r *Renderer) intPow(a, b Value) (Value, error) {
	if b.isBig() {
		if a.isBig() || (a.i != 0 && a.i != 1 && a.i != -1) {
			return Value{}, r.memoryExceeded()
		}
	}
	if !a.isBig() && (a.i == 0 || a.i == 1) {
		if !b.isBig() && b.i == 0 {
			return Int(1), nil
		}
		return Int(a.i), nil
	}
	if !a.isBig() && a.i == -1 {
		if b.Big().Bit(0) == 0 {
			return Int(1), nil
		}
		return Int(-1), nil
	}
	n := b.i
	abits := int64(intBits(a))
	if abits > 0 && n > (1<<40)/abits {
		return Value{}, r.memoryExceeded()
	}
	if err := r.chargeBig(int(abits * n)); err != nil {
		return Value{}, err
	}
	if err := r.work(int(abits*n/64) + 1); err != nil {
		return Value{}, err
	}
	return BigInt(new(big.Int).Exp(a.Big(), big.NewInt(n), nil)), nil
}

// cmpNum compares two numbers exactly: -1, 0 or 1, and false when one is
// NaN.
func cmpNum(a, b Value) (int, bool) {
	if a.kind != KindFloat && b.kind != KindFloat {
		if !a.isBig() && !b.isBig() {
			switch {
			case a.i < b.i:
				return -1, true
			case a.i > b.i:
				return 1, true
			}
			return 0, true
		}
		return a.Big().Cmp(b.Big()), true
	}
	if a.kind == KindFloat && b.kind == KindFloat {
		x, y := a.FloatVal(), b.FloatVal()
		switch {
		case math.IsNaN(x) || math.IsNaN(y):
			return 0, false
		case x < y:
			return -1, true
		case x > y:
			return 1, true
		}
		return 0, true
	}
	flip := 1
	if a.kind == KindFloat {
		a, b, flip = b, a, -1
	}
	// a is an int, b a float.
	f := b.FloatVal()
	switch {
	case math.IsNaN(f):
		return 0, false
	case math.IsInf(f, 1):
		return -flip, true
	case math.IsInf(f, -1):
		return flip, true
	}
	if !a.isBig() && abs64(a.i) < 1<<53 {
		x := float64(a.i)
		switch {
		case x < f:
			return -flip, true
		case x > f:
			return flip, true
		}
		return 0, true
	}
	bf := new(big.Float).SetPrec(uint(intBits(a)) + 64).SetInt(a.Big())
	return flip * bf.Cmp(new(big.Float).SetFloat64(f)), true
}

// formatInt is str(int), refusing what Python 3.11 refuses.
func formatInt(v Value) (string, error) {
	if !v.isBig() {
		return strconv.FormatInt(v.i, 10), nil
	}
	b := v.Big()
	if b.BitLen() > 14000 { // more than 4214 digits: check exactly
		s := b.String()
		if n := len(strings.TrimPrefix(s, "-")); n > maxIntDigits {
			return "", valueErrorf("Exceeds the limit (%d digits) for integer string conversion; use sys.set_int_max_str_digits() to increase the limit", maxIntDigits)
		}
		return s, nil
	}
	return b.String(), nil
}

// formatFloat is Python's repr(float): the shortest text that reads back
// as f, in fixed notation for exponents -4..15, else as 1.5e+16.
func formatFloat(f float64) string {
	switch {
	case math.IsInf(f, 1):
		return "inf"
	case math.IsInf(f, -1):
		return "-inf"
	case math.IsNaN(f):
		return "nan"
	}
	e := strconv.FormatFloat(f, 'e', -1, 64) // -1.2345e+06
	mant, expStr, _ := strings.Cut(e, "e")
	exp, _ := strconv.Atoi(expStr)
	neg := strings.HasPrefix(mant, "-")
	mant = strings.TrimPrefix(mant, "-")
	digits := strings.Replace(mant, ".", "", 1)
	var out string
	if exp >= -4 && exp < 16 {
		if exp < 0 {
			out = "0." + strings.Repeat("0", -exp-1) + digits
		} else if len(digits) <= exp+1 {
			out = digits + strings.Repeat("0", exp+1-len(digits)) + ".0"
		} else {
			out = digits[:exp+1] + "." + digits[exp+1:]
		}
	} else {
		m := digits[:1]
		if len(digits) > 1 {
			m += "." + digits[1:]
		}
		sign := "+"
		if exp < 0 {
			sign, exp = "-", -exp
		}
		es := strconv.Itoa(exp)
		if len(es) < 2 {
			es = "0" + es
		}
		out = m + "e" + sign + es
	}
	if neg {
		return "-" + out
	}
	return out
}

// parseIntText parses Python's int(text): optional sign, digits with
// single underscores, surrounding white space; base 10.
func parseIntText(s string) (Value, bool) {
	s = asciiDigits(strings.TrimFunc(s, isSpace))
	t := s
	if strings.HasPrefix(t, "+") || strings.HasPrefix(t, "-") {
		t = t[1:]
	}
	if t == "" || t[0] == '_' || t[len(t)-1] == '_' || strings.Contains(t, "__") {
		return Value{}, false
	}
	for _, c := range t {
		if (c < '0' || c > '9') && c != '_' {
			return Value{}, false
		}
	}
	clean := strings.ReplaceAll(s, "_", "")
	if i, err := strconv.ParseInt(clean, 10, 64); err == nil {
		return Int(i), true
	}
	if len(clean) > maxIntDigits+1 {
		return Value{}, false
	}
	b, ok := new(big.Int).SetString(clean, 10)
	if !ok {
		return Value{}, false
	}
	return BigInt(b), true
}

// parseFloatText parses Python's float(text): white space around, inf,
// nan, infinity in any case, underscores between digits.
func parseFloatText(s string) (float64, bool) {
	s = asciiDigits(strings.TrimFunc(s, isSpace))
	low := strings.ToLower(strings.TrimLeft(s, "+-"))
	switch low {
	case "inf", "infinity":
		if strings.HasPrefix(s, "-") {
			return math.Inf(-1), true
		}
		return math.Inf(1), true
	case "nan":
		return math.NaN(), true
	}
	if s == "" || strings.ContainsAny(low, "xpn") || strings.HasPrefix(low, "_") || strings.HasSuffix(low, "_") || strings.Contains(low, "__") {
		return 0, false
	}
	for i := 0; i < len(low); i++ {
		if low[i] == '_' && (i == 0 || !isDigitByte(low[i-1]) || i+1 >= len(low) || !isDigitByte(low[i+1])) {
			return 0, false
		}
	}
	f, err := strconv.ParseFloat(strings.ReplaceAll(s, "_", ""), 64)
	if err != nil {
		if ne, ok := err.(*strconv.NumError); !ok || ne.Err != strconv.ErrRange {
			return 0, false
		}
	}
	return f, true
}

func isDigitByte(c byte) bool { return c >= '0' && c <= '9' }

// asciiDigits replaces Unicode decimal digits (category Nd, such as
// Arabic-Indic ٣) by ASCII ones, as Python's int() and float() read them.
func asciiDigits(s string) string {
	if isASCII(s) {
		return s
	}
	var b strings.Builder
	for _, c := range s {
		if c >= utf8.RuneSelf && pyHas(c, pyDecimal) {
			c = '0' + digitValue(c)
		}
		b.WriteRune(c)
	}
	return b.String()
}

// digitValue is the value of an Nd character: Unicode allocates decimal
// digits in runs of ten, 0 to 9, so it is the offset in its run.
func digitValue(c rune) rune {
	for _, rg := range unicode.Nd.R16 {
		if c >= rune(rg.Lo) && c <= rune(rg.Hi) {
			return (c - rune(rg.Lo)) % 10
		}
	}
	for _, rg := range unicode.Nd.R32 {
		if c >= rune(rg.Lo) && c <= rune(rg.Hi) {
			return (c - rune(rg.Lo)) % 10
		}
	}
	return 0
}
