package tokens

import (
	"strings"
	"testing"

	"github.com/nikolalohinski/gonja/v2/config"
)

// describe renders tokens compactly: data as "D(text)", tags as their
// text, and names, numbers and strings as "N:x", "I:1", "F:1.5", "S:x".
func describe(toks []*Token) string {
	var parts []string
	for _, t := range toks {
		switch t.Type {
		case Data:
			parts = append(parts, "D("+t.Val+")")
		case Name:
			parts = append(parts, "N:"+t.Val)
		case Integer:
			parts = append(parts, "I:"+t.Val)
		case Float:
			parts = append(parts, "F:"+t.Val)
		case String:
			parts = append(parts, "S:"+t.Val)
		case EOF:
		case Error:
			parts = append(parts, "ERR("+t.Val+")")
		default:
			parts = append(parts, strings.TrimSpace(t.Val))
		}
	}
	return strings.Join(parts, " ")
}

func TestLexer(t *testing.T) {
	trim := config.New()
	trim.TrimBlocks, trim.LeftStripBlocks = true, true
	cases := []struct {
		name, in, want string
		cfg            *config.Config
	}{
		{"data", "hello", "D(hello)", nil},
		{"variable", "a{{ x }}b", "D(a) {{ N:x }} D(b)", nil},
		{"minus strips all white space", "a \n {{- x -}} \n b", "D(a) {{- N:x -}} D(b)", nil},
		{"plus keeps lstrip", "a\n  {%+ if x %}", "D(a\n  ) {%+ N:if N:x %}", trim},
		{"lstrip_blocks", "a\n  {% if x %}", "D(a\n) {% N:if N:x %}", trim},
		{"trim_blocks", "{% if x %}\nb", "{% N:if N:x %} D(b)", trim},
		{"comment", "a{# c #}b", "D(a) D(b)", nil},
		{"raw", "{% raw %}{{ x }}{% endraw %}", "D({{ x }})", nil},
		{"trailing newline dropped", "a\n", "D(a)", nil},
		{"crlf", "a\r\nb", "D(a\nb)", nil},
		{"keywords are names", "{{ not a in b is c }}", "{{ N:not N:a N:in N:b N:is N:c }}", nil},
		{"numbers", "{{ 1_000 0x1F 0b101 0o17 1e3 1.5 2E-3 }}", "{{ I:1_000 I:0x1F I:0b101 I:0o17 F:1e3 F:1.5 F:2E-3 }}", nil},
		{"x.1.2 is two items", "{{ x.1.2 }}", "{{ N:x . I:1 . I:2 }}", nil},
		{"operators longest first", "{{ a//b**c!=d }}", "{{ N:a // N:b ** N:c != N:d }}", nil},
		{"string escapes", `{{ '\\"' "\x41\u00e9" '\d' 'it\'s' }}`, `{{ S:\" S:Aé S:\d S:it's }}`, nil},
		{"octal escape", `{{ '\101\0' }}`, "{{ S:A\x00 }}", nil},
		{"unicode name", `{{ '\N{BULLET}' }}`, "{{ S:• }}", nil},
		{"unknown char", "{{ a $ b }}", "{{ N:a ERR(unexpected char '$' at 5)", nil},
		{"unbalanced", "{{ a) }}", "{{ N:a ERR(unexpected ')')", nil},
		{"mismatched", "{{ (a] }}", "{{ ( N:a ERR(unexpected ']', expected ')')", nil},
		{"brace inside variable", "{{ {'a': 1} }}", "{{ { S:a : I:1 } }}", nil},
		{"missing end of comment", "{# a", "ERR(Missing end of comment tag)", nil},
		{"missing end of raw", "{% raw %}a", "ERR(Missing end of raw directive)", nil},
		{"truncated escape", `{{ '\x4' }}`, `{{ ERR(truncated \xXX escape)`, nil},
		{"unterminated string", "{{ 'ab }}", "{{ ERR(unexpected char \"'\" at 3)", nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg := c.cfg
			if cfg == nil {
				cfg = config.New()
			}
			cfg.UnicodeName = func(name string) (rune, bool) { return '•', name == "BULLET" }
			if got := describe(Tokenize(c.in, cfg)); got != c.want {
				t.Errorf("Tokenize(%q)\n got %s\nwant %s", c.in, got, c.want)
			}
		})
	}
}

// TestLexerDeepInput checks that the lexer is iterative: 64 KB of "{{"
// and of "(" lex without growing the stack, ending in a token, not a
// crash.
func TestLexerDeepInput(t *testing.T) {
	for _, in := range []string{strings.Repeat("{{", 32<<10), "{{ " + strings.Repeat("(", 64<<10)} {
		toks := Tokenize(in, config.New())
		if last := toks[len(toks)-1]; last.Type != EOF && last.Type != Error {
			t.Errorf("last token %v", last)
		}
	}
}

func TestUnescapeString(t *testing.T) {
	for in, want := range map[string]string{
		`a\nb`: "a\nb", `\\`: `\`, `\'`: "'", `\"`: `"`, `\t\r\a\b\f\v`: "\t\r\a\b\f\v",
		`\x41`: "A", `\u00e9`: "é", `\U0001F600`: "😀", `\q`: `\q`, "é\\n": "é\n", `\é`: `\xe9`,
		"a\\\nb": "ab",
	} {
		got, err := UnescapeString(in, nil)
		if err != nil || got != want {
			t.Errorf("UnescapeString(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for in, msg := range map[string]string{
		`\x4`: `truncated \xXX escape`, `\u12`: `truncated \uXXXX escape`, `\U0011FFFF`: "illegal Unicode character",
		`\N{x}`: "unknown Unicode character name", `\N`: `malformed \N character escape`, `a\`: `\ at end of string`,
	} {
		if _, err := UnescapeString(in, nil); err == nil || err.Error() != msg {
			t.Errorf("UnescapeString(%q) error %v, want %q", in, err, msg)
		}
	}
}
