package jinja

import "fmt"

// self in a template is Jinja2's TemplateReference: self.name is the block
// of that name, and calling it renders the block again, in the template's
// top-level scope.

type templateRef struct{ tpl *Template }

func (t *templateRef) TypeName() string { return "TemplateReference" }
func (t *templateRef) Str() string      { return "<TemplateReference None>" }

func (t *templateRef) Attr(r *Renderer, name string) (Value, bool, error) {
	v, ok, err := t.Item(r, String(name))
	if !ok {
		return undefinedAttr(ObjectValue(t), name), true, err
	}
	return v, ok, err
}

func (t *templateRef) Item(r *Renderer, key Value) (Value, bool, error) {
	if key.kind == KindString {
		if b := t.tpl.blocks[key.s]; b != nil {
			return ObjectValue(&blockRef{block: b}), true, nil
		}
	}
	return Value{}, false, nil
}

// blockRef is a BlockReference: callable, rendering its block.
type blockRef struct{ block *blockStmt }

func (b *blockRef) TypeName() string { return "BlockReference" }
func (b *blockRef) Str() string      { return fmt.Sprintf("<BlockReference %s>", pyQuote(b.block.name)) }

func (b *blockRef) Attr(r *Renderer, name string) (Value, bool, error) { return Value{}, false, nil }

func (b *blockRef) call(r *Renderer, args []Value, kw []Kwarg) (Value, error) {
	if err := noArgs(b.block.name, args, kw); err != nil {
		return Value{}, err
	}
	if err := r.enterCall(); err != nil {
		return Value{}, err
	}
	defer r.leaveCall()
	saved := r.frame
	r.frame = &frame{parent: r.top}
	defer func() { r.frame = saved }()
	text, err := r.capture(func() error { return r.execNodes(b.block.body) })
	if err != nil {
		return Value{}, err
	}
	if r.autoescape {
		return Markup(text), nil
	}
	return String(text), nil
}
