package jinja

import (
	"fmt"
)

// Macros as Jinja2 runs them: a call binds positional and keyword
// arguments to the parameters, evaluates the defaults of the missing ones
// in the macro's scope, collects extra arguments in varargs and kwargs
// when the body uses them (else they are an error), and returns the
// rendered body. The body sees the scope the macro was defined in, as it
// is when the macro is called. Macro calls nest at most
// Limits.MaxCallDepth deep, so a recursive macro cannot exhaust the stack.

type macro struct {
	def     *macroStmt
	closure *frame
	tpl     *Template
	caller  Value // for the caller of a call block: nothing
}

func (m *macro) TypeName() string { return "Macro" }

func (m *macro) Str() string { return fmt.Sprintf("<Macro %s>", pyQuote(m.def.name)) }

func (m *macro) Attr(r *Renderer, name string) (Value, bool, error) {
	switch name {
	case "name":
		return String(m.def.name), true, nil
	case "arguments":
		args := make([]Value, len(m.def.params))
		for i, p := range m.def.params {
			args[i] = String(p)
		}
		return NewTuple(args), true, nil
	case "catch_kwargs":
		return Bool(m.def.usesKwargs), true, nil
	case "catch_varargs":
		return Bool(m.def.usesVarargs), true, nil
	case "caller":
		return Bool(m.def.usesCaller), true, nil
	}
	return Value{}, false, nil
}

func (m *macro) call(r *Renderer, args []Value, kw []Kwarg) (Value, error) {
	d := m.def
	if err := r.enterCall(); err != nil {
		return Value{}, err
	}
	defer r.leaveCall()
	if len(args) > len(d.params) && !d.usesVarargs {
		return Value{}, typeErrorf("macro %s takes not more than %d argument(s)", pyQuote(d.name), len(d.params))
	}
	f := &frame{parent: m.closure}
	given := make([]bool, len(d.params))
	for i, a := range args {
		if i < len(d.params) {
			f.set(d.params[i], a)
			given[i] = true
		}
	}
	var extraKw *Dict
	var caller Value
	for _, k := range kw {
		idx := -1
		for i, p := range d.params {
			if p == k.Name {
				idx = i
			}
		}
		switch {
		case idx >= 0:
			if given[idx] {
				return Value{}, typeErrorf("macro %s got multiple values for argument %s", pyQuote(d.name), pyQuote(k.Name))
			}
			f.set(k.Name, k.Value)
			given[idx] = true
		case k.Name == "caller" && d.usesCaller:
			caller = k.Value
		case d.usesKwargs:
			if extraKw == nil {
				extraKw = NewDict(len(kw))
			}
			extraKw.SetStr(k.Name, k.Value)
		default:
			return Value{}, typeErrorf("macro %s takes no keyword argument %s", pyQuote(d.name), pyQuote(k.Name))
		}
	}
	saved, savedAE := r.frame, r.autoescape
	r.frame = f
	defer func() { r.frame, r.autoescape = saved, savedAE }()
	firstDefault := len(d.params) - len(d.defaults)
	for i, p := range d.params {
		if given[i] {
			continue
		}
		if i >= firstDefault {
			v, err := r.eval(d.defaults[i-firstDefault])
			if err != nil {
				return Value{}, err
			}
			f.set(p, v)
		} else {
			f.set(p, undefinedHint(fmt.Sprintf("parameter %s was not provided", pyQuote(p))))
		}
	}
	if d.usesVarargs {
		var extra []Value
		if len(args) > len(d.params) {
			extra = args[len(d.params):]
		}
		f.set("varargs", NewTuple(append([]Value{}, extra...)))
	}
	if d.usesKwargs {
		if extraKw == nil {
			extraKw = NewDict(0)
		}
		f.set("kwargs", DictValue(extraKw))
	}
	if d.usesCaller {
		if caller.kind == KindUndefined {
			caller = undefinedHint("No caller defined")
		}
		f.set("caller", caller)
	}
	text, err := r.capture(func() error { return r.execNodes(d.body) })
	if err != nil {
		return Value{}, err
	}
	if savedAE {
		return Markup(text), nil
	}
	return String(text), nil
}

// execCallBlock runs {% call(args) m(...) %}body{% endcall %}: m is
// called with caller, a macro whose body is the block's.
func (r *Renderer) execCallBlock(s *callBlockStmt) error {
	r.frame.capture()
	caller := ObjectValue(&macro{def: s.macro, closure: r.frame, tpl: r.tpl})
	fn, err := r.eval(s.call.Func)
	if err != nil {
		return err
	}
	args, kw, err := r.evalArgs(&s.call.Args)
	if err != nil {
		return err
	}
	kw = append(kw, Kwarg{Name: "caller", Value: caller})
	v, err := r.call(fn, args, kw)
	if err != nil {
		return err
	}
	return r.writeValue(v)
}
