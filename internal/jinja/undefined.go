package jinja

// Undefined follows Jinja2's default Undefined: it prints as "", is false,
// iterates as empty, has length 0, equals only another Undefined, and
// every other use (attributes, items, calls, arithmetic) raises
// UndefinedError with Jinja2's message.

// undefInfo says why a value is undefined, for the message.
type undefInfo struct {
	objType string    // object_type_repr of the object looked into; "" for a name
	key     Value     // the attribute (a str) or item that is missing
	item    bool      // an item, not an attribute
	hint    string    // a message of its own
	name    string    // the missing name, for a name
	exc     ErrorKind // the error using it raises; UndefinedError when ""
}

// undefinedName is the value of a name that is not defined. Each is a new
// object, as in Jinja2 (u is sameas u, but missing is not sameas missing).
func undefinedName(name string) Value {
	return Value{kind: KindUndefined, s: name, r: &undefInfo{name: name}}
}

// undefinedAttr is a missing attribute name of obj.
func undefinedAttr(obj Value, name string) Value {
	return Value{kind: KindUndefined, r: &undefInfo{objType: objectTypeRepr(obj), key: String(name)}}
}

// undefinedItem is a missing item key of obj.
func undefinedItem(obj Value, key Value) Value {
	return Value{kind: KindUndefined, r: &undefInfo{objType: objectTypeRepr(obj), key: key, item: key.kind != KindString}}
}

// undefinedHint is an undefined value with a message of its own.
func undefinedHint(hint string) Value {
	return Value{kind: KindUndefined, r: &undefInfo{hint: hint}}
}

// objectTypeRepr is Jinja2's object_type_repr.
func objectTypeRepr(v Value) string {
	if v.kind == KindNone {
		return "None"
	}
	return v.TypeName() + " object"
}

// undefinedMessage is the message of an UndefinedError raised by v.
func undefinedMessage(v Value) string {
	info, _ := v.r.(*undefInfo)
	switch {
	case info == nil:
		return "'undefined' is undefined"
	case info.objType == "" && info.hint == "":
		return pyQuote(info.name) + " is undefined"
	case info.hint != "":
		return info.hint
	case info.item:
		k, _ := (*Renderer)(nil).repr(info.key)
		return info.objType + " has no element " + k
	}
	return pyQuote(info.objType) + " has no attribute " + pyQuote(info.key.s)
}

// undefinedError is the UndefinedError of using v (a SecurityError for
// the sandbox's unsafe attributes).
func undefinedError(v Value) error {
	if info, _ := v.r.(*undefInfo); info != nil && info.exc != "" {
		return newError(info.exc, "%s", undefinedMessage(v))
	}
	return undefinedErrorf("%s", undefinedMessage(v))
}

// noAttr is the error of a filter calling v.name() on a value without
// it: Undefined raises its UndefinedError, anything else AttributeError.
func (r *Renderer) noAttr(v Value, name string) error {
	if v.kind == KindUndefined {
		return undefinedError(v)
	}
	return newError(AttributeError, "'%s' object has no attribute '%s'", v.TypeName(), name)
}
