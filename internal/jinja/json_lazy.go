package jinja

// A JSON object read member by member: the document is checked in full
// once (as DecodeJSON would refuse it), and a top-level member is decoded
// only when it is asked for, once. A template context built over an
// event's variables decodes only the variables its templates read.

// ValidateJSON checks data as DecodeJSON would decode it (the same
// errors, the same depth bound), building nothing.
func ValidateJSON(data string, maxDepth int) error {
	if maxDepth <= 0 {
		maxDepth = DefaultMaxJSONDepth
	}
	d := jsonDecoder{s: data, max: maxDepth}
	d.space()
	if err := d.skip(0); err != nil {
		return err
	}
	d.space()
	if d.i != len(d.s) {
		return d.fail("extra data")
	}
	return nil
}

// ValidJSONSyntax reports whether data is JSON as encoding/json.Valid
// has it (RFC 8259's grammar, nesting up to 10,000 levels; the bytes of
// strings and the size of numbers are not checked), faster.
func ValidJSONSyntax(data string) bool {
	d := jsonDecoder{s: data, max: 10000, syntax: true}
	d.space()
	if d.skip(0) != nil {
		return false
	}
	d.space()
	return d.i == len(d.s)
}

// LazyObject is a JSON object whose members are decoded on demand. Keys
// are in the document's order; a repeated key keeps its first position
// and its last value, as json.loads (and DecodeJSON) has it. A member
// decoded once is the same value at every later lookup and in Dict, so
// that a template sees one object under both names (cvars.items and
// items). It is not safe for concurrent use.
type LazyObject struct {
	members []lazyMember
	index   map[string]int // by key, past indexAfter members
	max     int
	dict    *Dict
}

type lazyMember struct {
	key, raw string // raw: the value's JSON text
	val      Value  // once done
	done     bool
}

// IndexJSONObject checks data in full and indexes its top-level members
// without decoding them. ok is false (and the error nil) when data is
// valid JSON but not an object.
func IndexJSONObject(data string, maxDepth int) (o *LazyObject, ok bool, err error) {
	if maxDepth <= 0 {
		maxDepth = DefaultMaxJSONDepth
	}
	d := jsonDecoder{s: data, max: maxDepth}
	d.space()
	if d.i >= len(d.s) || d.s[d.i] != '{' {
		return nil, false, ValidateJSON(data, maxDepth)
	}
	o = &LazyObject{max: maxDepth - 1, members: make([]lazyMember, 0, 8)}
	d.i++
	d.space()
	if d.i < len(d.s) && d.s[d.i] == '}' {
		d.i++
	} else {
		for {
			d.space()
			if d.i >= len(d.s) || d.s[d.i] != '"' {
				return nil, false, d.fail("expecting property name")
			}
			k, err := d.str()
			if err != nil {
				return nil, false, err
			}
			d.space()
			if d.i >= len(d.s) || d.s[d.i] != ':' {
				return nil, false, d.fail("expecting ':'")
			}
			d.i++
			d.space()
			start := d.i
			if err := d.skip(1); err != nil {
				return nil, false, err
			}
			raw := d.s[start:d.i]
			if at := o.find(k); at >= 0 {
				o.members[at].raw = raw
			} else {
				o.members = append(o.members, lazyMember{key: k, raw: raw})
				if o.index != nil {
					o.index[k] = len(o.members) - 1
				} else if len(o.members) > indexAfter {
					o.index = make(map[string]int, 2*len(o.members))
					for i, m := range o.members {
						o.index[m.key] = i
					}
				}
			}
			d.space()
			if d.i >= len(d.s) {
				return nil, false, d.fail("unexpected end")
			}
			if d.s[d.i] == ',' {
				d.i++
				continue
			}
			if d.s[d.i] != '}' {
				return nil, false, d.fail("expecting ',' or '}'")
			}
			d.i++
			break
		}
	}
	d.space()
	if d.i != len(d.s) {
		return nil, false, d.fail("extra data")
	}
	return o, true, nil
}

// Len returns the number of members.
func (o *LazyObject) Len() int { return len(o.members) }

// Key returns the name of the i-th member.
func (o *LazyObject) Key(i int) string { return o.members[i].key }

// find returns the index of the member named k, or -1.
func (o *LazyObject) find(k string) int {
	if o.index != nil {
		if i, ok := o.index[k]; ok {
			return i
		}
		return -1
	}
	for i := range o.members {
		if o.members[i].key == k {
			return i
		}
	}
	return -1
}

// Get returns the named member, decoding it at the first call.
func (o *LazyObject) Get(name string) (Value, bool, error) {
	i := o.find(name)
	if i < 0 {
		return Value{}, false, nil
	}
	v, err := o.at(i)
	return v, err == nil, err
}

// At returns the i-th member, decoding it at the first call.
func (o *LazyObject) At(i int) (Value, error) { return o.at(i) }

func (o *LazyObject) at(i int) (Value, error) {
	m := &o.members[i]
	if !m.done {
		v, err := DecodeJSON(m.raw, o.max)
		if err != nil {
			return Value{}, err
		}
		m.val, m.done = v, true
	}
	return m.val, nil
}

// Dict returns the object as a dict, every member decoded; the same dict
// at every call.
func (o *LazyObject) Dict() (*Dict, error) {
	if o.dict != nil {
		return o.dict, nil
	}
	d := NewDict(len(o.members))
	for i := range o.members {
		v, err := o.at(i)
		if err != nil {
			return nil, err
		}
		d.SetStr(o.members[i].key, v)
	}
	o.dict = d
	return d, nil
}
