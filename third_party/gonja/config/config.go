// Package config provides configuration types for the template engine.
package config

// Config holds the lexer and parser parameters. The defaults are Jinja2's.
type Config struct {
	// The string marking the beginning of a block. Defaults to '{%'
	BlockStartString string
	// The string marking the end of a block. Defaults to '%}'.
	BlockEndString string
	// The string marking the beginning of a print statement. Defaults to '{{'.
	VariableStartString string
	// The string marking the end of a print statement. Defaults to '}}'.
	VariableEndString string
	// The string marking the beginning of a comment. Defaults to '{#'.
	CommentStartString string
	// The string marking the end of a comment. Defaults to '#}'.
	CommentEndString string
	// If set, the first newline after a block or comment is removed.
	TrimBlocks bool
	// If set, spaces and tabs from the start of a line to a block or
	// comment are removed.
	LeftStripBlocks bool
	// Preserve a single trailing newline at the end of the template source.
	KeepTrailingNewline bool
	// MaxDepth bounds the nesting of a template: brackets, unary
	// operators and statements, plus the links of each chain (a.b.c,
	// 1 + 2 + 3, x | f | g). Zero means parser.DefaultMaxDepth.
	MaxDepth int
	// UnicodeName resolves the name of a \N{name} escape in a string
	// literal (Python's unicodedata.lookup); nil makes such escapes errors.
	UnicodeName func(name string) (rune, bool)
}

// New returns Jinja2's default configuration.
func New() *Config {
	return &Config{
		BlockStartString:    "{%",
		BlockEndString:      "%}",
		VariableStartString: "{{",
		VariableEndString:   "}}",
		CommentStartString:  "{#",
		CommentEndString:    "#}",
	}
}

// Inherit returns a copy of c.
func (c *Config) Inherit() *Config {
	cp := *c
	return &cp
}
