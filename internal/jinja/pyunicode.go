package jinja

import (
	_ "embed"
	"encoding/binary"
	"sort"
	"strings"
	"unicode/utf8"
)

// Python 3.11's character database, as CPython's str methods, \w and
// repr read it: pyunicode.bin is written by
// testdata/oracle/gen/unicode_gen.py from Python itself (Unicode 14.0.0;
// Go's unicode package is 15.0.0, where an emoji such as U+1FA77 is
// assigned and printable, while for Jinja2 it is unassigned and repr
// escapes it). Flags are per code point, mappings are the full upper,
// lower, title and casefold mappings of one character.

//go:embed pyunicode.bin
var pyUnicodeData []byte

const (
	pyAlpha uint16 = 1 << iota
	pyDecimal
	pyDigit
	pyNumeric
	pyPrintable
	pyUpperF // the Uppercase property (Lu and Other_Uppercase)
	pyLowerF // the Lowercase property (Ll and Other_Lowercase)
	pyTitleF // category Lt
	pySpace
	pyIDStart // '_' or XID_Start
	pyIDContinue
	pyCased
	pyCaseIgnorable
	pyAssigned // not Cn: \N{name} knows only these
)

const (
	mapUpper = iota
	mapLower
	mapTitle
	mapFold
)

var (
	pyRunStart []rune   // first code point of each run of equal flags
	pyRunFlags []uint16 // the flags of that run
	pyASCII    [utf8.RuneSelf]uint16
	pyMaps     map[rune]*[4]string
)

func init() {
	d := pyUnicodeData
	if len(d) < 8 || string(d[:4]) != "PYU1" {
		panic("jinja: pyunicode.bin is not a PYU1 table")
	}
	d = d[4:]
	u24 := func() rune {
		c := rune(d[0]) | rune(d[1])<<8 | rune(d[2])<<16
		d = d[3:]
		return c
	}
	n := int(binary.LittleEndian.Uint32(d))
	d = d[4:]
	pyRunStart = make([]rune, n)
	pyRunFlags = make([]uint16, n)
	for i := range n {
		pyRunStart[i] = u24()
		pyRunFlags[i] = binary.LittleEndian.Uint16(d)
		d = d[2:]
	}
	m := int(binary.LittleEndian.Uint32(d))
	d = d[4:]
	pyMaps = make(map[rune]*[4]string, m)
	for range m {
		c := u24()
		var mp [4]string
		for j := range mp {
			k := int(d[0])
			d = d[1:]
			if k == 0 {
				mp[j] = string(c)
				continue
			}
			var b strings.Builder
			for range k {
				b.WriteRune(u24())
			}
			mp[j] = b.String()
		}
		pyMaps[c] = &mp
	}
	if len(d) != 0 {
		panic("jinja: pyunicode.bin has trailing bytes")
	}
	for c := range rune(utf8.RuneSelf) {
		pyASCII[c] = pyFlagsSlow(c)
	}
}

func pyFlagsSlow(c rune) uint16 {
	i := sort.Search(len(pyRunStart), func(i int) bool { return pyRunStart[i] > c }) - 1
	if i < 0 {
		return 0
	}
	return pyRunFlags[i]
}

// pyFlags is Python's set of properties of c.
func pyFlags(c rune) uint16 {
	if c >= 0 && c < utf8.RuneSelf {
		return pyASCII[c]
	}
	return pyFlagsSlow(c)
}

func pyHas(c rune, f uint16) bool { return pyFlags(c)&f != 0 }

// pyMap is one of the full case mappings of c (mapUpper, ...).
func pyMap(c rune, which int) string {
	if m := pyMaps[c]; m != nil {
		return m[which]
	}
	return string(c)
}

// pyIsAlnum is Py_UNICODE_ISALNUM: isalpha, isdecimal, isdigit or
// isnumeric.
func pyIsAlnum(c rune) bool { return pyHas(c, pyAlpha|pyDecimal|pyDigit|pyNumeric) }

// lowerAt is CPython's lower_ucs4: the lower case of rs[i], where a
// capital sigma is final (ς) when a cased character precedes it and none
// follows, case-ignorable characters skipped on both sides.
func lowerAt(rs []rune, i int) string {
	c := rs[i]
	if c != 'Σ' {
		return pyMap(c, mapLower)
	}
	j := i - 1
	for j >= 0 && pyHas(rs[j], pyCaseIgnorable) {
		j--
	}
	final := j >= 0 && pyHas(rs[j], pyCased)
	if final {
		j = i + 1
		for j < len(rs) && pyHas(rs[j], pyCaseIgnorable) {
			j++
		}
		final = j == len(rs) || !pyHas(rs[j], pyCased)
	}
	if final {
		return "ς"
	}
	return "σ"
}

// pyCaseMap builds CPython's do_upper / do_lower / do_casefold /
// do_title / do_capitalize / do_swapcase result of s.
func pyCaseMap(s string, each func(rs []rune, i int) string) string {
	rs := []rune(s)
	var b strings.Builder
	b.Grow(len(s))
	for i := range rs {
		b.WriteString(each(rs, i))
	}
	return b.String()
}
