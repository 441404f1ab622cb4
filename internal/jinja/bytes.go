package jinja

import (
	"encoding/hex"
	"math/big"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Python's bytes, which templates make with str.encode() and
// int.to_bytes(): length, indexing (ints), slicing, iteration, comparison,
// + and *, `in`, repr (b'caf\xc3\xa9', which is also their str()), and
// the methods decode and hex. Value.s holds the bytes.

// Bytes returns a bytes value.
func Bytes(b string) Value { return Value{kind: KindBytes, s: b} }

// bytesRepr is Python's repr of bytes.
func bytesRepr(b string) string {
	quote := byte('\'')
	if strings.IndexByte(b, '\'') >= 0 && strings.IndexByte(b, '"') < 0 {
		quote = '"'
	}
	var out strings.Builder
	out.WriteByte('b')
	out.WriteByte(quote)
	for i := 0; i < len(b); i++ {
		c := b[i]
		switch {
		case c == quote || c == '\\':
			out.WriteByte('\\')
			out.WriteByte(c)
		case c == '\t':
			out.WriteString(`\t`)
		case c == '\n':
			out.WriteString(`\n`)
		case c == '\r':
			out.WriteString(`\r`)
		case c < 0x20 || c >= 0x7f:
			out.WriteString(`\x` + hex.EncodeToString([]byte{c}))
		default:
			out.WriteByte(c)
		}
	}
	out.WriteByte(quote)
	return out.String()
}

// encodingName normalises a Python codec name to utf-8, ascii or latin-1.
func encodingName(name string) (string, bool) {
	n := strings.NewReplacer("_", "-", " ", "-").Replace(strings.ToLower(name))
	switch n {
	case "utf-8", "utf8", "u8", "utf", "cp65001":
		return "utf-8", true
	case "ascii", "us-ascii", "646":
		return "ascii", true
	case "latin-1", "latin1", "iso-8859-1", "iso8859-1", "8859", "cp819", "l1", "latin":
		return "latin-1", true
	}
	return "", false
}

// encode is str.encode(encoding, errors).
func (r *Renderer) encode(s string, a []Value) (Value, error) {
	enc, errs, err := codecArgs("encode", a)
	if err != nil {
		return Value{}, err
	}
	if err := r.alloc(int64(len(s))); err != nil {
		return Value{}, err
	}
	if enc == "utf-8" {
		return Bytes(s), nil
	}
	limit := rune(0x7f)
	if enc == "latin-1" {
		limit = 0xff
	}
	var b strings.Builder
	pos := 0
	for _, c := range s {
		switch {
		case c <= limit:
			b.WriteByte(byte(c))
		case errs == "ignore":
		case errs == "replace":
			b.WriteByte('?')
		case errs == "backslashreplace":
			b.WriteString(backslashEscape(c))
		case errs == "xmlcharrefreplace":
			b.WriteString("&#" + strconv.Itoa(int(c)) + ";")
		default:
			return Value{}, newError("UnicodeEncodeError", "'%s' codec can't encode character %s in position %d: ordinal not in range(%d)",
				map[string]string{"ascii": "ascii", "latin-1": "latin-1"}[enc], pyQuote(backslashEscape(c)), pos, limit+1)
		}
		pos++
	}
	return Bytes(b.String()), nil
}

// decode is bytes.decode(encoding, errors).
func (r *Renderer) decode(b string, a []Value) (Value, error) {
	enc, errs, err := codecArgs("decode", a)
	if err != nil {
		return Value{}, err
	}
	if err := r.alloc(int64(2 * len(b))); err != nil {
		return Value{}, err
	}
	var out strings.Builder
	for i := 0; i < len(b); {
		c := b[i]
		switch {
		case enc == "latin-1":
			out.WriteRune(rune(c))
			i++
			continue
		case enc == "ascii" && c < 0x80:
			out.WriteByte(c)
			i++
			continue
		case enc == "utf-8":
			if r, w := utf8.DecodeRuneInString(b[i:]); r != utf8.RuneError || w > 1 {
				out.WriteString(b[i : i+w])
				i += w
				continue
			}
		}
		switch errs {
		case "ignore":
		case "replace":
			out.WriteRune(utf8.RuneError)
		case "backslashreplace":
			out.WriteString(`\x` + hex.EncodeToString([]byte{c}))
		default:
			reason := "ordinal not in range(128)"
			if enc == "utf-8" {
				reason = "invalid start byte"
				if c >= 0x80 && c < 0xc0 {
					reason = "invalid start byte"
				} else if c >= 0xc0 {
					reason = "invalid continuation byte"
				}
			}
			return Value{}, newError("UnicodeDecodeError", "'%s' codec can't decode byte 0x%02x in position %d: %s", enc, c, i, reason)
		}
		i++
	}
	return String(out.String()), nil
}

func codecArgs(name string, a []Value) (string, string, error) {
	if a[0].kind != KindString {
		return "", "", typeErrorf("%s() argument 'encoding' must be str, not %s", name, a[0].TypeName())
	}
	if a[1].kind != KindString {
		return "", "", typeErrorf("%s() argument 'errors' must be str, not %s", name, a[1].TypeName())
	}
	enc, ok := encodingName(a[0].s)
	if !ok {
		return "", "", newError("LookupError", "unknown encoding: %s", a[0].s)
	}
	return enc, a[1].s, nil
}

// backslashEscape is a character as \xhh, \uhhhh or \Uhhhhhhhh.
func backslashEscape(c rune) string {
	switch {
	case c < 0x100:
		return `\x` + hex2(int(c), 2)
	case c < 0x10000:
		return `\u` + hex2(int(c), 4)
	}
	return `\U` + hex2(int(c), 8)
}

// intToBytes is int.to_bytes(length=1, byteorder='big', *, signed=False).
func (r *Renderer) intToBytes(self Value, a []Value) (Value, error) {
	n, err := intArg("to_bytes", "length", a[0])
	if err != nil {
		return Value{}, err
	}
	if n < 0 {
		return Value{}, valueErrorf("length argument must be non-negative")
	}
	if a[1].kind != KindString || a[1].s != "big" && a[1].s != "little" {
		return Value{}, valueErrorf("byteorder must be either 'little' or 'big'")
	}
	if err := r.alloc(n); err != nil {
		return Value{}, err
	}
	x := new(big.Int).Set(self.Big())
	limit := new(big.Int).Lsh(big.NewInt(1), uint(8*n)) // 2^(8n)
	if a[2].Truth() {
		half := new(big.Int).Rsh(limit, 1)
		if x.Cmp(half) >= 0 || x.Cmp(new(big.Int).Neg(half)) < 0 {
			return Value{}, newError(OverflowError, "int too big to convert")
		}
		if x.Sign() < 0 {
			x.Add(x, limit) // two's complement
		}
	} else {
		if x.Sign() < 0 {
			return Value{}, newError(OverflowError, "can't convert negative int to unsigned")
		}
		if x.Cmp(limit) >= 0 {
			return Value{}, newError(OverflowError, "int too big to convert")
		}
	}
	out := make([]byte, n)
	x.FillBytes(out)
	if a[1].s == "little" {
		for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
			out[i], out[j] = out[j], out[i]
		}
	}
	return Bytes(string(out)), nil
}

// bytesMethods are the methods of bytes the sandbox allows that
// templates plausibly use.
var bytesMethods = map[string]method{}

func init() {
	codec := func(name string) *signature {
		return sig(name, opt("encoding", String("utf-8")), opt("errors", String("strict")))
	}
	strMethods["encode"] = func(r *Renderer, self Value, args []Value, kw []Kwarg) (Value, error) {
		a, err := codec("encode").bind(args, kw)
		if err != nil {
			return Value{}, err
		}
		return r.encode(self.s, a)
	}
	bytesMethods["decode"] = func(r *Renderer, self Value, args []Value, kw []Kwarg) (Value, error) {
		a, err := codec("decode").bind(args, kw)
		if err != nil {
			return Value{}, err
		}
		return r.decode(self.s, a)
	}
	bytesMethods["hex"] = withSig(sig("hex"), func(r *Renderer, self Value, _ []Value) (Value, error) {
		if err := r.alloc(2 * int64(len(self.s))); err != nil {
			return Value{}, err
		}
		return String(hex.EncodeToString([]byte(self.s))), nil
	})
	for _, name := range []string{"upper", "lower"} {
		upper := name == "upper"
		bytesMethods[name] = withSig(sig(name), func(r *Renderer, self Value, _ []Value) (Value, error) {
			b := []byte(self.s)
			for i, c := range b {
				switch {
				case upper && c >= 'a' && c <= 'z':
					b[i] = c - 32
				case !upper && c >= 'A' && c <= 'Z':
					b[i] = c + 32
				}
			}
			return Bytes(string(b)), r.alloc(int64(len(b)))
		})
	}
	sub := func(name string, v Value) (string, error) {
		if v.kind != KindBytes {
			return "", typeErrorf("argument should be integer or bytes-like object, not '%s'", v.TypeName())
		}
		return v.s, nil
	}
	bytesMethods["count"] = withSig(sig("count", req("sub")), func(r *Renderer, self Value, a []Value) (Value, error) {
		s, err := sub("count", a[0])
		if err != nil {
			return Value{}, err
		}
		return Int(int64(strings.Count(self.s, s))), nil
	})
	bytesMethods["find"] = withSig(sig("find", req("sub")), func(r *Renderer, self Value, a []Value) (Value, error) {
		s, err := sub("find", a[0])
		if err != nil {
			return Value{}, err
		}
		return Int(int64(strings.Index(self.s, s))), nil
	})
	for _, name := range []string{"startswith", "endswith"} {
		suffix := name == "endswith"
		bytesMethods[name] = withSig(sig(name, req("prefix")), func(r *Renderer, self Value, a []Value) (Value, error) {
			if a[0].kind != KindBytes {
				return Value{}, typeErrorf("%s first arg must be bytes or a tuple of bytes, not %s", name, a[0].TypeName())
			}
			if suffix {
				return Bool(strings.HasSuffix(self.s, a[0].s)), nil
			}
			return Bool(strings.HasPrefix(self.s, a[0].s)), nil
		})
	}
	intMethods["to_bytes"] = func(r *Renderer, self Value, args []Value, kw []Kwarg) (Value, error) {
		if len(args) > 2 {
			return Value{}, typeErrorf("to_bytes() takes at most 2 positional arguments (%d given)", len(args))
		}
		a, err := sig("to_bytes", opt("length", Int(1)), opt("byteorder", String("big")), opt("signed", False)).bind(args, kw)
		if err != nil {
			return Value{}, err
		}
		return r.intToBytes(self, a)
	}
}
