// Package nodes provides AST node types for the template parser.
//
// Expressions mirror Jinja2's (jinja2/nodes.py): CondExpr for inline if,
// Compare for chained comparisons and in / not in, Concat for ~, Filter and
// Test calls with ordered keyword arguments and *args / **kwargs.
// Statements are ControlStructure values made by the control-structure
// parsers a Parser is given.
package nodes

import (
	"fmt"
	"math/big"
	"strings"

	"github.com/nikolalohinski/gonja/v2/tokens"
)

// Node is the interface implemented by all node types.
type Node interface {
	fmt.Stringer
	Position() *tokens.Token
}

// Expression represents an evaluable expression part
type Expression interface {
	Node
}

// ControlStructure represents a controlStructure block "{% %}"
type ControlStructure interface {
	Node
}

// Template is the root node of any template
type Template struct {
	Identifier string
	Nodes      []Node
}

func (t *Template) Position() *tokens.Token {
	if len(t.Nodes) == 0 {
		return &tokens.Token{Line: 1, Col: 1}
	}
	return t.Nodes[0].Position()
}
func (t *Template) String() string { return fmt.Sprintf("template(%s)", t.Identifier) }

// Data is template text, with whitespace control already applied by the
// lexer.
type Data struct {
	Data *tokens.Token
}

func (d *Data) Position() *tokens.Token { return d.Data }
func (d *Data) String() string          { return fmt.Sprintf("data(%s)", ellipsis(d.Data.Val, 20)) }

// Output represents a printable expression node {{ }}
type Output struct {
	Start      *tokens.Token
	Expression Expression
	End        *tokens.Token
}

func (o *Output) Position() *tokens.Token { return o.Start }
func (o *Output) String() string          { return fmt.Sprintf("output(%s)", o.Expression) }

// Kwarg is one keyword argument of a call, a filter or a test.
type Kwarg struct {
	Name  string
	Value Expression
}

// Args are the arguments of a call, a filter or a test: positional ones,
// keyword ones in source order, and the optional *args and **kwargs.
type Args struct {
	Args      []Expression
	Kwargs    []*Kwarg
	DynArgs   Expression
	DynKwargs Expression
}

// FilteredExpression is Expression piped through Filters, in order.
type FilteredExpression struct {
	Expression Expression
	Filters    []*FilterCall
}

func (expr *FilteredExpression) Position() *tokens.Token {
	if expr.Expression == nil {
		return expr.Filters[0].Token
	}
	return expr.Expression.Position()
}
func (expr *FilteredExpression) String() string {
	var b strings.Builder
	b.WriteString("(")
	if expr.Expression != nil {
		b.WriteString(expr.Expression.String())
	}
	for _, f := range expr.Filters {
		b.WriteString("|" + f.Name)
		if len(f.Args.Args) > 0 || len(f.Kwargs) > 0 {
			fmt.Fprintf(&b, "%v", f.Args.Args)
		}
	}
	b.WriteString(")")
	return b.String()
}

type FilterCall struct {
	Token *tokens.Token
	Name  string
	Args
}

type TestExpression struct {
	Expression Expression
	Test       *TestCall
}

func (expr *TestExpression) String() string {
	if len(expr.Test.Args.Args) > 0 {
		return fmt.Sprintf("(%s is %s%v)", expr.Expression, expr.Test.Name, expr.Test.Args.Args)
	}
	return fmt.Sprintf("(%s is %s)", expr.Expression, expr.Test.Name)
}
func (expr *TestExpression) Position() *tokens.Token { return expr.Test.Token }

type TestCall struct {
	Token *tokens.Token
	Name  string
	Args
}

func (tc *TestCall) String() string { return fmt.Sprintf("test(%s)", tc.Name) }

type String struct {
	Location *tokens.Token
	Val      string
}

func (s *String) Position() *tokens.Token { return s.Location }
func (s *String) String() string          { return fmt.Sprintf("%q", s.Val) }

// Integer is an integer literal. Big holds its value when it does not fit
// an int (Val is then 0).
type Integer struct {
	Location *tokens.Token
	Val      int
	Big      *big.Int
}

func (i *Integer) Position() *tokens.Token { return i.Location }
func (i *Integer) String() string          { return i.Location.Val }

type Float struct {
	Location *tokens.Token
	Val      float64
}

func (f *Float) Position() *tokens.Token { return f.Location }
func (f *Float) String() string          { return f.Location.Val }

type Bool struct {
	Location *tokens.Token
	Val      bool
}

func (b *Bool) Position() *tokens.Token { return b.Location }
func (b *Bool) String() string          { return b.Location.Val }

type Name struct {
	Name *tokens.Token
}

func (n *Name) Position() *tokens.Token { return n.Name }
func (n *Name) String() string          { return n.Name.Val }

type None struct {
	Location *tokens.Token
}

func (n *None) Position() *tokens.Token { return n.Location }
func (n *None) String() string          { return "None" }

type List struct {
	Location *tokens.Token
	Val      []Expression
}

func (l *List) Position() *tokens.Token { return l.Location }
func (l *List) String() string          { return fmt.Sprintf("list%v", l.Val) }

type Tuple struct {
	Location *tokens.Token
	Val      []Expression
}

func (t *Tuple) Position() *tokens.Token { return t.Location }
func (t *Tuple) String() string          { return fmt.Sprintf("tuple%v", t.Val) }

type Dict struct {
	Token *tokens.Token
	Pairs []*Pair
}

func (d *Dict) Position() *tokens.Token { return d.Token }
func (d *Dict) String() string          { return fmt.Sprintf("dict%v", d.Pairs) }

type Pair struct {
	Key   Expression
	Value Expression
}

func (p *Pair) Position() *tokens.Token { return p.Key.Position() }
func (p *Pair) String() string          { return fmt.Sprintf("%s: %s", p.Key, p.Value) }

// Call is Func(args).
type Call struct {
	Location *tokens.Token
	Func     Expression
	Args
}

func (c *Call) Position() *tokens.Token { return c.Location }
func (c *Call) String() string          { return fmt.Sprintf("call(%s, %v)", c.Func, c.Args.Args) }

// GetItem is Node[Arg] (also Node.0 for an integer after the dot); Arg
// may be a Slice.
type GetItem struct {
	Location *tokens.Token
	Node     Expression
	Arg      Expression
}

func (g *GetItem) Position() *tokens.Token { return g.Location }
func (g *GetItem) String() string          { return fmt.Sprintf("%s[%s]", g.Node, g.Arg) }

// Slice is start:stop:step inside brackets (x[1:2], x[::-1]); absent
// parts are nil.
type Slice struct {
	Location *tokens.Token
	Start    Expression
	Stop     Expression
	Step     Expression
}

func (s *Slice) Position() *tokens.Token { return s.Location }
func (s *Slice) String() string          { return fmt.Sprintf("slice(%v, %v, %v)", s.Start, s.Stop, s.Step) }

// GetAttribute is Node.Attribute.
type GetAttribute struct {
	Location  *tokens.Token
	Node      Expression
	Attribute string
}

func (g *GetAttribute) Position() *tokens.Token { return g.Location }
func (g *GetAttribute) String() string          { return fmt.Sprintf("%s.%s", g.Node, g.Attribute) }

// Negation is not Term.
type Negation struct {
	Term     Expression
	Operator *tokens.Token
}

func (n *Negation) Position() *tokens.Token { return n.Operator }
func (n *Negation) String() string          { return fmt.Sprintf("(not %s)", n.Term) }

// UnaryExpression is -Term or +Term.
type UnaryExpression struct {
	Negative bool
	Term     Expression
	Operator *tokens.Token
}

func (u *UnaryExpression) Position() *tokens.Token { return u.Operator }
func (u *UnaryExpression) String() string          { return fmt.Sprintf("(%s%s)", u.Operator.Val, u.Term) }

// BinaryExpression is Left op Right for and, or, +, -, *, /, //, %, **.
type BinaryExpression struct {
	Left     Expression
	Right    Expression
	Operator *BinOperator
}

func (expr *BinaryExpression) Position() *tokens.Token { return expr.Operator.Token }
func (expr *BinaryExpression) String() string {
	return fmt.Sprintf("(%s %s %s)", expr.Left, expr.Operator.Token.Val, expr.Right)
}

type BinOperator struct {
	Token *tokens.Token
}

func (op BinOperator) Position() *tokens.Token { return op.Token }
func (op BinOperator) String() string          { return op.Token.String() }

// Compare is a chain of comparisons, a < b <= c, evaluated as Python does:
// each operand once, stopping at the first false comparison. Op is one of
// eq, ne, lt, lteq, gt, gteq, in, notin.
type Compare struct {
	Expression Expression
	Ops        []*CompareOperand
}

type CompareOperand struct {
	Token      *tokens.Token
	Op         string
	Expression Expression
}

func (c *Compare) Position() *tokens.Token { return c.Ops[0].Token }
func (c *Compare) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "(%s", c.Expression)
	for _, o := range c.Ops {
		fmt.Fprintf(&b, " %s %s", o.Op, o.Expression)
	}
	b.WriteString(")")
	return b.String()
}

// CondExpr is Expr1 if Test else Expr2; Expr2 may be nil (an undefined
// value when the test is false).
type CondExpr struct {
	Location *tokens.Token
	Test     Expression
	Expr1    Expression
	Expr2    Expression
}

func (c *CondExpr) Position() *tokens.Token { return c.Location }
func (c *CondExpr) String() string {
	return fmt.Sprintf("(%s if %s else %v)", c.Expr1, c.Test, c.Expr2)
}

// Concat is a ~ b ~ c: the string values of Args joined.
type Concat struct {
	Location *tokens.Token
	Args     []Expression
}

func (c *Concat) Position() *tokens.Token { return c.Location }
func (c *Concat) String() string          { return fmt.Sprintf("concat%v", c.Args) }

type ControlStructureBlock struct {
	Location         *tokens.Token
	Name             string
	ControlStructure ControlStructure
}

func (s ControlStructureBlock) Position() *tokens.Token { return s.Location }
func (s ControlStructureBlock) String() string {
	return fmt.Sprintf("%s %s", s.Name, s.ControlStructure)
}

// Wrapper holds the nodes between a tag and its end tag.
type Wrapper struct {
	Location *tokens.Token
	Nodes    []Node
	EndTag   string
}

func (w Wrapper) Position() *tokens.Token { return w.Location }
func (w Wrapper) String() string          { return fmt.Sprintf("wrapper(%s,%s)", w.Nodes, w.EndTag) }

func ellipsis(text string, length int) string {
	runes := []rune(text)
	if len(runes) <= length {
		return text
	}
	return string(runes[:length-1]) + "…"
}
