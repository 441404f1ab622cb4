package jinja

import (
	"strconv"
	"strings"
	"sync"

	"golang.org/x/text/unicode/runenames"
)

// lookupUnicodeName is Python's \N{name}: a character by its Unicode name,
// case-insensitively, including the algorithmic names of CJK ideographs
// and Hangul syllables. The table is built on first use (~15 ms).
func lookupUnicodeName(name string) (rune, bool) {
	name = strings.ToUpper(name)
	if hex, ok := strings.CutPrefix(name, "CJK UNIFIED IDEOGRAPH-"); ok {
		n, err := strconv.ParseUint(hex, 16, 32)
		if err == nil && (len(hex) == 4 || len(hex) == 5) && isCJKUnified(rune(n)) {
			return rune(n), true
		}
		return 0, false
	}
	if syl, ok := strings.CutPrefix(name, "HANGUL SYLLABLE "); ok {
		return hangulSyllable(syl)
	}
	unicodeNamesOnce.Do(func() {
		unicodeNames = make(map[string]rune, 40000)
		for r := rune(0); r <= 0x10FFFF; r++ {
			if n := runenames.Name(r); n != "" && n[0] != '<' {
				unicodeNames[n] = r
			}
		}
	})
	r, ok := unicodeNames[name]
	return r, ok && pyHas(r, pyAssigned) // Python 3.11 names Unicode 14.0's characters only
}

// isCJKUnified reports whether c is named CJK UNIFIED IDEOGRAPH-<hex> in
// Python 3.11's database (Unicode 14.0.0: Extension H is not there yet).
func isCJKUnified(c rune) bool {
	for _, r := range [][2]rune{{0x3400, 0x4DBF}, {0x4E00, 0x9FFF}, {0x20000, 0x2A6DF}, {0x2A700, 0x2B738},
		{0x2B740, 0x2B81D}, {0x2B820, 0x2CEA1}, {0x2CEB0, 0x2EBE0}, {0x30000, 0x3134A}} {
		if c >= r[0] && c <= r[1] {
			return true
		}
	}
	return false
}

var (
	unicodeNamesOnce sync.Once
	unicodeNames     map[string]rune
)

// hangulSyllable composes a syllable from its romanised jamo (Unicode's
// algorithm, chapter 3.12).
func hangulSyllable(name string) (rune, bool) {
	leads := []string{"G", "GG", "N", "D", "DD", "R", "M", "B", "BB", "S", "SS", "", "J", "JJ", "C", "K", "T", "P", "H"}
	vowels := []string{"A", "AE", "YA", "YAE", "EO", "E", "YEO", "YE", "O", "WA", "WAE", "OE", "YO", "U", "WEO", "WE", "WI", "YU", "EU", "YI", "I"}
	tails := []string{"", "G", "GG", "GS", "N", "NJ", "NH", "D", "L", "LG", "LM", "LB", "LS", "LT", "LP", "LH", "M", "B", "BS", "S", "SS", "NG", "J", "C", "K", "T", "P", "H"}
	for l, lead := range leads {
		rest, ok := strings.CutPrefix(name, lead)
		if !ok {
			continue
		}
		for v, vowel := range vowels {
			tail, ok := strings.CutPrefix(rest, vowel)
			if !ok {
				continue
			}
			for t, tl := range tails {
				if tail == tl {
					return rune(0xAC00 + (l*21+v)*28 + t), true
				}
			}
		}
	}
	return 0, false
}
