package tokens

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/nikolalohinski/gonja/v2/config"
)

// The lexer follows Jinja2's lexer (jinja2/lexer.py, Lexer.tokeniter and
// Lexer.wrap): the same states (data, comment, block, variable, raw), the
// same whitespace control ("-" strips all white space on that side, "+"
// keeps it), the same token rules inside tags (white space including
// newlines, float, integer, name, string, operator, in that order) and the
// same errors (an unknown character, unbalanced brackets, a missing end of
// comment or raw block). Keywords (and, or, not, in, is, if, ...) are Name
// tokens, as in Jinja2: the parser tells them apart. String tokens carry
// their decoded value (Python's unicode-escape rules); Integer and Float
// tokens carry their source text.

// Lexer holds the state of the scanner.
type Lexer struct {
	Input  string         // the source, newlines normalised
	Config *config.Config // delimiters and whitespace options

	pos       int      // current offset in Input
	line      int      // line of pos, from 1
	lineStart int      // offset where the current line starts
	balance   []byte   // open brackets inside a tag, as their closers
	out       []*Token // the tokens
	slab      []Token  // storage for tokens, to allocate them in bulk
}

// normalizeInput turns \r\n and \r into \n and drops one trailing newline
// unless the configuration keeps it, as Jinja2's tokeniter does.
func normalizeInput(input string, cfg *config.Config) string {
	if strings.IndexByte(input, '\r') >= 0 {
		input = strings.ReplaceAll(input, "\r\n", "\n")
		input = strings.ReplaceAll(input, "\r", "\n")
	}
	if !cfg.KeepTrailingNewline && strings.HasSuffix(input, "\n") {
		input = input[:len(input)-1]
	}
	return input
}

// NewLexer creates a new scanner for the input string.
func NewLexer(input string, cfg *config.Config) *Lexer {
	return &Lexer{Input: normalizeInput(input, cfg), Config: cfg, line: 1}
}

// Lex lexes the input into a stream of tokens.
func Lex(input string, cfg *config.Config) *Stream {
	return LexAll(input, cfg)
}

// LexAll lexes the whole input and returns the tokens as a stream. A
// lexing error ends the stream with an Error token whose value is the
// message.
func LexAll(input string, cfg *config.Config) *Stream {
	return NewStream(Tokenize(input, cfg))
}

// Tokenize lexes the whole input. The last token is EOF, or Error.
func Tokenize(input string, cfg *config.Config) []*Token {
	l := NewLexer(input, cfg)
	est := len(l.Input)/4 + 8
	l.out = make([]*Token, 0, est)
	l.slab = make([]Token, est)
	if err := l.run(); err != nil {
		l.emitAt(Error, err.Error(), l.pos)
	} else {
		l.emitAt(EOF, "", l.pos)
	}
	return l.out
}

// TokenizeExpression lexes input as the inside of a {{ }} tag, as
// Jinja2 lexes compile_expression's source (state "variable"): an end
// delimiter in it ends the tag, and what follows is lexed as template data.
func TokenizeExpression(input string, cfg *config.Config) []*Token {
	l := NewLexer(input, cfg)
	l.out = make([]*Token, 0, len(l.Input)/4+8)
	err := l.lexTag(VariableEnd)
	if err == nil {
		err = l.run()
	}
	if err != nil {
		l.emitAt(Error, err.Error(), l.pos)
	} else {
		l.emitAt(EOF, "", l.pos)
	}
	return l.out
}

// lexError is a lexing failure, as Jinja2 words it.
type lexError struct{ msg string }

func (e *lexError) Error() string { return e.msg }

func (l *Lexer) errorf(format string, args ...any) error {
	return &lexError{fmt.Sprintf(format, args...)}
}

func (l *Lexer) emitAt(t Type, val string, at int) {
	if len(l.slab) == 0 {
		l.slab = make([]Token, 16)
	}
	tok := &l.slab[0]
	l.slab = l.slab[1:]
	l.advanceLines(at)
	*tok = Token{Type: t, Val: val, Pos: at, Line: l.line, Col: at - l.lineStart + 1}
	l.out = append(l.out, tok)
}

// advanceLines moves the line counter up to offset at.
func (l *Lexer) advanceLines(at int) {
	for {
		i := strings.IndexByte(l.Input[l.lineStart:], '\n')
		if i < 0 || l.lineStart+i >= at {
			return
		}
		l.lineStart += i + 1
		l.line++
	}
}

// run lexes data and tags until the end of the input.
func (l *Lexer) run() error {
	cfg := l.Config
	for l.pos < len(l.Input) {
		start, kind, sign, end := l.nextTag(l.pos)
		if kind == tagNone {
			l.emitData(l.Input[l.pos:], l.pos)
			l.pos = len(l.Input)
			break
		}
		text := l.Input[l.pos:start]
		switch {
		case sign == '-':
			text = strings.TrimRightFunc(text, IsSpace)
		case sign != '+' && cfg.LeftStripBlocks && kind != tagVariable:
			text = l.lstrip(text, l.pos)
		}
		l.emitData(text, l.pos)
		l.pos = end
		var err error
		switch kind {
		case tagRaw:
			err = l.lexRaw()
		case tagComment:
			err = l.lexComment()
		case tagVariable:
			l.emitAt(VariableBegin, l.Input[start:end], start)
			err = l.lexTag(VariableEnd)
		case tagBlock:
			l.emitAt(BlockBegin, l.Input[start:end], start)
			err = l.lexTag(BlockEnd)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// lstrip removes the white space between the last newline of text, which
// starts at offset from, and the tag after it, when only white space is
// there (lstrip_blocks).
func (l *Lexer) lstrip(text string, from int) string {
	nl := strings.LastIndexByte(text, '\n') + 1
	if nl == 0 && from > 0 && l.Input[from-1] != '\n' {
		return text
	}
	if strings.TrimFunc(text[nl:], IsSpace) != "" {
		return text
	}
	return text[:nl]
}

func (l *Lexer) emitData(text string, at int) {
	if text != "" {
		l.emitAt(Data, text, at)
	}
}

type tagKind int

const (
	tagNone tagKind = iota
	tagRaw
	tagComment
	tagBlock
	tagVariable
)

// nextTag finds the first tag opening at or after from: its offset, kind,
// whitespace-control sign ('-', '+' or 0) and the offset after its opening
// (after "{% raw %}" as a whole for a raw block).
func (l *Lexer) nextTag(from int) (int, tagKind, byte, int) {
	cfg := l.Config
	in := l.Input
	starts := []struct {
		s    string
		kind tagKind
	}{
		{cfg.VariableStartString, tagVariable},
		{cfg.CommentStartString, tagComment},
		{cfg.BlockStartString, tagBlock},
	}
	firsts := ""
	for _, st := range starts {
		if st.s != "" && strings.IndexByte(firsts, st.s[0]) < 0 {
			firsts += st.s[:1]
		}
	}
	for i := from; i < len(in); i++ {
		j := strings.IndexAny(in[i:], firsts)
		if j < 0 {
			break
		}
		i += j
		best, bestLen := tagNone, 0
		for _, st := range starts {
			if st.s != "" && len(st.s) > bestLen && strings.HasPrefix(in[i:], st.s) {
				best, bestLen = st.kind, len(st.s)
			}
		}
		if best == tagNone {
			continue
		}
		end := i + bestLen
		var sign byte
		if end < len(in) && (in[end] == '-' || in[end] == '+') {
			sign = in[end]
			end++
		}
		if best == tagBlock {
			if rawEnd, ok := l.matchRawBegin(end); ok {
				return i, tagRaw, sign, rawEnd
			}
		}
		return i, best, sign, end
	}
	return 0, tagNone, 0, 0
}

// matchRawBegin matches `\s*raw\s*(-%}\s*|%})` at offset at.
func (l *Lexer) matchRawBegin(at int) (int, bool) {
	in := l.Input
	i := skipSpace(in, at)
	if !strings.HasPrefix(in[i:], "raw") {
		return 0, false
	}
	i = skipSpace(in, i+3)
	end := l.Config.BlockEndString
	switch {
	case strings.HasPrefix(in[i:], "-"+end):
		return skipSpace(in, i+1+len(end)), true
	case strings.HasPrefix(in[i:], end):
		return i + len(end), true
	}
	return 0, false
}

// lexRaw emits the text of a raw block up to its {% endraw %}.
func (l *Lexer) lexRaw() error {
	in := l.Input
	start := l.Config.BlockStartString
	for i := l.pos; i < len(in); i++ {
		if !strings.HasPrefix(in[i:], start) {
			continue
		}
		j := i + len(start)
		var sign byte
		if j < len(in) && (in[j] == '-' || in[j] == '+') {
			sign = in[j]
			j++
		}
		j = skipSpace(in, j)
		if !strings.HasPrefix(in[j:], "endraw") {
			continue
		}
		j = skipSpace(in, j+len("endraw"))
		end, ok := l.matchBlockEnd(j)
		if !ok {
			continue
		}
		text := in[l.pos:i]
		switch {
		case sign == '-':
			text = strings.TrimRightFunc(text, IsSpace)
		case sign != '+' && l.Config.LeftStripBlocks:
			text = l.lstrip(text, l.pos)
		}
		l.emitData(text, l.pos)
		l.pos = end
		return nil
	}
	return l.errorf("Missing end of raw directive")
}

// matchBlockEnd matches `+%}`, `-%}\s*` or `%}` (plus one newline with
// trim_blocks) at offset at.
func (l *Lexer) matchBlockEnd(at int) (int, bool) {
	return l.matchEnd(at, l.Config.BlockEndString, true)
}

// matchEnd matches the end delimiter end with its whitespace control at
// offset at. Block and comment ends take "+" and, with trim_blocks, one
// newline; variable ends do not.
func (l *Lexer) matchEnd(at int, end string, block bool) (int, bool) {
	in := l.Input
	switch {
	case block && strings.HasPrefix(in[at:], "+"+end):
		return at + 1 + len(end), true
	case strings.HasPrefix(in[at:], "-"+end):
		return skipSpace(in, at+1+len(end)), true
	case strings.HasPrefix(in[at:], end):
		at += len(end)
		if block && l.Config.TrimBlocks && strings.HasPrefix(in[at:], "\n") {
			at++
		}
		return at, true
	}
	return 0, false
}

// lexComment skips a comment up to its end delimiter.
func (l *Lexer) lexComment() error {
	in := l.Input
	end := l.Config.CommentEndString
	for i := l.pos; i < len(in); i++ {
		if e, ok := l.matchEnd(i, end, true); ok {
			l.pos = e
			return nil
		}
	}
	return l.errorf("Missing end of comment tag")
}

// lexTag emits the tokens of a tag up to its end delimiter.
func (l *Lexer) lexTag(endType Type) error {
	in := l.Input
	endStr := l.Config.VariableEndString
	block := false
	if endType == BlockEnd {
		endStr, block = l.Config.BlockEndString, true
	}
	l.balance = l.balance[:0]
	for {
		if l.pos >= len(in) {
			// Jinja2 reports the end of the template from the parser.
			return nil
		}
		if len(l.balance) == 0 {
			if e, ok := l.matchEnd(l.pos, endStr, block); ok {
				l.emitAt(endType, in[l.pos:e], l.pos)
				l.pos = e
				return nil
			}
		}
		r, w := utf8.DecodeRuneInString(in[l.pos:])
		switch {
		case IsSpace(r):
			l.pos += w
		case isDigit(r):
			if err := l.lexNumber(); err != nil {
				return err
			}
		case r == '\'' || r == '"':
			if err := l.lexString(byte(r)); err != nil {
				return err
			}
		case isNameStart(r) || isNameChar(r):
			l.lexName()
		default:
			if err := l.lexOperator(); err != nil {
				return err
			}
		}
	}
}

func skipSpace(s string, i int) int {
	for i < len(s) {
		r, w := utf8.DecodeRuneInString(s[i:])
		if !IsSpace(r) {
			break
		}
		i += w
	}
	return i
}

// IsSpace reports whether r is white space as Python's str.isspace and
// the \s of its regular expressions define it: Go's unicode.IsSpace plus
// the information separators U+001C..U+001F.
func IsSpace(r rune) bool {
	return unicode.IsSpace(r) || r >= 0x1c && r <= 0x1f
}

func isDigit(r rune) bool { return r >= '0' && r <= '9' }

// isNameStart and isNameChar approximate Python's str.isidentifier, which
// Jinja2 applies to every name.
func isNameStart(r rune) bool {
	return r == '_' || unicode.IsLetter(r) || unicode.Is(unicode.Nl, r) || unicode.Is(unicode.Other_ID_Start, r)
}

func isNameChar(r rune) bool {
	return isNameStart(r) || unicode.IsDigit(r) || unicode.In(r, unicode.Mn, unicode.Mc, unicode.Nd, unicode.Pc) ||
		unicode.Is(unicode.Other_ID_Continue, r)
}

func (l *Lexer) lexName() {
	in := l.Input
	start := l.pos
	for l.pos < len(in) {
		r, w := utf8.DecodeRuneInString(in[l.pos:])
		if !isNameChar(r) {
			break
		}
		l.pos += w
	}
	l.emitAt(Name, in[start:l.pos], start)
}

// operators are Jinja2's, longest first.
var operators = []struct {
	s string
	t Type
}{
	{"//", FloorDivision}, {"**", Power}, {"==", Equals}, {"!=", Ne}, {">=", GreaterThanOrEqual},
	{"<=", LowerThanOrEqual}, {"+", Addition}, {"-", Subtraction}, {"/", Division}, {"*", Multiply},
	{"%", Modulo}, {"~", Tilde}, {"[", LeftBracket}, {"]", RightBracket}, {"(", LeftParenthesis},
	{")", RightParenthesis}, {"{", LeftBrace}, {"}", RightBrace}, {">", GreaterThan}, {"<", LowerThan},
	{"=", Assign}, {".", Dot}, {":", Colon}, {"|", Pipe}, {",", Comma}, {";", Semicolon},
}

func (l *Lexer) lexOperator() error {
	in := l.Input[l.pos:]
	for _, op := range operators {
		if !strings.HasPrefix(in, op.s) {
			continue
		}
		switch op.t {
		case LeftBrace:
			l.balance = append(l.balance, '}')
		case LeftParenthesis:
			l.balance = append(l.balance, ')')
		case LeftBracket:
			l.balance = append(l.balance, ']')
		case RightBrace, RightParenthesis, RightBracket:
			if len(l.balance) == 0 {
				return l.errorf("unexpected '%s'", op.s)
			}
			want := l.balance[len(l.balance)-1]
			if want != op.s[0] {
				return l.errorf("unexpected '%s', expected '%c'", op.s, want)
			}
			l.balance = l.balance[:len(l.balance)-1]
		}
		l.emitAt(op.t, op.s, l.pos)
		l.pos += len(op.s)
		return nil
	}
	r, _ := utf8.DecodeRuneInString(in)
	return l.errorf("unexpected char %s at %d", pyQuoteRune(r), l.pos)
}

func pyQuoteRune(r rune) string {
	if r == '\'' {
		return `"'"`
	}
	if r == '\\' {
		return `'\\'`
	}
	return "'" + string(r) + "'"
}
