package render

import (
	"errors"
	"fmt"
	"math"
	"math/big"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/nikolalohinski/gonja/v2/exec"
	"golang.org/x/text/cases"
	"golang.org/x/text/language"
)

// This file replaces gonja filters whose output differs from Jinja2's
// (measured against Jinja2 3.1 in testdata/parity). Each filter follows the
// Jinja2 source: Python's types (int, float, str, list, dict), Python's
// printing and Python's errors, which become render errors.
//
// gonja has one nil for a missing variable and for JSON null; where Jinja2
// prints them differently ("" for a missing one, "None" for None) these
// filters print nil as "", as {{ x }} does.

// installParityFilters replaces gonja filters whose output differs from
// Jinja2's.
func installParityFilters(fs *exec.FilterSet) {
	for name, fn := range map[string]exec.FilterFunction{
		"format":    filterFormat,
		"lower":     filterLower,
		"max":       filterMinMax(true),
		"min":       filterMinMax(false),
		"round":     filterRound,
		"sum":       filterSum,
		"tojson":    filterToJSON,
		"upper":     filterUpper,
		"urlencode": filterURLEncode,
		"wordcount": filterWordcount,
	} {
		if err := fs.Replace(name, fn); err != nil {
			panic(err) // a gonja upgrade dropped the filter
		}
	}
}

// ---------------------------------------------------------------- values

// pyKind is the Python type a Go value stands for.
type pyKind int

const (
	kindNone pyKind = iota
	kindBool
	kindInt
	kindFloat
	kindStr
	kindList
	kindDict
	kindOther
)

var (
	typeValue      = reflect.TypeFor[exec.Value]()
	typeReflectVal = reflect.TypeFor[reflect.Value]()
)

// resolve strips *exec.Value, reflect.Value, interfaces and pointers. An
// invalid result stands for None.
func resolve(x any) reflect.Value {
	var rv reflect.Value
	switch t := x.(type) {
	case *exec.Value:
		if t == nil {
			return reflect.Value{}
		}
		rv = t.Val
	case reflect.Value:
		rv = t
	default:
		rv = reflect.ValueOf(x)
	}
	for range 100 {
		if !rv.IsValid() {
			return rv
		}
		switch {
		case rv.Kind() == reflect.Interface || rv.Kind() == reflect.Pointer:
			if rv.IsNil() {
				return reflect.Value{}
			}
			rv = rv.Elem()
		case rv.Type() == typeValue && rv.CanInterface():
			v := rv.Interface().(exec.Value)
			rv = v.Val
		case rv.Type() == typeReflectVal && rv.CanInterface():
			rv = rv.Interface().(reflect.Value)
		default:
			return rv
		}
	}
	return reflect.Value{}
}

// kindOf classifies a resolved value.
func kindOf(rv reflect.Value) pyKind {
	if !rv.IsValid() {
		return kindNone
	}
	switch rv.Kind() {
	case reflect.Bool:
		return kindBool
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return kindInt
	case reflect.Float32, reflect.Float64:
		return kindFloat
	case reflect.String:
		return kindStr
	case reflect.Slice, reflect.Array:
		return kindList
	case reflect.Map:
		return kindDict
	case reflect.Struct:
		if rv.Type() == exec.TypeDict {
			return kindDict
		}
	}
	return kindOther
}

// typeName is the Python name of a value's type, for error messages.
func typeName(rv reflect.Value) string {
	switch kindOf(rv) {
	case kindNone:
		return "NoneType"
	case kindBool:
		return "bool"
	case kindInt:
		return "int"
	case kindFloat:
		return "float"
	case kindStr:
		return "str"
	case kindList:
		return "list"
	case kindDict:
		return "dict"
	}
	return rv.Type().String()
}

// isNumber reports whether rv is a bool, an int or a float.
func isNumber(rv reflect.Value) bool {
	k := kindOf(rv)
	return k == kindBool || k == kindInt || k == kindFloat
}

// bigInt returns a bool or an int as a big.Int.
func bigInt(rv reflect.Value) (*big.Int, bool) {
	switch rv.Kind() {
	case reflect.Bool:
		if rv.Bool() {
			return big.NewInt(1), true
		}
		return big.NewInt(0), true
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return big.NewInt(rv.Int()), true
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return new(big.Int).SetUint64(rv.Uint()), true
	}
	return nil, false
}

// toFloat returns a bool, an int or a float as a float64 (Python float()).
func toFloat(rv reflect.Value) (float64, bool) {
	switch kindOf(rv) {
	case kindFloat:
		return rv.Float(), true
	case kindBool, kindInt:
		n, _ := bigInt(rv)
		f, _ := new(big.Float).SetInt(n).Float64()
		return f, true
	}
	return 0, false
}

// intValue turns a Python int back into a Go value: int64 when it fits,
// else uint64, else (beyond 2^64) the nearest float64.
func intValue(n *big.Int) any {
	if n.IsInt64() {
		return n.Int64()
	}
	if n.IsUint64() {
		return n.Uint64()
	}
	f, _ := new(big.Float).SetInt(n).Float64()
	return f
}

// pow10 returns 10**n for n >= 0.
func pow10(n int) *big.Int {
	return new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(n)), nil)
}

// pyString is Python's str() of a value; nil prints as "" (see the top of
// this file).
func pyString(rv reflect.Value) string {
	if !rv.IsValid() {
		return ""
	}
	switch {
	case rv.Type() == exec.TypeDict && rv.CanInterface():
		d := rv.Interface().(exec.Dict)
		return d.String()
	case kindOf(rv) == kindFloat:
		return floatRepr(rv.Float())
	}
	return exec.ToValue(rv).String()
}

// pyRepr is Python's repr() of a value. Strings are quoted the Python way;
// other values print as gonja prints them.
func pyRepr(rv reflect.Value, asciiOnly bool) string {
	switch kindOf(rv) {
	case kindNone:
		return "None"
	case kindStr:
		return quoteRepr(rv.String(), asciiOnly)
	}
	s := pyString(rv)
	if asciiOnly {
		return asciiEscape(s)
	}
	return s
}

// quoteRepr is Python's repr() of a str.
func quoteRepr(s string, asciiOnly bool) string {
	quote := byte('\'')
	if strings.IndexByte(s, '\'') >= 0 && strings.IndexByte(s, '"') < 0 {
		quote = '"'
	}
	var b strings.Builder
	b.WriteByte(quote)
	for _, r := range s {
		switch {
		case r == '\\' || r == rune(quote):
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, `\x%02x`, r)
		case r < 0x7f || !asciiOnly && unicode.IsPrint(r):
			b.WriteRune(r)
		default:
			writeRuneEscape(&b, r)
		}
	}
	b.WriteByte(quote)
	return b.String()
}

// asciiEscape escapes the non-ASCII runes of s as ascii() does.
func asciiEscape(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r < utf8.RuneSelf {
			b.WriteRune(r)
		} else {
			writeRuneEscape(&b, r)
		}
	}
	return b.String()
}

func writeRuneEscape(b *strings.Builder, r rune) {
	switch {
	case r < 0x100:
		fmt.Fprintf(b, `\x%02x`, r)
	case r < 0x10000:
		fmt.Fprintf(b, `\u%04x`, r)
	default:
		fmt.Fprintf(b, `\U%08x`, r)
	}
}

// iterate lists what a Python for loop over rv yields: the items of a list,
// the keys of a dict (in gonja's order), the characters of a string. nil
// (a missing variable) is empty.
func iterate(rv reflect.Value) ([]reflect.Value, error) {
	switch kindOf(rv) {
	case kindNone:
		return nil, nil
	case kindStr:
		var out []reflect.Value
		for _, r := range rv.String() {
			out = append(out, reflect.ValueOf(string(r)))
		}
		return out, nil
	case kindList:
		out := make([]reflect.Value, rv.Len())
		for i := range out {
			out[i] = resolve(rv.Index(i))
		}
		return out, nil
	case kindDict:
		var out []reflect.Value
		for _, k := range exec.ToValue(rv).Keys() {
			out = append(out, resolve(k))
		}
		return out, nil
	}
	return nil, fmt.Errorf("'%s' object is not iterable", typeName(rv))
}

// getAttr is Jinja2's make_attrgetter: attr is an int or a dotted path
// whose integer parts are indices; each part is looked up as an item, then
// as an attribute.
func getAttr(item reflect.Value, attr *exec.Value) (reflect.Value, bool) {
	var parts []any
	if a := resolve(attr); kindOf(a) == kindInt {
		n, _ := bigInt(a)
		parts = []any{int(n.Int64())}
	} else {
		for _, p := range strings.Split(attr.String(), ".") {
			if n, err := strconv.Atoi(p); err == nil {
				parts = append(parts, n)
			} else {
				parts = append(parts, p)
			}
		}
	}
	cur := item
	for _, p := range parts {
		if kindOf(cur) == kindNone {
			return reflect.Value{}, false
		}
		v := exec.ToValue(cur)
		next, found := v.GetItem(p)
		if name, isName := p.(string); isName && (!found || next.IsError()) {
			next, found = v.GetAttribute(name)
		}
		if !found || next.IsError() {
			return reflect.Value{}, false
		}
		cur = resolve(next)
	}
	return cur, true
}

// pyLess is Python's a < b for numbers, strings and lists.
func pyLess(a, b reflect.Value) (bool, error) {
	ka, kb := kindOf(a), kindOf(b)
	switch {
	case isNumber(a) && isNumber(b):
		return compareNumbers(a, b) < 0, nil
	case ka == kindStr && kb == kindStr:
		return a.String() < b.String(), nil
	case ka == kindList && kb == kindList:
		n := min(a.Len(), b.Len())
		for i := range n {
			x, y := resolve(a.Index(i)), resolve(b.Index(i))
			if exec.ToValue(x).EqualValueTo(exec.ToValue(y)) {
				continue
			}
			return pyLess(x, y)
		}
		return a.Len() < b.Len(), nil
	}
	return false, fmt.Errorf("'<' not supported between instances of '%s' and '%s'", typeName(a), typeName(b))
}

// compareNumbers compares two numbers exactly: -1, 0 or 1, and 2 when one
// is NaN (unordered: every comparison is false).
func compareNumbers(a, b reflect.Value) int {
	ia, aInt := bigInt(a)
	ib, bInt := bigInt(b)
	if aInt && bInt {
		return ia.Cmp(ib)
	}
	fa, fb := new(big.Float), new(big.Float)
	for _, p := range []struct {
		rv  reflect.Value
		out *big.Float
	}{{a, fa}, {b, fb}} {
		if n, ok := bigInt(p.rv); ok {
			p.out.SetInt(n)
			continue
		}
		f := p.rv.Float()
		if math.IsNaN(f) {
			return 2
		}
		p.out.SetFloat64(f)
	}
	return fa.Cmp(fb)
}

// pyLower and pyUpper are Python's str.lower and str.upper: full Unicode
// case mapping (ß -> SS, final sigma).
func pyLower(s string) string { return cases.Lower(language.Und).String(s) }
func pyUpper(s string) string { return cases.Upper(language.Und).String(s) }

// fail is the value a filter returns to fail the render.
func fail(format string, args ...any) *exec.Value {
	return exec.AsValue(fmt.Errorf(format, args...))
}

// ---------------------------------------------------------------- tojson

// maxJSONDepth and maxJSONSize bound tojson on self-referencing or
// exponentially shared values (Python raises on a circular reference).
const (
	maxJSONDepth = 500
	maxJSONSize  = 16 << 20
)

// filterToJSON is Jinja2's tojson(value, indent=None):
// json.dumps(value, sort_keys=True, indent=indent) with ensure_ascii, then
// < > & ' written as \u003c \u003e \u0026 \u0027.
func filterToJSON(_ *exec.Evaluator, in *exec.Value, params *exec.VarArgs) *exec.Value {
	if in.IsError() {
		return in
	}
	var indent *exec.Value
	if err := params.Take(exec.KeywordArgument("indent", exec.AsValue(nil), valueArg(&indent))); err != nil {
		return fail("tojson: %v", err)
	}
	enc := &jsonEncoder{}
	switch iv := resolve(indent); kindOf(iv) {
	case kindNone:
	case kindInt, kindBool:
		n, _ := bigInt(iv)
		enc.pretty = true
		if n.Sign() > 0 {
			if n.Cmp(big.NewInt(64)) > 0 {
				return fail("tojson: indent %s is too large", n)
			}
			enc.indent = strings.Repeat(" ", int(n.Int64()))
		}
	case kindStr:
		enc.pretty, enc.indent = true, iv.String()
	default:
		return fail("tojson: indent must be an int or a str, not %s", typeName(iv))
	}
	if err := enc.encode(resolve(in), 0); err != nil {
		return fail("tojson: %v", err)
	}
	return exec.AsSafeValue(enc.b.String())
}

type jsonEncoder struct {
	b      strings.Builder
	pretty bool   // indent given: newlines, and "," between items
	indent string // one level of indentation
}

func (j *jsonEncoder) encode(rv reflect.Value, level int) error {
	if level > maxJSONDepth {
		return errors.New("value nested too deeply (circular reference?)")
	}
	if j.b.Len() > maxJSONSize {
		return fmt.Errorf("output over %d bytes", maxJSONSize)
	}
	switch kindOf(rv) {
	case kindNone:
		j.b.WriteString("null")
	case kindBool:
		j.b.WriteString(strconv.FormatBool(rv.Bool()))
	case kindInt:
		n, _ := bigInt(rv)
		j.b.WriteString(n.String())
	case kindFloat:
		j.b.WriteString(jsonFloat(rv.Float()))
	case kindStr:
		writeJSONString(&j.b, rv.String())
	case kindList:
		if rv.Kind() == reflect.Slice && rv.Type().Elem().Kind() == reflect.Uint8 {
			return errors.New("object of type bytes is not JSON serializable")
		}
		if rv.Len() == 0 {
			j.b.WriteString("[]")
			return nil
		}
		j.b.WriteByte('[')
		for i := range rv.Len() {
			j.separate(i, level+1)
			if err := j.encode(resolve(rv.Index(i)), level+1); err != nil {
				return err
			}
		}
		j.close(level)
		j.b.WriteByte(']')
	case kindDict:
		pairs, err := sortedJSONPairs(rv)
		if err != nil {
			return err
		}
		if len(pairs) == 0 {
			j.b.WriteString("{}")
			return nil
		}
		j.b.WriteByte('{')
		for i, p := range pairs {
			j.separate(i, level+1)
			writeJSONString(&j.b, p.key)
			j.b.WriteString(": ")
			if err := j.encode(p.value, level+1); err != nil {
				return err
			}
		}
		j.close(level)
		j.b.WriteByte('}')
	default:
		return fmt.Errorf("object of type %s is not JSON serializable", typeName(rv))
	}
	return nil
}

// separate writes what comes before item i of a container at level.
func (j *jsonEncoder) separate(i, level int) {
	switch {
	case j.pretty:
		if i > 0 {
			j.b.WriteByte(',')
		}
		j.b.WriteByte('\n')
		j.b.WriteString(strings.Repeat(j.indent, level))
	case i > 0:
		j.b.WriteString(", ")
	}
}

// close writes what comes before the closing bracket of a container.
func (j *jsonEncoder) close(level int) {
	if j.pretty {
		j.b.WriteByte('\n')
		j.b.WriteString(strings.Repeat(j.indent, level))
	}
}

type jsonPair struct {
	key   string
	value reflect.Value
	rawK  reflect.Value
}

// sortedJSONPairs returns the pairs of a dict sorted by key, as
// sort_keys=True does: keys must all be strings or all be numbers, and are
// then written as strings (True -> "true", None -> "null", 1.5 -> "1.5").
func sortedJSONPairs(rv reflect.Value) ([]jsonPair, error) {
	var pairs []jsonPair
	if rv.Kind() == reflect.Map {
		iter := rv.MapRange()
		for iter.Next() {
			pairs = append(pairs, jsonPair{rawK: resolve(iter.Key()), value: resolve(iter.Value())})
		}
	} else {
		for _, p := range rv.Interface().(exec.Dict).Pairs {
			pairs = append(pairs, jsonPair{rawK: resolve(p.Key), value: resolve(p.Value)})
		}
	}
	var sortErr error
	sort.SliceStable(pairs, func(i, j int) bool {
		a, b := pairs[i].rawK, pairs[j].rawK
		if kindOf(a) == kindStr && kindOf(b) == kindStr {
			return a.String() < b.String()
		}
		less, err := pyLess(a, b)
		if err != nil && sortErr == nil {
			sortErr = err
		}
		return less
	})
	if sortErr != nil {
		return nil, sortErr
	}
	for i := range pairs {
		k := pairs[i].rawK
		switch kindOf(k) {
		case kindStr:
			pairs[i].key = k.String()
		case kindNone:
			pairs[i].key = "null"
		case kindBool:
			pairs[i].key = strconv.FormatBool(k.Bool())
		case kindInt:
			n, _ := bigInt(k)
			pairs[i].key = n.String()
		case kindFloat:
			pairs[i].key = jsonFloat(k.Float())
		default:
			return nil, fmt.Errorf("keys must be str, int, float, bool or None, not %s", typeName(k))
		}
	}
	return pairs, nil
}

// floatRepr is Python's repr() of a float.
func floatRepr(f float64) string {
	switch {
	case math.IsNaN(f):
		return "nan"
	case math.IsInf(f, 1):
		return "inf"
	case math.IsInf(f, -1):
		return "-inf"
	}
	return exec.AsValue(f).String()
}

// jsonFloat is Python's float.__repr__, with json's NaN and Infinity.
func jsonFloat(f float64) string {
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "Infinity"
	case math.IsInf(f, -1):
		return "-Infinity"
	}
	return exec.AsValue(f).String()
}

// writeJSONString writes s as json.dumps(ensure_ascii=True) does, with
// Jinja2's HTML-safe escapes of < > & '.
func writeJSONString(b *strings.Builder, s string) {
	b.WriteByte('"')
	for _, r := range s {
		switch r {
		case '"':
			b.WriteString(`\"`)
		case '\\':
			b.WriteString(`\\`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		case '\b':
			b.WriteString(`\b`)
		case '\f':
			b.WriteString(`\f`)
		case '<', '>', '&', '\'':
			fmt.Fprintf(b, `\u%04x`, r)
		default:
			switch {
			case r >= 0x20 && r < 0x7f:
				b.WriteRune(r)
			case r < 0x10000:
				fmt.Fprintf(b, `\u%04x`, r)
			default:
				r1, r2 := utf16Pair(r)
				fmt.Fprintf(b, `\u%04x\u%04x`, r1, r2)
			}
		}
	}
	b.WriteByte('"')
}

func utf16Pair(r rune) (rune, rune) {
	r -= 0x10000
	return 0xd800 + (r>>10)&0x3ff, 0xdc00 + r&0x3ff
}

// ---------------------------------------------------------------- round

// filterRound is Jinja2's round(value, precision=0, method='common'):
// 'common' is Python's round(), half to even on the exact binary value
// (2.5 -> 2.0, 2.675 -> 2.67) that keeps an int an int; 'ceil' and
// 'floor' always give a float.
func filterRound(_ *exec.Evaluator, in *exec.Value, params *exec.VarArgs) *exec.Value {
	if in.IsError() {
		return in
	}
	var precArg, methodArg *exec.Value
	if err := params.Take(
		exec.KeywordArgument("precision", exec.AsValue(0), valueArg(&precArg)),
		exec.KeywordArgument("method", exec.AsValue("common"), valueArg(&methodArg)),
	); err != nil {
		return fail("round: %v", err)
	}
	method := methodArg.String()
	if !methodArg.IsString() || method != "common" && method != "ceil" && method != "floor" {
		return fail("round: method must be common, ceil or floor")
	}
	pv := resolve(precArg)
	pn, ok := bigInt(pv)
	if !ok {
		return fail("round: precision must be an integer, not %s", typeName(pv))
	}
	if !pn.IsInt64() || pn.Int64() > 1000 || pn.Int64() < -1000 {
		return fail("round: precision %s is out of range", pn)
	}
	prec := int(pn.Int64())
	v := resolve(in)
	if !isNumber(v) {
		return fail("round: type %s doesn't define __round__ method", typeName(v))
	}
	if method == "common" {
		if n, ok := bigInt(v); ok {
			return exec.AsValue(intValue(roundInt(n, prec)))
		}
		return exec.AsValue(roundFloat(v.Float(), prec))
	}
	f, err := roundCeilFloor(v, prec, method == "ceil")
	if err != nil {
		return fail("round: %v", err)
	}
	return exec.AsValue(f)
}

// roundInt is Python's round(int, ndigits).
func roundInt(n *big.Int, prec int) *big.Int {
	if prec >= 0 {
		return n
	}
	if -prec > 40 { // beyond every int64 and uint64
		return new(big.Int)
	}
	p := pow10(-prec)
	q, r := new(big.Int).DivMod(n, p, new(big.Int)) // floor division, r >= 0
	switch c := new(big.Int).Lsh(r, 1).Cmp(p); {
	case c > 0, c == 0 && q.Bit(0) == 1:
		q.Add(q, big.NewInt(1))
	}
	return q.Mul(q, p)
}

// roundFloat is Python's round(float, ndigits): the exact binary value
// rounded half to even to ndigits decimals, then the nearest float.
func roundFloat(f float64, prec int) float64 {
	switch {
	case math.IsNaN(f) || math.IsInf(f, 0) || prec > 323:
		return f
	case prec < -308:
		return math.Copysign(0, f)
	}
	x := new(big.Rat).SetFloat64(f)
	scale := new(big.Rat).SetInt(pow10(abs(prec)))
	if prec >= 0 {
		x.Mul(x, scale)
	} else {
		x.Quo(x, scale)
	}
	// Round x to an integer, half to even.
	q, r := new(big.Int).DivMod(x.Num(), x.Denom(), new(big.Int))
	switch c := new(big.Int).Lsh(r, 1).Cmp(x.Denom()); {
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

// roundCeilFloor is Jinja2's math.ceil/floor(value * 10**precision) /
// 10**precision, with Python's int and float arithmetic.
func roundCeilFloor(v reflect.Value, prec int, ceil bool) (float64, error) {
	op := math.Floor
	if ceil {
		op = math.Ceil
	}
	if prec < 0 { // 10**prec is a float
		p := math.Pow(10, float64(prec))
		f, _ := toFloat(v)
		y := f * p
		if math.IsInf(y, 0) || math.IsNaN(y) {
			return 0, fmt.Errorf("cannot convert float %s to integer", floatRepr(y))
		}
		if p == 0 {
			return 0, errors.New("float division by zero")
		}
		return (op(y) + 0) / p, nil // + 0: math.ceil gives an int, never -0
	}
	p := pow10(prec)
	var k *big.Int
	if n, ok := bigInt(v); ok { // int * int is exact, and already whole
		k = new(big.Int).Mul(n, p)
	} else {
		pf, _ := new(big.Float).SetInt(p).Float64()
		if math.IsInf(pf, 0) {
			return 0, errors.New("int too large to convert to float")
		}
		y := v.Float() * pf
		if math.IsInf(y, 0) || math.IsNaN(y) {
			return 0, fmt.Errorf("cannot convert float %s to integer", floatRepr(y))
		}
		k, _ = new(big.Float).SetFloat64(op(y)).Int(nil)
	}
	out, _ := new(big.Rat).SetFrac(k, p).Float64()
	return out, nil
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

// ---------------------------------------------------------------- sum

// filterSum is Jinja2's sum(iterable, attribute=None, start=0): start +=
// each item, so ints stay ints (exactly) until a float comes, and lists or
// strings concatenate.
func filterSum(_ *exec.Evaluator, in *exec.Value, params *exec.VarArgs) *exec.Value {
	if in.IsError() {
		return in
	}
	var attribute, start *exec.Value
	if err := params.Take(
		exec.KeywordArgument("attribute", exec.AsValue(nil), valueArg(&attribute)),
		exec.KeywordArgument("start", exec.AsValue(0), valueArg(&start)),
	); err != nil {
		return fail("sum: %v", err)
	}
	items, err := iterate(resolve(in))
	if err != nil {
		return fail("sum: %v", err)
	}
	acc := &pyAdder{}
	if err := acc.add(resolve(start)); err != nil {
		return fail("sum: %v", err)
	}
	for _, item := range items {
		if !attribute.IsNil() {
			var found bool
			if item, found = getAttr(item, attribute); !found {
				return fail("sum: an item has no attribute %s", quoteRepr(attribute.String(), false))
			}
		}
		if err := acc.add(item); err != nil {
			return fail("sum: %v", err)
		}
	}
	return exec.AsValue(acc.result())
}

// pyAdder computes a + b + c ... with Python's + for numbers, strings
// and lists.
type pyAdder struct {
	kind  pyKind // kindNone before the first term
	i     *big.Int
	f     float64
	s     strings.Builder
	items []any
}

func (a *pyAdder) add(rv reflect.Value) error {
	k := kindOf(rv)
	switch {
	case a.kind == kindNone:
		switch k {
		case kindBool, kindInt:
			a.kind, a.i = kindInt, new(big.Int)
		case kindFloat:
			a.kind = kindFloat
		case kindStr, kindList:
			a.kind = k
		default:
			return fmt.Errorf("unsupported operand type for +: '%s'", typeName(rv))
		}
		return a.add(rv)
	case (a.kind == kindInt || a.kind == kindFloat) && isNumber(rv):
		if n, ok := bigInt(rv); ok && a.kind == kindInt {
			a.i.Add(a.i, n)
			return nil
		}
		if a.kind == kindInt {
			a.f, _ = new(big.Float).SetInt(a.i).Float64()
			a.kind = kindFloat
		}
		f, _ := toFloat(rv)
		a.f += f
		return nil
	case a.kind == kindStr && k == kindStr:
		a.s.WriteString(rv.String())
		return nil
	case a.kind == kindList && k == kindList:
		for i := range rv.Len() {
			a.items = append(a.items, rv.Index(i).Interface())
		}
		return nil
	}
	names := map[pyKind]string{kindInt: "int", kindFloat: "float", kindStr: "str", kindList: "list"}
	return fmt.Errorf("unsupported operand type(s) for +: '%s' and '%s'", names[a.kind], typeName(rv))
}

func (a *pyAdder) result() any {
	switch a.kind {
	case kindInt:
		return intValue(a.i)
	case kindFloat:
		return a.f
	case kindStr:
		return a.s.String()
	case kindList:
		if a.items == nil {
			return []any{}
		}
		return a.items
	}
	return int64(0)
}

// ---------------------------------------------------------------- format

// filterFormat is Jinja2's format(value, *args, **kwargs): Python's
// value % args (or value % kwargs).
func filterFormat(_ *exec.Evaluator, in *exec.Value, params *exec.VarArgs) *exec.Value {
	if in.IsError() {
		return in
	}
	if len(params.Args) > 0 && len(params.KwArgs) > 0 {
		return fail("format: can't handle positional and keyword arguments at the same time")
	}
	var s string
	var err error
	if len(params.KwArgs) > 0 {
		s, err = percentFormat(pyString(resolve(in)), nil, params.KwArgs)
	} else {
		s, err = percentFormat(pyString(resolve(in)), params.Args, nil)
	}
	if err != nil {
		return fail("format: %v", err)
	}
	return exec.AsValue(s)
}

// percentFormat is Python's str % args (args a tuple) or str % kwargs
// (kwargs a dict, when not nil), with CPython's argument bookkeeping.
func percentFormat(format string, args []*exec.Value, kwargs map[string]*exec.Value) (string, error) {
	var dict reflect.Value // the mapping, in dict mode
	cur := reflect.ValueOf(args)
	argIdx, argLen := 0, len(args)
	if kwargs != nil {
		m := make(map[string]any, len(kwargs))
		for k, v := range kwargs {
			m[k] = v.Interface()
		}
		dict = reflect.ValueOf(m)
		cur, argIdx, argLen = dict, -2, -1
	}
	next := func() (reflect.Value, error) {
		if argIdx >= argLen {
			return reflect.Value{}, errors.New("not enough arguments for format string")
		}
		argIdx++
		if argLen < 0 {
			return resolve(cur), nil
		}
		return resolve(args[argIdx-1]), nil
	}

	var out strings.Builder
	i := 0
	for i < len(format) {
		j := strings.IndexByte(format[i:], '%')
		if j < 0 {
			out.WriteString(format[i:])
			break
		}
		out.WriteString(format[i : i+j])
		i += j + 1
		if i >= len(format) {
			return "", errors.New("incomplete format")
		}
		if format[i] == '%' {
			out.WriteByte('%')
			i++
			continue
		}
		var spec fmtSpec
		if format[i] == '(' { // %(name)s
			if !dict.IsValid() {
				return "", errors.New("format requires a mapping")
			}
			depth, k := 1, i+1
			for ; k < len(format) && depth > 0; k++ {
				switch format[k] {
				case '(':
					depth++
				case ')':
					depth--
				}
			}
			if depth > 0 {
				return "", errors.New("incomplete format key")
			}
			key := format[i+1 : k-1]
			v, ok := kwargs[key]
			if !ok {
				return "", fmt.Errorf("KeyError: %s", quoteRepr(key, false))
			}
			cur, argIdx, argLen = reflect.ValueOf(v), -2, -1
			i = k
		}
		for ; i < len(format) && strings.IndexByte("-+ #0", format[i]) >= 0; i++ {
			spec.flags += string(format[i])
		}
		num := func() (int, bool, error) { // a width or precision: digits or *
			if i < len(format) && format[i] == '*' {
				i++
				v, err := next()
				if err != nil {
					return 0, false, err
				}
				if kindOf(v) != kindInt && kindOf(v) != kindBool {
					return 0, false, errors.New("* wants int")
				}
				n, _ := bigInt(v)
				if !n.IsInt64() || n.Int64() > 1<<20 || n.Int64() < -(1<<20) {
					return 0, false, errors.New("width or precision too big")
				}
				return int(n.Int64()), true, nil
			}
			k := i
			for i < len(format) && format[i] >= '0' && format[i] <= '9' {
				i++
			}
			if i == k {
				return 0, false, nil
			}
			n, err := strconv.Atoi(format[k:i])
			if err != nil || n > 1<<20 {
				return 0, false, errors.New("width or precision too big")
			}
			return n, true, nil
		}
		w, _, err := num()
		if err != nil {
			return "", err
		}
		if w < 0 {
			spec.flags += "-"
			w = -w
		}
		spec.width = w
		spec.prec = -1
		if i < len(format) && format[i] == '.' {
			i++
			p, _, err := num()
			if err != nil {
				return "", err
			}
			spec.prec = max(p, 0)
		}
		for i < len(format) && strings.IndexByte("hlL", format[i]) >= 0 {
			i++
		}
		if i >= len(format) {
			return "", errors.New("incomplete format")
		}
		spec.verb = format[i]
		verbAt := i
		i++
		arg, err := next()
		if err != nil {
			return "", err
		}
		s, err := spec.format(arg)
		if errors.Is(err, errBadVerb) {
			r, _ := utf8.DecodeRuneInString(format[verbAt:])
			err = fmt.Errorf("unsupported format character %s (0x%x) at index %d",
				quoteRepr(string(r), false), r, utf8.RuneCountInString(format[:verbAt]))
		}
		if err != nil {
			return "", err
		}
		out.WriteString(s)
	}
	if argIdx < argLen && !dict.IsValid() {
		return "", errors.New("not all arguments converted during string formatting")
	}
	return out.String(), nil
}

// fmtSpec is one %-conversion.
type fmtSpec struct {
	flags string // of "-+ #0"
	width int
	prec  int // -1 when absent
	verb  byte
}

func (s fmtSpec) has(flag byte) bool { return strings.IndexByte(s.flags, flag) >= 0 }

// errBadVerb reports a conversion character Python does not know.
var errBadVerb = errors.New("unsupported format character")

func (s fmtSpec) format(arg reflect.Value) (string, error) {
	switch s.verb {
	case 's', 'r', 'a':
		var body string
		switch s.verb {
		case 's':
			body = pyString(arg)
		case 'r':
			body = pyRepr(arg, false)
		default:
			body = pyRepr(arg, true)
		}
		if s.prec >= 0 {
			if r := []rune(body); len(r) > s.prec {
				body = string(r[:s.prec])
			}
		}
		return s.pad("", body, false), nil
	case 'c':
		var body string
		switch kindOf(arg) {
		case kindInt, kindBool:
			n, _ := bigInt(arg)
			if n.Sign() < 0 || n.Cmp(big.NewInt(0x10ffff)) > 0 {
				return "", errors.New("%c arg not in range(0x110000)")
			}
			body = string(rune(n.Int64()))
		case kindStr:
			if utf8.RuneCountInString(arg.String()) != 1 {
				return "", errors.New("%c requires int or char")
			}
			body = arg.String()
		default:
			return "", errors.New("%c requires int or char")
		}
		return s.pad("", body, false), nil
	case 'd', 'i', 'u', 'x', 'X', 'o':
		var n *big.Int
		switch kindOf(arg) {
		case kindInt, kindBool:
			n, _ = bigInt(arg)
		case kindFloat:
			if s.verb != 'd' && s.verb != 'i' && s.verb != 'u' {
				return "", fmt.Errorf("%%%c format: an integer is required, not float", s.verb)
			}
			f := arg.Float()
			if math.IsNaN(f) || math.IsInf(f, 0) {
				return "", fmt.Errorf("cannot convert float %s to integer", floatRepr(f))
			}
			n, _ = new(big.Float).SetFloat64(math.Trunc(f)).Int(nil)
		default:
			if s.verb == 'd' || s.verb == 'i' || s.verb == 'u' {
				return "", fmt.Errorf("%%%c format: a real number is required, not %s", s.verb, typeName(arg))
			}
			return "", fmt.Errorf("%%%c format: an integer is required, not %s", s.verb, typeName(arg))
		}
		base, prefix := 10, ""
		switch s.verb {
		case 'x', 'X':
			base, prefix = 16, "0"+string(s.verb)
		case 'o':
			base, prefix = 8, "0o"
		}
		if !s.has('#') {
			prefix = ""
		}
		digits := new(big.Int).Abs(n).Text(base)
		if s.verb == 'X' {
			digits = strings.ToUpper(digits)
		}
		if len(digits) < s.prec {
			digits = strings.Repeat("0", s.prec-len(digits)) + digits
		}
		return s.pad(s.sign(n.Sign() < 0)+prefix, digits, true), nil
	case 'e', 'E', 'f', 'F', 'g', 'G':
		f, ok := toFloat(arg)
		if !ok {
			return "", fmt.Errorf("must be real number, not %s", typeName(arg))
		}
		return s.pad(s.sign(math.Signbit(f) && !math.IsNaN(f)), s.floatBody(math.Abs(f)), true), nil
	}
	return "", errBadVerb
}

// sign is the sign part of a number.
func (s fmtSpec) sign(negative bool) string {
	switch {
	case negative:
		return "-"
	case s.has('+'):
		return "+"
	case s.has(' '):
		return " "
	}
	return ""
}

// floatBody formats f >= 0 (or NaN) for an e, f or g conversion.
func (s fmtSpec) floatBody(f float64) string {
	upper := s.verb == 'E' || s.verb == 'F' || s.verb == 'G'
	if math.IsNaN(f) || math.IsInf(f, 0) {
		body := "inf"
		if math.IsNaN(f) {
			body = "nan"
		}
		if upper {
			body = strings.ToUpper(body)
		}
		return body
	}
	prec := s.prec
	if prec < 0 {
		prec = 6
	}
	var body string
	switch s.verb {
	case 'f', 'F':
		body = strconv.FormatFloat(f, 'f', prec, 64)
	case 'e', 'E':
		body = strconv.FormatFloat(f, 'e', prec, 64)
	default: // g: %e or %f by the exponent, then trailing zeros dropped
		if prec == 0 {
			prec = 1
		}
		e := strconv.FormatFloat(f, 'e', prec-1, 64)
		exp, _ := strconv.Atoi(e[strings.IndexByte(e, 'e')+1:])
		if exp >= -4 && exp < prec {
			body = strconv.FormatFloat(f, 'f', prec-1-exp, 64)
		} else {
			body = e
		}
		if !s.has('#') {
			mant, rest := body, ""
			if k := strings.IndexByte(body, 'e'); k >= 0 {
				mant, rest = body[:k], body[k:]
			}
			if strings.IndexByte(mant, '.') >= 0 {
				mant = strings.TrimRight(strings.TrimRight(mant, "0"), ".")
			}
			body = mant + rest
		}
	}
	if s.has('#') && strings.IndexByte(body, '.') < 0 {
		if k := strings.IndexByte(body, 'e'); k >= 0 {
			body = body[:k] + "." + body[k:]
		} else {
			body += "."
		}
	}
	if upper {
		body = strings.ToUpper(body)
	}
	return body
}

// pad applies the width: left-justified with -, zero-filled after the
// sign with 0 (numbers only), else right-justified with spaces.
func (s fmtSpec) pad(sign, body string, number bool) string {
	n := utf8.RuneCountInString(sign) + utf8.RuneCountInString(body)
	if n >= s.width {
		return sign + body
	}
	fill := s.width - n
	switch {
	case s.has('-'):
		return sign + body + strings.Repeat(" ", fill)
	case number && s.has('0'):
		return sign + strings.Repeat("0", fill) + body
	}
	return strings.Repeat(" ", fill) + sign + body
}

// ---------------------------------------------------------------- strings

// filterUpper is Python's str.upper (full Unicode mapping: ß -> SS).
func filterUpper(_ *exec.Evaluator, in *exec.Value, params *exec.VarArgs) *exec.Value {
	if in.IsError() {
		return in
	}
	if err := params.Take(); err != nil {
		return fail("upper: %v", err)
	}
	return exec.AsValue(pyUpper(pyString(resolve(in))))
}

// filterLower is Python's str.lower (full Unicode mapping, final sigma).
func filterLower(_ *exec.Evaluator, in *exec.Value, params *exec.VarArgs) *exec.Value {
	if in.IsError() {
		return in
	}
	if err := params.Take(); err != nil {
		return fail("lower: %v", err)
	}
	return exec.AsValue(pyLower(pyString(resolve(in))))
}

// filterWordcount is Jinja2's len(re.findall(r"\w+", s)): runs of
// letters, digits and underscores.
func filterWordcount(_ *exec.Evaluator, in *exec.Value, params *exec.VarArgs) *exec.Value {
	if in.IsError() {
		return in
	}
	if err := params.Take(); err != nil {
		return fail("wordcount: %v", err)
	}
	count, inWord := 0, false
	for _, r := range pyString(resolve(in)) {
		w := r == '_' || unicode.IsLetter(r) || unicode.IsNumber(r)
		if w && !inWord {
			count++
		}
		inWord = w
	}
	return exec.AsValue(count)
}

// filterURLEncode is Jinja2's urlencode: a string (or any non-iterable)
// is quoted with "/" kept; a dict or a list of pairs becomes k=v&k=v with
// both sides quoted for a query string (" " -> "+", "/" quoted).
func filterURLEncode(_ *exec.Evaluator, in *exec.Value, params *exec.VarArgs) *exec.Value {
	if in.IsError() {
		return in
	}
	if err := params.Take(); err != nil {
		return fail("urlencode: %v", err)
	}
	v := resolve(in)
	switch kindOf(v) {
	case kindDict, kindList:
	default:
		return exec.AsValue(urlQuote(pyString(v), false))
	}
	var pairs []string
	add := func(k, val reflect.Value) {
		pairs = append(pairs, urlQuote(pyString(k), true)+"="+urlQuote(pyString(val), true))
	}
	if kindOf(v) == kindDict {
		for _, k := range exec.ToValue(v).Keys() {
			if v.Kind() == reflect.Map {
				add(resolve(k), resolve(v.MapIndex(k.Val)))
			} else {
				d := v.Interface().(exec.Dict)
				add(resolve(k), resolve(d.Get(k)))
			}
		}
		return exec.AsValue(strings.Join(pairs, "&"))
	}
	for i := range v.Len() {
		pair, err := iterate(resolve(v.Index(i)))
		if err != nil || len(pair) != 2 {
			return fail("urlencode: expected a dict or a list of (key, value) pairs")
		}
		add(pair[0], pair[1])
	}
	return exec.AsValue(strings.Join(pairs, "&"))
}

// urlQuote is Jinja2's url_quote: urllib.parse.quote of the UTF-8 bytes,
// keeping letters, digits and _.-~ (and "/" unless forQuery); forQuery
// writes spaces as "+".
func urlQuote(s string, forQuery bool) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9',
			c == '_', c == '.', c == '-', c == '~', c == '/' && !forQuery:
			b.WriteByte(c)
		case c == ' ' && forQuery:
			b.WriteByte('+')
		default:
			b.WriteByte('%')
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&15])
		}
	}
	return b.String()
}

// ---------------------------------------------------------------- min, max

// filterMinMax is Jinja2's max/min(value, case_sensitive=False,
// attribute=None): the first largest (smallest) item, compared by the
// attribute when given (strings without case unless case_sensitive). It
// returns the item, not the attribute; nothing for an empty sequence.
func filterMinMax(isMax bool) exec.FilterFunction {
	name := "min"
	if isMax {
		name = "max"
	}
	return func(_ *exec.Evaluator, in *exec.Value, params *exec.VarArgs) *exec.Value {
		if in.IsError() {
			return in
		}
		var caseSensitive, attribute *exec.Value
		if err := params.Take(
			exec.KeywordArgument("case_sensitive", exec.AsValue(false), valueArg(&caseSensitive)),
			exec.KeywordArgument("attribute", exec.AsValue(nil), valueArg(&attribute)),
		); err != nil {
			return fail("%s: %v", name, err)
		}
		items, err := iterate(resolve(in))
		if err != nil {
			return fail("%s: %v", name, err)
		}
		key := func(item reflect.Value) (reflect.Value, error) {
			if !attribute.IsNil() {
				var found bool
				if item, found = getAttr(item, attribute); !found {
					return item, fmt.Errorf("an item has no attribute %s", quoteRepr(attribute.String(), false))
				}
			}
			if kindOf(item) == kindStr && !caseSensitive.IsTrue() {
				item = reflect.ValueOf(pyLower(item.String()))
			}
			return item, nil
		}
		if len(items) == 0 {
			return exec.AsValue(nil)
		}
		best := items[0]
		bestKey, err := key(best)
		if err != nil {
			return fail("%s: %v", name, err)
		}
		for _, item := range items[1:] {
			k, err := key(item)
			if err != nil {
				return fail("%s: %v", name, err)
			}
			var better bool
			if isMax {
				better, err = pyLess(bestKey, k)
			} else {
				better, err = pyLess(k, bestKey)
			}
			if err != nil {
				return fail("%s: %v", name, err)
			}
			if better {
				best, bestKey = item, k
			}
		}
		return exec.ToValue(best)
	}
}

// valueArg takes an argument as it is.
func valueArg(out **exec.Value) exec.ArgumentTransmuter {
	return func(v *exec.Value) error {
		*out = v
		return nil
	}
}

// ---------------------------------------------------------------- methods

// pyStrMethods are the methods of Python's str; parityMethods keeps those
// gonja implements.
var pyStrMethods = []string{
	"capitalize", "casefold", "center", "count", "encode", "endswith",
	"expandtabs", "find", "format", "format_map", "index", "isalnum",
	"isalpha", "isascii", "isdecimal", "isdigit", "isidentifier", "islower",
	"isnumeric", "isprintable", "isspace", "istitle", "isupper", "join",
	"ljust", "lower", "lstrip", "maketrans", "partition", "removeprefix",
	"removesuffix", "replace", "rfind", "rindex", "rjust", "rpartition",
	"rsplit", "rstrip", "split", "splitlines", "startswith", "strip",
	"swapcase", "title", "translate", "upper", "zfill",
}

// parityMethods returns base with str.replace fixed: gonja requires its
// count argument, Python's defaults to -1 (replace all). For
// exec.Environment.Methods, e.g. parityMethods(builtins.Methods).
func parityMethods(base exec.Methods) exec.Methods {
	str := map[string]exec.Method[string]{}
	for _, name := range pyStrMethods {
		if m, ok := base.Str.Get(name); ok {
			str[name] = m
		}
	}
	str["replace"] = strReplace
	out := base
	out.Str = exec.NewMethodSet(str)
	return out
}

// strReplace is Python's str.replace(old, new, count=-1).
func strReplace(self string, _ *exec.Value, params *exec.VarArgs) (any, error) {
	var old, repl string
	count := -1
	if err := params.Take(
		exec.PositionalArgument("old", nil, exec.StringArgument(&old)),
		exec.PositionalArgument("new", nil, exec.StringArgument(&repl)),
		exec.PositionalArgument("count", exec.AsValue(-1), exec.IntArgument(&count)),
	); err != nil {
		return nil, exec.ErrInvalidCall(err)
	}
	if count < 0 {
		count = -1
	}
	return strings.Replace(self, old, repl, count), nil
}
