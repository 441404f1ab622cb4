package jinja

import (
	"fmt"
	"math"
	"strings"
)

// wordwrap is Jinja2's do_wordwrap: each line of str.splitlines() wrapped
// by Python's textwrap.wrap(expand_tabs=False, replace_whitespace=False),
// lines joined with wrapstring. The chunking is textwrap's wordsep_re (or
// wordsep_simple_re without break_on_hyphens), written out as a scanner
// because RE2 has no look-around.

func filterWordwrap(r *Renderer, v Value, a []Value) (Value, error) {
	if v.kind != KindString {
		return Value{}, r.noAttr(v, "splitlines")
	}
	// textwrap compares lengths with the width, so a float width wraps
	// as its floor; it slices with width - len only to break a long word.
	var w textWrapper
	if a[0].kind == KindFloat {
		f := a[0].FloatVal()
		w = textWrapper{width: int(max(min(math.Floor(f), 1<<40), -1)), floatWidth: true, widthText: formatFloat(f), invalid: f <= 0}
		if math.IsNaN(f) {
			return Value{}, valueErrorf("invalid width nan (a wrap that never ends in Python)")
		}
	} else {
		width, err := intArg("wordwrap", "width", a[0])
		if err != nil {
			return Value{}, err
		}
		w = textWrapper{width: int(max(min(width, 1<<40), -1))}
		w.widthText, w.invalid = fmt.Sprint(width), width <= 0
	}
	w.breakLong, w.breakHyphens = a[1].Truth(), a[3].Truth()
	// wrapstring.join: a str, a Markup (which escapes each line), or an
	// AttributeError once the first line is wrapped.
	sep, sepSafe := "\n", false
	switch a[2].kind {
	case KindNone:
	case KindString:
		sep, sepSafe = a[2].s, a[2].IsSafe()
	default:
		if lines := splitLines(v.s, false); len(lines) > 0 {
			if _, err := w.wrap(lines[0]); err != nil {
				return Value{}, err
			}
		}
		return Value{}, r.noAttr(a[2], "join")
	}
	if err := r.workBytes(len(v.s)); err != nil {
		return Value{}, err
	}
	lines := splitLines(v.s, false)
	out := make([]string, 0, len(lines))
	total := 0
	for _, line := range lines {
		wrapped, err := w.wrap(line)
		if err != nil {
			return Value{}, err
		}
		if err := r.work(len(wrapped)); err != nil {
			return Value{}, err
		}
		for i, l := range wrapped {
			if sepSafe {
				wrapped[i] = escapeHTML(l)
			}
			total += len(wrapped[i]) + len(sep)
		}
		if err := r.alloc(int64(total)); err != nil {
			return Value{}, err
		}
		out = append(out, joinStrings(wrapped, sep, total))
	}
	res := String(joinStrings(out, sep, total))
	res.safe = sepSafe
	return res, nil
}

type textWrapper struct {
	width        int
	floatWidth   bool   // width is a float: breaking a long word slices with it
	widthText    string // repr of the width
	invalid      bool   // width <= 0
	breakLong    bool
	breakHyphens bool
}

// textwrap's character classes: its own ASCII white space, Python's
// Unicode \w, and letter = [^\d\W].
func twSpace(c rune) bool  { return strings.ContainsRune("\t\n\x0b\x0c\r ", c) }
func twWord(c rune) bool   { return isWordRune(c) }
func twLetter(c rune) bool { return twWord(c) && !pyHas(c, pyDecimal) }
func twPunct(c rune) bool  { return twWord(c) || strings.ContainsRune("!\"'&.,?", c) }

// split cuts text into chunks as wordsep_re.split does.
func (w textWrapper) split(text []rune) [][]rune {
	var chunks [][]rune
	at := func(i int) rune {
		if i < 0 || i >= len(text) {
			return -1
		}
		return text[i]
	}
	for i := 0; i < len(text); {
		j := i + 1
		switch {
		case twSpace(text[i]):
			for j < len(text) && twSpace(text[j]) {
				j++
			}
		case !w.breakHyphens:
			for j < len(text) && !twSpace(text[j]) {
				j++
			}
		case i > 0 && twPunct(text[i-1]) && text[i] == '-' && at(i+1) == '-' && w.dashesThenWord(text, i):
			for text[j] == '-' {
				j++
			}
		default:
			j = w.wordEnd(text, i)
		}
		chunks = append(chunks, text[i:j])
		i = j
	}
	return chunks
}

// dashesThenWord reports whether text[i:] is -{2,} followed by \w.
func (w textWrapper) dashesThenWord(text []rune, i int) bool {
	j := i
	for j < len(text) && text[j] == '-' {
		j++
	}
	return j-i >= 2 && j < len(text) && twWord(text[j])
}

// wordEnd is the lazy `nws+?` alternative of wordsep_re starting at i:
// the shortest run of non-space followed by a breakable hyphen, the end
// of the word, or an em-dash.
func (w textWrapper) wordEnd(text []rune, i int) int {
	at := func(k int) rune {
		if k < 0 || k >= len(text) {
			return -1
		}
		return text[k]
	}
	letter := func(k int) bool { c := at(k); return c >= 0 && twLetter(c) }
	for j := i + 1; j <= len(text); j++ {
		if twSpace(text[j-1]) {
			return j - 1
		}
		if at(j) == '-' && (letter(j-2) && letter(j-1) || letter(j-3) && at(j-2) == '-' && letter(j-1)) &&
			letter(j+1) && (letter(j+2) || at(j+2) == '-' && letter(j+3)) {
			return j + 1
		}
		if j == len(text) || twSpace(text[j]) {
			return j
		}
		if c := at(j - 1); twPunct(c) && at(j) == '-' && w.dashesThenWord(text, j) {
			return j
		}
	}
	return len(text)
}

// wrap is TextWrapper._wrap_chunks with drop_whitespace, no indent and no
// max_lines.
func (w textWrapper) wrap(line string) ([]string, error) {
	if w.invalid {
		return nil, valueErrorf("invalid width %s (must be > 0)", w.widthText)
	}
	chunks := w.split([]rune(line))
	blank := func(c []rune) bool { return isBlank(string(c)) }
	var lines []string
	for len(chunks) > 0 {
		var cur [][]rune
		curLen := 0
		if blank(chunks[0]) && len(lines) > 0 {
			chunks = chunks[1:]
		}
		for len(chunks) > 0 && curLen+len(chunks[0]) <= w.width {
			cur = append(cur, chunks[0])
			curLen += len(chunks[0])
			chunks = chunks[1:]
		}
		if len(chunks) > 0 && len(chunks[0]) > w.width {
			var err error
			if cur, err = w.longWord(chunks, cur, curLen); err != nil {
				return nil, err
			}
			curLen = 0
			for _, c := range cur {
				curLen += len(c)
			}
		}
		for len(chunks) > 0 && len(chunks[0]) == 0 {
			chunks = chunks[1:]
		}
		if len(cur) > 0 && blank(cur[len(cur)-1]) {
			cur = cur[:len(cur)-1]
		}
		if len(cur) > 0 {
			var b strings.Builder
			for _, c := range cur {
				b.WriteString(string(c))
			}
			lines = append(lines, b.String())
		}
	}
	return lines, nil
}

// longWord is _handle_long_word: it moves (part of) chunks[0] onto the
// line, leaving the rest in chunks[0].
func (w textWrapper) longWord(chunks [][]rune, cur [][]rune, curLen int) ([][]rune, error) {
	spaceLeft := w.width - curLen
	if w.width < 1 {
		spaceLeft = 1
	}
	chunk := chunks[0]
	if w.breakLong && w.floatWidth && w.width >= 1 {
		return nil, typeErrorf("slice indices must be integers or None or have an __index__ method")
	}
	if w.breakLong {
		end := spaceLeft
		if w.breakHyphens && len(chunk) > spaceLeft {
			hyphen := -1
			for k := min(spaceLeft, len(chunk)) - 1; k >= 0; k-- {
				if chunk[k] == '-' {
					hyphen = k
					break
				}
			}
			if hyphen > 0 && strings.Trim(string(chunk[:hyphen]), "-") != "" {
				end = hyphen + 1
			}
		}
		end = min(end, len(chunk))
		chunks[0] = chunk[end:]
		return append(cur, chunk[:end]), nil
	}
	if len(cur) == 0 {
		chunks[0] = chunk[len(chunk):]
		return append(cur, chunk), nil
	}
	return cur, nil
}

func init() {
	register(filters, []string{"wordwrap"}, simple(sig("do_wordwrap", opt("width", Int(79)), opt("break_long_words", True),
		optNone("wrapstring"), opt("break_on_hyphens", True)), filterWordwrap))
}
