package jinja

import (
	"strings"

	"github.com/nikolalohinski/gonja/v2/nodes"
	"github.com/nikolalohinski/gonja/v2/parser"
	"github.com/nikolalohinski/gonja/v2/tokens"
)

// parseLoaderStmt parses one of Jinja2's parse_extends, parse_include,
// parse_import and parse_from.
func parseLoaderStmt(name string) parser.ControlStructureParser {
	return func(p *parser.Parser, args *parser.Parser) (nodes.ControlStructure, error) {
		s := &loaderStmt{stmt: stmt{args.Current()}, name: name}
		var err error
		if s.template, err = args.ParseExpression(); err != nil {
			return nil, err
		}
		switch name {
		case "include":
			if args.CurrentName("ignore") != nil && args.Peek(tokens.Name) != nil && args.Peek().Val == "missing" {
				args.Consume()
				args.Consume()
				s.ignoreMissing = true
			}
			importContext(args)
		case "import":
			if _, err := args.ExpectName("as"); err != nil {
				return nil, err
			}
			if _, err := args.ParseAssignTarget(parser.AssignOptions{NameOnly: true}); err != nil {
				return nil, err
			}
			importContext(args)
		case "from":
			if err := parseFromNames(args); err != nil {
				return nil, err
			}
		}
		if !args.End() {
			_, err = args.Expect(tokens.BlockEnd)
			return nil, err
		}
		return s, nil
	}
}

// importContext skips an optional "with context" or "without context".
func importContext(args *parser.Parser) bool {
	if args.CurrentName("with", "without") != nil && args.Peek(tokens.Name) != nil && args.Peek().Val == "context" {
		args.Consume()
		args.Consume()
		return true
	}
	return false
}

// parseFromNames parses the names of {% from x import a, b as c %}.
func parseFromNames(args *parser.Parser) error {
	if _, err := args.ExpectName("import"); err != nil {
		return err
	}
	for n := 0; ; n++ {
		if n > 0 {
			if _, err := args.Expect(tokens.Comma); err != nil {
				return err
			}
		}
		if args.Current(tokens.Name) == nil {
			_, err := args.ExpectName()
			return err
		}
		if importContext(args) {
			return nil
		}
		target, err := args.ParseAssignTarget(parser.AssignOptions{NameOnly: true})
		if err != nil {
			return err
		}
		if name := target.(*nodes.Name); strings.HasPrefix(name.Name.Val, "_") {
			return &Error{Kind: AssertionError, Msg: "names starting with an underline can not be imported", Line: name.Name.Line}
		}
		if args.MatchName("as") != nil {
			if _, err := args.ParseAssignTarget(parser.AssignOptions{NameOnly: true}); err != nil {
				return err
			}
		}
		if importContext(args) || args.Current(tokens.Comma) == nil {
			return nil
		}
	}
}

// execLoader runs include, import, from or extends: the template name is
// evaluated, then loading fails as it does in Jinja2 without a loader.
func (r *Renderer) execLoader(s *loaderStmt) error {
	v, err := r.eval(s.template)
	if err != nil {
		return err
	}
	if s.name == "include" && v.isSeq() && len(v.r.(*List).Items) == 0 {
		if s.ignoreMissing {
			return nil
		}
		return newError(TemplatesNotFound, "Tried to select from an empty list of templates.")
	}
	return typeErrorf("no loader for this environment specified")
}
