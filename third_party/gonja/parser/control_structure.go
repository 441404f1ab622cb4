package parser

import (
	"fmt"

	"github.com/nikolalohinski/gonja/v2/nodes"
	"github.com/nikolalohinski/gonja/v2/tokens"
)

// ControlStructureParser parses one statement. parser is the template's
// parser, positioned after the tag ("{% name ... %}"); args parses the
// tag's own tokens (after its name).
type ControlStructureParser func(parser *Parser, args *Parser) (nodes.ControlStructure, error)

// ParseControlStructureBlock parses one {% name ... %} statement with the
// parser registered for name.
func (p *Parser) ParseControlStructureBlock() (*nodes.ControlStructureBlock, error) {
	begin, err := p.Expect(tokens.BlockBegin)
	if err != nil {
		return nil, err
	}
	name := p.Match(tokens.Name)
	if name == nil {
		if err := p.lexError(); err != nil {
			return nil, err
		}
		return nil, p.Error("tag name expected", p.Current())
	}
	csParser, exists := p.controlStructures.Get(name.Val)
	if !exists {
		return nil, p.Error(p.unknownTagMessage(name.Val), name)
	}
	args, err := p.tagArgs()
	if err != nil {
		return nil, err
	}
	if err := p.Enter(); err != nil {
		return nil, err
	}
	defer p.Leave(1)
	cs, err := csParser(p, p.Sub(tokens.NewStream(args)))
	if err != nil {
		return nil, err
	}
	return &nodes.ControlStructureBlock{Location: begin, Name: name.Val, ControlStructure: cs}, nil
}

// unknownTagMessage words an unknown tag as Jinja2's fail_unknown_tag.
func (p *Parser) unknownTagMessage(name string) string {
	msg := fmt.Sprintf("Encountered unknown tag '%s'.", name)
	if n := len(*p.endTags); n > 0 {
		looking := (*p.endTags)[n-1]
		quoted := ""
		for i, t := range looking {
			if i > 0 {
				quoted += " or "
			}
			quoted += "'" + t + "'"
		}
		expected := false
		for _, tags := range *p.endTags {
			for _, t := range tags {
				expected = expected || t == name
			}
		}
		if expected {
			msg += " You probably made a nesting mistake. Jinja is expecting this tag, but currently looking for " + quoted + "."
		} else {
			msg += " Jinja was looking for the following tags: " + quoted + "."
		}
	}
	return msg
}
