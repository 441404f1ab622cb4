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
		if err == nil && (len(hex) == 4 || len(hex) == 5) && runenames.Name(rune(n)) == "<CJK Ideograph>" {
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
	return r, ok
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
