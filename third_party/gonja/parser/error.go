package parser

import (
	"fmt"

	"github.com/nikolalohinski/gonja/v2/tokens"
)

// SyntaxError is a template that does not parse.
type SyntaxError struct {
	Message string
	Line    int
	Column  int
}

func (e *SyntaxError) Error() string {
	if e.Line == 0 {
		return e.Message
	}
	return fmt.Sprintf("%s (line %d)", e.Message, e.Line)
}

// Error makes a SyntaxError at token.
func (p *Parser) Error(message string, token *tokens.Token) error {
	if token == nil {
		return &SyntaxError{Message: message}
	}
	return &SyntaxError{Message: message, Line: token.Line, Column: token.Col}
}
