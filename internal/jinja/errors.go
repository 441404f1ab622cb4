package jinja

import (
	"errors"
	"fmt"
	"unsafe"
)

// ErrorKind names the Python exception a failure corresponds to.
type ErrorKind string

// The kinds of template errors.
const (
	SyntaxError       ErrorKind = "TemplateSyntaxError"
	AssertionError    ErrorKind = "TemplateAssertionError"
	UndefinedError    ErrorKind = "UndefinedError"
	TypeError         ErrorKind = "TypeError"
	ValueError        ErrorKind = "ValueError"
	ZeroDivisionError ErrorKind = "ZeroDivisionError"
	OverflowError     ErrorKind = "OverflowError"
	SecurityError     ErrorKind = "SecurityError"
	RuntimeError      ErrorKind = "TemplateRuntimeError"
	KeyError          ErrorKind = "KeyError"
	IndexError        ErrorKind = "IndexError"
	AttributeError    ErrorKind = "AttributeError"
	FilterArgError    ErrorKind = "FilterArgumentError"
	NotFoundError     ErrorKind = "TemplateNotFound"
	TemplatesNotFound ErrorKind = "TemplatesNotFound"
	NameError         ErrorKind = "NameError"
	// PyAssertionError is Python's assert failing inside a filter, not
	// Jinja2's TemplateAssertionError.
	PyAssertionError ErrorKind = "AssertionError"
	// PyRuntimeError is Python's RuntimeError (a dict changed size while
	// iterated, an empty cycler), not Jinja2's TemplateRuntimeError.
	PyRuntimeError ErrorKind = "RuntimeError"
	RecursionError ErrorKind = "RecursionError"
	// PySyntaxError is Python's compiler refusing the code Jinja2
	// generated (a keyword argument given twice).
	PySyntaxError ErrorKind = "SyntaxError"
)

// Error is a template failure: at compile time (SyntaxError,
// AssertionError) or while rendering.
type Error struct {
	Kind ErrorKind
	Msg  string
	Line int // 0 when unknown
}

// Error is the message; a template that does not compile says "parse:"
// and its line.
func (e *Error) Error() string {
	switch e.Kind {
	case SyntaxError, AssertionError, PySyntaxError:
		if e.Line > 0 {
			return fmt.Sprintf("parse: %s (line %d)", e.Msg, e.Line)
		}
		return "parse: " + e.Msg
	}
	return e.Msg
}

// Is matches errors of the same kind, so errors.Is(err, &Error{Kind: UndefinedError}) works.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Msg == "" && t.Kind == e.Kind
}

func newError(kind ErrorKind, format string, args ...any) *Error {
	return &Error{Kind: kind, Msg: fmt.Sprintf(format, args...)}
}

func typeErrorf(format string, args ...any) *Error { return newError(TypeError, format, args...) }

func valueErrorf(format string, args ...any) *Error { return newError(ValueError, format, args...) }

func undefinedErrorf(format string, args ...any) *Error {
	return newError(UndefinedError, format, args...)
}

// IsUndefinedError reports whether err comes from using an undefined
// value (Jinja2's UndefinedError): a missing name, attribute or item.
func IsUndefinedError(err error) bool {
	if err == nil {
		return false
	}
	var e *Error
	return errors.As(err, &e) && e.Kind == UndefinedError
}

// BoundError is a render or compile that went past one of the engine's
// bounds. Key is the configuration key of the bound.
type BoundError struct {
	What  string // what exceeded it: "template output", "template nesting", ...
	Limit int64
	Unit  string // "bytes", "steps", "levels", ...
	Key   string // e.g. "render.max_output"
}

func (e *BoundError) Error() string {
	return fmt.Sprintf("%s exceeds %d %s (%s)", e.What, e.Limit, e.Unit, e.Key)
}

// IsBound reports whether err is a bound exceeded.
func IsBound(err error) bool {
	if err == nil {
		return false
	}
	var b *BoundError
	return errors.As(err, &b)
}

// identity returns the address behind a reference value, for hashing and
// `is` on objects.
func identity(v Value) uintptr {
	type iface struct{ t, p unsafe.Pointer }
	return uintptr((*iface)(unsafe.Pointer(&v.r)).p)
}
