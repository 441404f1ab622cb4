package jinja

import (
	"math/big"
	"strconv"
	"strings"
	"sync"
	"unicode/utf16"
	"unicode/utf8"
)

// JSON in and out, as Python's json module does it: objects keep their
// order (a repeated key keeps its first position and its last value, as
// json.loads does), integers have any size, 1.5 and 2.0 are floats, 1e400
// is inf. Decoding is bounded in depth before it recurses.

// DefaultMaxJSONDepth bounds the nesting of decoded JSON.
const DefaultMaxJSONDepth = 128

// JSONError is a document that is not JSON, or nests too deeply.
type JSONError struct {
	Msg   string
	Depth bool // the nesting bound was exceeded
}

func (e *JSONError) Error() string { return e.Msg }

// DecodeJSON decodes one JSON document. Strings share data's memory
// where they have no escapes.
func DecodeJSON(data string, maxDepth int) (Value, error) {
	return (*Renderer)(nil).DecodeJSON(data, maxDepth)
}

// DecodeJSON is DecodeJSON counting the values it builds against the
// render's memory budget (a response body decoded for mappers).
func (r *Renderer) DecodeJSON(data string, maxDepth int) (Value, error) {
	return r.DecodeJSONKeys(data, maxDepth, nil)
}

// DecodeJSONKeys is DecodeJSON for a reader that looks only at some
// top-level keys: when data is an object, the values of the keys keep
// refuses are checked (the document must still be JSON, within the depth
// bound) but not built, and are absent from the result. A nil keep keeps
// every key.
func (r *Renderer) DecodeJSONKeys(data string, maxDepth int, keep func(key string) bool) (Value, error) {
	return r.decodeJSON(data, maxDepth, keep, nil)
}

// DecodeJSONUses is DecodeJSON for readers that read only what uses
// says of the document (a template's Uses, or several merged): the
// members of objects no reader reaches are checked but not built. A nil
// uses builds everything.
func (r *Renderer) DecodeJSONUses(data string, maxDepth int, uses *Uses) (Value, error) {
	return r.decodeJSON(data, maxDepth, nil, uses)
}

func (r *Renderer) decodeJSON(data string, maxDepth int, keep func(key string) bool, uses *Uses) (Value, error) {
	if maxDepth <= 0 {
		maxDepth = DefaultMaxJSONDepth
	}
	if uses != nil && uses.All {
		uses = nil
	}
	sp := decodeStacks.Get().(*[]Value)
	d := jsonDecoder{s: data, max: maxDepth, r: r, keep: keep, cur: uses, stack: (*sp)[:0]}
	d.space()
	v, err := d.value(0)
	d.space()
	if err == nil && d.i != len(d.s) {
		err = d.fail("extra data")
	}
	clear(d.stack) // what a failure left
	if cap(d.stack) <= maxPooledStack {
		*sp = d.stack[:0]
		decodeStacks.Put(sp)
	}
	if err != nil {
		return Value{}, err
	}
	return v, nil
}

// decodeStacks are the decoders' member stacks, reused.
var decodeStacks = sync.Pool{New: func() any { s := make([]Value, 0, 64); return &s }}

// maxPooledStack bounds the stacks kept for reuse.
const maxPooledStack = 4096

type jsonDecoder struct {
	s    string
	i    int
	max  int
	r    *Renderer         // charged for what is built, when not nil
	keep func(string) bool // the top-level keys built, when not nil
	// syntax checks JSON's grammar alone (ValidJSONSyntax): strings
	// of any bytes, numbers of any size.
	syntax bool
	// cur is what is read of the value being decoded (see Uses); nil
	// when all of it is.
	cur *Uses
	// stack holds the members of the objects and arrays being decoded
	// (keys and values, in pairs, for an object), so that each is built
	// at its final size in one go.
	stack []Value
}

// skip checks one value as value does, building no list or dict.
func (d *jsonDecoder) skip(depth int) error {
	if d.i >= len(d.s) {
		return d.fail("unexpected end")
	}
	c := d.s[d.i]
	if c == '-' || c >= '0' && c <= '9' {
		// As value, without converting the number.
		if d.r != nil {
			if err := d.r.alloc(valueSize); err != nil {
				return err
			}
		}
		text, isFloat, err := d.scanNumber()
		if err == nil && !isFloat && !d.syntax && len(text) > maxIntDigits+1 {
			err = errIntDigits // what NumberValue refuses of a valid number
		}
		return err
	}
	if c != '{' && c != '[' {
		_, err := d.value(depth)
		return err
	}
	if depth >= d.max {
		return &JSONError{Msg: "JSON nested more than " + strconv.Itoa(d.max) + " levels deep", Depth: true}
	}
	closer := byte(']')
	if c == '{' {
		closer = '}'
	}
	d.i++
	d.space()
	if d.i < len(d.s) && d.s[d.i] == closer {
		d.i++
		return nil
	}
	for {
		d.space()
		if c == '{' {
			if d.i >= len(d.s) || d.s[d.i] != '"' {
				return d.fail("expecting property name")
			}
			if _, err := d.str(); err != nil {
				return err
			}
			d.space()
			if d.i >= len(d.s) || d.s[d.i] != ':' {
				return d.fail("expecting ':'")
			}
			d.i++
			d.space()
		}
		if err := d.skip(depth + 1); err != nil {
			return err
		}
		d.space()
		if d.i >= len(d.s) {
			return d.fail("unexpected end")
		}
		switch d.s[d.i] {
		case ',':
			d.i++
		case closer:
			d.i++
			return nil
		default:
			return d.fail("expecting ',' or '" + string(closer) + "'")
		}
	}
}

func (d *jsonDecoder) fail(msg string) error {
	return &JSONError{Msg: "invalid JSON at byte " + strconv.Itoa(d.i) + ": " + msg}
}

func (d *jsonDecoder) space() {
	for d.i < len(d.s) {
		switch d.s[d.i] {
		case ' ', '\t', '\n', '\r':
			d.i++
		default:
			return
		}
	}
}

func (d *jsonDecoder) value(depth int) (Value, error) {
	if d.i >= len(d.s) {
		return Value{}, d.fail("unexpected end")
	}
	if d.r != nil {
		if err := d.r.alloc(valueSize); err != nil {
			return Value{}, err
		}
	}
	switch c := d.s[d.i]; {
	case c == '{' || c == '[':
		if depth >= d.max {
			return Value{}, &JSONError{Msg: "JSON nested more than " + strconv.Itoa(d.max) + " levels deep", Depth: true}
		}
		if c == '{' {
			return d.object(depth + 1)
		}
		return d.array(depth + 1)
	case c == '"':
		s, err := d.str()
		return String(s), err
	case c == 't' && strings.HasPrefix(d.s[d.i:], "true"):
		d.i += 4
		return True, nil
	case c == 'f' && strings.HasPrefix(d.s[d.i:], "false"):
		d.i += 5
		return False, nil
	case c == 'n' && strings.HasPrefix(d.s[d.i:], "null"):
		d.i += 4
		return None, nil
	case c == '-' || c >= '0' && c <= '9':
		return d.number()
	}
	return Value{}, d.fail("unexpected character")
}

func (d *jsonDecoder) object(depth int) (Value, error) {
	d.i++
	d.space()
	if d.i < len(d.s) && d.s[d.i] == '}' {
		d.i++
		return DictValue(NewDict(0)), nil
	}
	u := d.cur
	base := len(d.stack)
	for {
		d.space()
		if d.i >= len(d.s) || d.s[d.i] != '"' {
			return Value{}, d.fail("expecting property name")
		}
		k, err := d.str()
		if err != nil {
			return Value{}, err
		}
		d.space()
		if d.i >= len(d.s) || d.s[d.i] != ':' {
			return Value{}, d.fail("expecting ':'")
		}
		d.i++
		d.space()
		var mu *Uses // what is read of the member: nil, all of it
		build := depth != 1 || d.keep == nil || d.keep(k)
		if u != nil {
			mu = u.Members[k]
			build = build && mu != nil
			if mu != nil && mu.All {
				mu = nil
			}
		}
		if !build {
			if err := d.skip(depth); err != nil {
				return Value{}, err
			}
		} else {
			d.cur = mu
			v, err := d.value(depth)
			d.cur = u
			if err != nil {
				return Value{}, err
			}
			d.stack = append(d.stack, String(k), v)
		}
		d.space()
		if d.i >= len(d.s) {
			return Value{}, d.fail("unexpected end")
		}
		switch d.s[d.i] {
		case ',':
			d.i++
		case '}':
			d.i++
			members := d.stack[base:]
			dict := NewDict(len(members) / 2)
			for j := 0; j < len(members); j += 2 {
				dict.SetStr(members[j].s, members[j+1]) // a repeated key: first place, last value
			}
			clear(members)
			d.stack = d.stack[:base]
			return DictValue(dict), nil
		default:
			return Value{}, d.fail("expecting ',' or '}'")
		}
	}
}

func (d *jsonDecoder) array(depth int) (Value, error) {
	d.i++
	d.space()
	if d.i < len(d.s) && d.s[d.i] == ']' {
		d.i++
		return NewList([]Value{}), nil
	}
	u := d.cur
	d.cur = nil // items are whole (a failure abandons the decoder)
	base := len(d.stack)
	for {
		d.space()
		v, err := d.value(depth)
		if err != nil {
			return Value{}, err
		}
		d.stack = append(d.stack, v)
		d.space()
		if d.i >= len(d.s) {
			return Value{}, d.fail("unexpected end")
		}
		switch d.s[d.i] {
		case ',':
			d.i++
		case ']':
			d.i++
			d.cur = u
			items := append([]Value(nil), d.stack[base:]...)
			clear(d.stack[base:])
			d.stack = d.stack[:base]
			return NewList(items), nil
		default:
			return Value{}, d.fail("expecting ',' or ']'")
		}
	}
}

func (d *jsonDecoder) str() (string, error) {
	start := d.i + 1
	for j := start; j < len(d.s); j++ {
		switch c := d.s[j]; {
		case c == '"':
			s := d.s[start:j]
			if !d.syntax && !utf8.ValidString(s) {
				return "", d.fail("invalid UTF-8")
			}
			d.i = j + 1
			return s, nil
		case c == '\\':
			return d.strEscaped(start)
		case c < 0x20:
			return "", d.fail("control character in string")
		}
	}
	return "", d.fail("unterminated string")
}

func (d *jsonDecoder) strEscaped(start int) (string, error) {
	var b strings.Builder
	j := start
	for j < len(d.s) {
		c := d.s[j]
		switch {
		case c == '"':
			d.i = j + 1
			if !d.syntax && !utf8.ValidString(b.String()) {
				return "", d.fail("invalid UTF-8")
			}
			return b.String(), nil
		case c < 0x20:
			return "", d.fail("control character in string")
		case c != '\\':
			b.WriteByte(c)
			j++
			continue
		}
		if j+1 >= len(d.s) {
			break
		}
		e := d.s[j+1]
		j += 2
		switch e {
		case '"', '\\', '/':
			b.WriteByte(e)
		case 'b':
			b.WriteByte('\b')
		case 'f':
			b.WriteByte('\f')
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		case 't':
			b.WriteByte('\t')
		case 'u':
			r, ok := hex4(d.s, j)
			if !ok {
				d.i = j
				return "", d.fail("invalid \\uXXXX escape")
			}
			j += 4
			if utf16.IsSurrogate(r) {
				if r2, ok := hex4(d.s, j+2); ok && j+1 < len(d.s) && d.s[j] == '\\' && d.s[j+1] == 'u' {
					if c := utf16.DecodeRune(r, r2); c != utf8.RuneError {
						b.WriteRune(c)
						j += 6
						continue
					}
				}
				r = utf8.RuneError
			}
			b.WriteRune(r)
		default:
			d.i = j
			return "", d.fail("invalid escape")
		}
	}
	return "", d.fail("unterminated string")
}

func hex4(s string, i int) (rune, bool) {
	if i+4 > len(s) {
		return 0, false
	}
	n, err := strconv.ParseUint(s[i:i+4], 16, 32)
	return rune(n), err == nil
}

func (d *jsonDecoder) number() (Value, error) {
	text, isFloat, err := d.scanNumber()
	if err != nil || d.syntax {
		return Value{}, err
	}
	return NumberValue(text, isFloat)
}

// scanNumber reads a number's text, checking its syntax.
func (d *jsonDecoder) scanNumber() (text string, isFloat bool, err error) {
	start := d.i
	if d.s[d.i] == '-' {
		d.i++
	}
	digits := func() int {
		k := d.i
		for d.i < len(d.s) && d.s[d.i] >= '0' && d.s[d.i] <= '9' {
			d.i++
		}
		return d.i - k
	}
	if d.i < len(d.s) && d.s[d.i] == '0' {
		d.i++
	} else if digits() == 0 {
		return "", false, d.fail("invalid number")
	}
	if d.i < len(d.s) && d.s[d.i] == '.' {
		d.i++
		if digits() == 0 {
			return "", false, d.fail("invalid number")
		}
		isFloat = true
	}
	if d.i < len(d.s) && (d.s[d.i] == 'e' || d.s[d.i] == 'E') {
		d.i++
		if d.i < len(d.s) && (d.s[d.i] == '+' || d.s[d.i] == '-') {
			d.i++
		}
		if digits() == 0 {
			return "", false, d.fail("invalid number")
		}
		isFloat = true
	}
	return d.s[start:d.i], isFloat, nil
}

// errIntDigits is an integer longer than Python's int() reads.
var errIntDigits = &JSONError{Msg: "integer with more than 4300 digits"}

// NumberValue converts JSON number text to an int or a float value.
func NumberValue(text string, isFloat bool) (Value, error) {
	if !isFloat {
		if n, err := strconv.ParseInt(text, 10, 64); err == nil {
			return Int(n), nil
		}
		if len(text) > maxIntDigits+1 {
			return Value{}, errIntDigits
		}
		b, ok := new(big.Int).SetString(text, 10)
		if !ok {
			return Value{}, &JSONError{Msg: "invalid number " + text}
		}
		return BigInt(b), nil
	}
	f, err := strconv.ParseFloat(text, 64)
	if err != nil {
		if ne, ok := err.(*strconv.NumError); !ok || ne.Err != strconv.ErrRange {
			return Value{}, &JSONError{Msg: "invalid number " + text}
		}
	}
	return Float(f), nil
}
