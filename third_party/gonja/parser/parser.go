// Package parser provides the template parser implementation.
//
// Expressions are parsed with Jinja2's grammar (jinja2/parser.py, from
// parse_condexpr down to parse_primary): the same precedence, chained
// comparisons, tests and filters bound to the unary operand, inline if.
// Statements ({% ... %}) are parsed by the ControlStructureParser
// registered for their name; an unknown name is an error.
//
// Every recursion of the parser is bounded: nesting (brackets, unary
// operators, statements) and the length of left-assoc chains (a.b.c,
// 1+2+3, x|f|g) together may not exceed Config.MaxDepth, so a hostile
// template cannot exhaust the stack, here or in whatever walks the tree.
package parser

import (
	"fmt"
	"slices"
	"strings"

	"github.com/nikolalohinski/gonja/v2/config"
	"github.com/nikolalohinski/gonja/v2/nodes"
	"github.com/nikolalohinski/gonja/v2/tokens"
)

type ControlStructureGetter interface {
	Get(name string) (ControlStructureParser, bool)
}

// DefaultMaxDepth bounds nesting when Config.MaxDepth is zero.
const DefaultMaxDepth = 200

// Parser turns a token stream into a syntax tree.
type Parser struct {
	identifier        string
	stream            *tokens.Stream
	controlStructures ControlStructureGetter

	Config   *config.Config
	Template *nodes.Template

	depth    *int // shared with the parsers of statement arguments
	maxDepth int
	endTags  *[][]string           // the end tags looked for, innermost last
	nsRefs   []*nodes.GetAttribute // ns.attr targets parsed as namespace references
}

func (p *Parser) Stream() *tokens.Stream {
	return p.stream
}

// NewParser creates a new parser to parse tokens.
func NewParser(identifier string, stream *tokens.Stream, cfg *config.Config, controlStructures ControlStructureGetter) *Parser {
	depth := 0
	max := cfg.MaxDepth
	if max <= 0 {
		max = DefaultMaxDepth
	}
	return &Parser{
		identifier:        identifier,
		stream:            stream,
		controlStructures: controlStructures,
		Config:            cfg,
		depth:             &depth,
		maxDepth:          max,
		endTags:           new([][]string),
	}
}

// Sub returns a parser over stream that shares p's nesting budget.
func (p *Parser) Sub(stream *tokens.Stream) *Parser {
	q := *p
	q.stream = stream
	return &q
}

// DepthError is returned when a template nests deeper than the limit.
type DepthError struct {
	Limit int
	Line  int
}

func (e *DepthError) Error() string {
	return fmt.Sprintf("template nested more than %d levels deep (line %d)", e.Limit, e.Line)
}

// Enter counts one level of nesting; it fails past the limit.
func (p *Parser) Enter() error {
	*p.depth++
	if *p.depth > p.maxDepth {
		return &DepthError{Limit: p.maxDepth, Line: p.stream.Current().Line}
	}
	return nil
}

// Leave gives back n levels counted by Enter.
func (p *Parser) Leave(n int) { *p.depth -= n }

// Consume one token. It will be gone forever.
func (p *Parser) Consume() {
	p.stream.Next()
}

// Next returns and consume the current token
func (p *Parser) Next() *tokens.Token {
	return p.stream.Next()
}

// End reports whether the stream is at its end (EOF or a lexing error).
func (p *Parser) End() bool {
	return p.stream.End()
}

// Match returns the CURRENT token if the given type matches.
// Consumes this token on success.
func (p *Parser) Match(types ...tokens.Type) *tokens.Token {
	tok := p.stream.Current()
	if slices.Contains(types, tok.Type) {
		p.stream.Next()
		return tok
	}
	return nil
}

// MatchName consumes and returns the current token when it is a name
// among names.
func (p *Parser) MatchName(names ...string) *tokens.Token {
	if t := p.CurrentName(names...); t != nil {
		return p.Pop()
	}
	return nil
}

// Pop returns the current token and advance to the next
func (p *Parser) Pop() *tokens.Token {
	t := p.stream.Current()
	p.stream.Next()
	return t
}

// Current returns the current token without consuming
// it and only if it matches one of the given types
func (p *Parser) Current(types ...tokens.Type) *tokens.Token {
	tok := p.stream.Current()
	if types == nil || slices.Contains(types, tok.Type) {
		return tok
	}
	return nil
}

// Peek returns the token after the current one when it matches types.
func (p *Parser) Peek(types ...tokens.Type) *tokens.Token {
	tok := p.stream.Peek()
	if tok == nil {
		return nil
	}
	if types == nil || slices.Contains(types, tok.Type) {
		return tok
	}
	return nil
}

// CurrentName returns the current token when it is a name among names.
func (p *Parser) CurrentName(names ...string) *tokens.Token {
	t := p.Current(tokens.Name)
	if t != nil && slices.Contains(names, t.Val) {
		return t
	}
	return nil
}

// Expect consumes a token of type t or fails as Jinja2 does.
func (p *Parser) Expect(t tokens.Type) (*tokens.Token, error) {
	if tok := p.Match(t); tok != nil {
		return tok, nil
	}
	return nil, p.unexpected(describeType(t))
}

// ExpectName consumes a name token, one of names when given.
func (p *Parser) ExpectName(names ...string) (*tokens.Token, error) {
	tok := p.Current(tokens.Name)
	if tok != nil && (len(names) == 0 || slices.Contains(names, tok.Val)) {
		return p.Pop(), nil
	}
	want := "name"
	if len(names) > 0 {
		want = names[0]
	}
	return nil, p.unexpected(want)
}

func (p *Parser) unexpected(want string) error {
	cur := p.stream.Current()
	if err := p.lexError(); err != nil {
		return err
	}
	if cur.Type == tokens.EOF && cur.Val == "" {
		return p.Error(fmt.Sprintf("unexpected end of template, expected %q.", want), cur)
	}
	return p.Error(fmt.Sprintf("expected token %q, got %q", want, Describe(cur)), cur)
}

// lexError returns the lexer's error when the stream stopped at one.
func (p *Parser) lexError() error {
	if cur := p.stream.Current(); cur.Type == tokens.Error {
		return &SyntaxError{Message: cur.Val, Line: cur.Line, Column: cur.Col}
	}
	return nil
}

// Describe names a token as Jinja2's describe_token does.
func Describe(t *tokens.Token) string {
	switch {
	case t.Type == tokens.Name:
		return t.Val
	case t.Type == tokens.EOF && t.Val != "":
		return describeType(tokens.BlockEnd) // the end of a tag's arguments
	}
	return describeType(t.Type)
}

func describeType(t tokens.Type) string {
	switch t {
	case tokens.BlockBegin:
		return "begin of statement block"
	case tokens.BlockEnd:
		return "end of statement block"
	case tokens.VariableBegin:
		return "begin of print statement"
	case tokens.VariableEnd:
		return "end of print statement"
	case tokens.Data:
		return "template data / text"
	case tokens.EOF:
		return "end of template"
	case tokens.Name:
		return "name"
	case tokens.String:
		return "string"
	case tokens.Integer:
		return "integer"
	case tokens.Float:
		return "float"
	}
	for _, op := range operatorNames {
		if op.t == t {
			return op.s
		}
	}
	return tokens.Names[t]
}

var operatorNames = []struct {
	s string
	t tokens.Type
}{
	{"+", tokens.Addition}, {"-", tokens.Subtraction}, {"/", tokens.Division}, {"//", tokens.FloorDivision},
	{"*", tokens.Multiply}, {"%", tokens.Modulo}, {"**", tokens.Power}, {"~", tokens.Tilde},
	{"[", tokens.LeftBracket}, {"]", tokens.RightBracket}, {"(", tokens.LeftParenthesis},
	{")", tokens.RightParenthesis}, {"{", tokens.LeftBrace}, {"}", tokens.RightBrace},
	{"==", tokens.Equals}, {"!=", tokens.Ne}, {">", tokens.GreaterThan}, {">=", tokens.GreaterThanOrEqual},
	{"<", tokens.LowerThan}, {"<=", tokens.LowerThanOrEqual}, {"=", tokens.Assign}, {".", tokens.Dot},
	{":", tokens.Colon}, {"|", tokens.Pipe}, {",", tokens.Comma}, {";", tokens.Semicolon},
}

// WrapUntil parses the nodes up to one of the end tags names ("{% endfor
// %}") and returns them with a parser over the end tag's own arguments.
func (p *Parser) WrapUntil(names ...string) (*nodes.Wrapper, *Parser, error) {
	if err := p.Enter(); err != nil {
		return nil, nil, err
	}
	defer p.Leave(1)
	*p.endTags = append(*p.endTags, names)
	defer func() { *p.endTags = (*p.endTags)[:len(*p.endTags)-1] }()
	wrapper := &nodes.Wrapper{Location: p.Current()}
	for !p.stream.End() {
		if p.Current(tokens.BlockBegin) != nil {
			if endTag := p.Peek(tokens.Name); endTag != nil && slices.Contains(names, endTag.Val) {
				p.Consume()
				p.Consume()
				args, err := p.tagArgs()
				if err != nil {
					return nil, nil, err
				}
				wrapper.EndTag = endTag.Val
				return wrapper, p.Sub(tokens.NewStream(args)), nil
			}
		}
		node, err := p.parseDocElement()
		if err != nil {
			return nil, nil, err
		}
		if node != nil {
			wrapper.Nodes = append(wrapper.Nodes, node)
		}
	}
	if err := p.lexError(); err != nil {
		return nil, nil, err
	}
	return nil, nil, p.Error(p.eofMessage(names), p.Current())
}

// eofMessage says which end tags were expected, as Jinja2's fail_eof.
func (p *Parser) eofMessage(names []string) string {
	quoted := make([]string, len(names))
	for i, n := range names {
		quoted[i] = "'" + n + "'"
	}
	return "Unexpected end of template. Jinja was looking for the following tags: " + strings.Join(quoted, " or ") + "."
}

// tagArgs collects the tokens of the current tag up to its end.
func (p *Parser) tagArgs() ([]*tokens.Token, error) {
	var args []*tokens.Token
	for p.Current(tokens.BlockEnd) == nil {
		if p.stream.End() {
			if err := p.lexError(); err != nil {
				return nil, err
			}
			return nil, p.Error("unexpected end of template, expected 'end of statement block'.", p.Current())
		}
		args = append(args, p.Next())
	}
	// The arguments end where the tag ends: an EOF that keeps the end's
	// text and position, for errors ("got 'end of statement block'").
	end := p.Next()
	args = append(args, &tokens.Token{Type: tokens.EOF, Val: end.Val, Pos: end.Pos, Line: end.Line, Col: end.Col})
	return args, nil
}

func (p *Parser) parseDocElement() (nodes.Node, error) {
	t := p.Current()
	switch t.Type {
	case tokens.Data:
		p.Consume()
		return &nodes.Data{Data: t}, nil
	case tokens.EOF:
		p.Consume()
		return nil, nil
	case tokens.VariableBegin:
		return p.ParseExpressionNode()
	case tokens.BlockBegin:
		return p.ParseControlStructureBlock()
	case tokens.Error:
		return nil, p.lexError()
	}
	return nil, p.Error("Unexpected token (only HTML/tags/filters in templates allowed)", t)
}

// ParseExpressionNode parses {{ expression }}; a tuple without brackets is
// allowed, as in Jinja2 ({{ 1, 2 }} prints (1, 2)).
func (p *Parser) ParseExpressionNode() (nodes.Node, error) {
	tok, err := p.Expect(tokens.VariableBegin)
	if err != nil {
		return nil, err
	}
	node := &nodes.Output{Start: tok}
	if node.Expression, err = p.ParseTuple(TupleOptions{WithCondExpr: true}); err != nil {
		return nil, err
	}
	if node.End, err = p.Expect(tokens.VariableEnd); err != nil {
		return nil, err
	}
	return node, nil
}

// Parse parses the whole template.
func (p *Parser) Parse() (*nodes.Template, error) {
	tpl := &nodes.Template{Identifier: p.identifier}
	p.Template = tpl
	for !p.Stream().End() {
		node, err := p.parseDocElement()
		if err != nil {
			return nil, err
		}
		if node != nil {
			tpl.Nodes = append(tpl.Nodes, node)
		}
	}
	if err := p.lexError(); err != nil {
		return nil, err
	}
	return tpl, nil
}
