package jinja

import (
	"fmt"
)

// For loops as Jinja2 runs them: each turn gets a scope of its own (what
// the body sets does not outlive the turn), loop.* describes the turn,
// filtered items (for x in y if c) are not counted, else runs when nothing
// was iterated, and a recursive loop can be called as loop(children).

// loopObj is Jinja2's LoopContext. Iteration is live, as Python's: items
// appended to a list while it is iterated are reached. length is taken
// when first asked (len() of the iterable, or, for a filtered loop, the
// turns so far plus the rest, drawn then), last and nextitem look one
// item ahead.
type loopObj struct {
	stmt    *forStmt
	next    func() (Value, bool, error)
	lenOf   func() (int64, error) // nil when the items have no len()
	length  int64
	hasLen  bool
	index0  int
	depth0  int
	before  Value // previtem
	current Value
	after   Value // the item looked ahead at
	peeked  bool  // after holds it (or the end, when ended)
	ended   bool
	last    Value // for changed()
	changed bool
}

func (l *loopObj) TypeName() string { return "LoopContext" }

func (l *loopObj) Str() string {
	n, _ := l.size(nil)
	return fmt.Sprintf("<LoopContext %d/%d>", l.index0+1, n)
}

// advance moves to the next item.
func (l *loopObj) advance() (Value, bool, error) {
	var v Value
	if l.peeked {
		l.peeked = false
		if l.ended {
			return Value{}, false, nil
		}
		v = l.after
	} else {
		var ok bool
		var err error
		if v, ok, err = l.next(); err != nil || !ok {
			return Value{}, false, err
		}
	}
	l.index0++
	l.before, l.current = l.current, v
	return v, true, nil
}

// peek looks at the next item without moving; false at the end.
func (l *loopObj) peek() (Value, bool, error) {
	if !l.peeked {
		v, ok, err := l.next()
		if err != nil {
			return Value{}, false, err
		}
		l.after, l.ended, l.peeked = v, !ok, true
	}
	return l.after, !l.ended, nil
}

// size is loop.length.
func (l *loopObj) size(r *Renderer) (int64, error) {
	if l.hasLen {
		return l.length, nil
	}
	if l.lenOf != nil {
		n, err := l.lenOf()
		if err != nil {
			return 0, err
		}
		l.length, l.hasLen = n, true
		return n, nil
	}
	// Draw the rest, then iterate over what was drawn.
	var rest []Value
	if l.peeked && !l.ended {
		rest = append(rest, l.after)
	}
	for !l.ended {
		v, ok, err := l.next()
		if err != nil {
			return 0, err
		}
		if !ok {
			break
		}
		if r != nil {
			if err := r.alloc(valueSize); err != nil {
				return 0, err
			}
		}
		rest = append(rest, v)
	}
	l.peeked = false
	i := 0
	l.next = func() (Value, bool, error) {
		if i >= len(rest) {
			return Value{}, false, nil
		}
		i++
		return rest[i-1], true, nil
	}
	l.length, l.hasLen = int64(len(rest)+l.index0+1), true
	return l.length, nil
}

func (l *loopObj) Attr(r *Renderer, name string) (Value, bool, error) {
	switch name {
	case "index":
		return Int(int64(l.index0 + 1)), true, nil
	case "index0":
		return Int(int64(l.index0)), true, nil
	case "revindex", "revindex0", "length":
		n, err := l.size(r)
		if err != nil {
			return Value{}, true, err
		}
		switch name {
		case "revindex":
			n -= int64(l.index0)
		case "revindex0":
			n -= int64(l.index0 + 1)
		}
		return Int(n), true, nil
	case "first":
		return Bool(l.index0 == 0), true, nil
	case "last":
		_, more, err := l.peek()
		return Bool(!more), true, err
	case "depth":
		return Int(int64(l.depth0 + 1)), true, nil
	case "depth0":
		return Int(int64(l.depth0)), true, nil
	case "previtem":
		if l.index0 == 0 {
			return undefinedHint("there is no previous item"), true, nil
		}
		return l.before, true, nil
	case "nextitem":
		v, more, err := l.peek()
		if err != nil || !more {
			return undefinedHint("there is no next item"), true, err
		}
		return v, true, nil
	case "cycle":
		return bound("cycle", ObjectValue(l), func(r *Renderer, _ Value, args []Value, kw []Kwarg) (Value, error) {
			if len(kw) > 0 {
				return Value{}, typeErrorf("cycle() got an unexpected keyword argument '%s'", kw[0].Name)
			}
			if len(args) == 0 {
				return Value{}, typeErrorf("no items for cycling given")
			}
			return args[l.index0%len(args)], nil
		}), true, nil
	case "changed":
		return bound("changed", ObjectValue(l), func(r *Renderer, _ Value, args []Value, kw []Kwarg) (Value, error) {
			v := NewTuple(args)
			if l.changed {
				eq, err := r.equal(v, l.last, 0)
				if err != nil {
					return Value{}, err
				}
				if eq {
					return False, nil
				}
			}
			l.changed, l.last = true, v
			return True, nil
		}), true, nil
	}
	return Value{}, false, nil
}

// call is loop(items) in a recursive loop.
func (l *loopObj) call(r *Renderer, args []Value, kw []Kwarg) (Value, error) {
	if !l.stmt.recursive {
		return Value{}, typeErrorf("Tried to call non recursive loop.  Maybe you forgot the 'recursive' modifier.")
	}
	if len(args) != 1 || len(kw) > 0 {
		return Value{}, typeErrorf("loop() takes exactly one argument")
	}
	if err := r.enterCall(); err != nil {
		return Value{}, err
	}
	defer r.leaveCall()
	text, err := r.capture(func() error { return r.runLoop(l.stmt, args[0], l.depth0+1) })
	if err != nil {
		return Value{}, err
	}
	if r.autoescape {
		return Markup(text), nil
	}
	return String(text), nil
}

func (r *Renderer) execFor(s *forStmt) error {
	iter, err := r.eval(s.iter)
	if err != nil {
		return err
	}
	return r.runLoop(s, iter, 0)
}

// loopFrame is the scope of one turn of a loop with its first names.
type loopFrame struct {
	f     frame
	names [4]string
	vals  [4]Value
}

func (r *Renderer) runLoop(s *forStmt, iter Value, depth0 int) error {
	next, err := r.iterator(iter)
	if err != nil {
		return err
	}
	outer, outerLoop := r.frame, r.loop
	l := &loopObj{stmt: s, next: next, depth0: depth0, index0: -1}
	if s.cond != nil {
		// for x in y if cond: a generator of the items passing cond,
		// which holds the scope around the loop.
		outer.capture()
		all := next
		l.next = func() (Value, bool, error) {
			for {
				it, ok, err := all()
				if err != nil || !ok {
					return Value{}, false, err
				}
				// The test may run while the body does (loop.last looks
				// ahead): it gets a scope of its own and no loop.
				bodyFrame, bodyLoop := r.frame, r.loop
				r.frame, r.loop = &frame{parent: outer}, outerLoop
				err = r.assign(s.target, it)
				var v Value
				if err == nil {
					v, err = r.eval(s.cond)
				}
				r.frame, r.loop = bodyFrame, bodyLoop
				if err != nil {
					return Value{}, false, err
				}
				if v.Truth() {
					return it, true, nil
				}
			}
		}
	} else if hasLen(iter) {
		l.lenOf = func() (int64, error) { return r.length(iter) }
	}
	loopVal := ObjectValue(l)
	defer func() { r.frame, r.loop = outer, outerLoop }()
	var lf *loopFrame
	for {
		r.frame, r.loop = outer, outerLoop
		it, ok, err := l.advance()
		if err != nil {
			return err
		}
		if !ok {
			break
		}
		if err := r.step(); err != nil {
			return err
		}
		// A new scope for each turn, with room for a few names, in one
		// allocation: the last turn's, emptied, unless something kept it
		// (a macro defined in the body keeps its own).
		if lf == nil || lf.f.captured {
			lf = &loopFrame{}
		} else {
			*lf = loopFrame{}
		}
		f := &lf.f
		f.parent, f.names, f.vals = outer, lf.names[:0], lf.vals[:0]
		r.frame, r.loop = f, l
		f.set("loop", loopVal)
		if err := r.assign(s.target, it); err != nil {
			return err
		}
		if err := r.execNodes(s.body); err != nil {
			return err
		}
	}
	if l.index0 < 0 {
		r.frame, r.loop = outer, outerLoop
		return r.execNodes(s.els)
	}
	return nil
}

// pull is iter(loop): Jinja2's LoopContext is its own iterator and
// yields (item, loop) for the items the for statement has not reached
// yet, advancing the loop itself ({% set a, b = loop %} consumes them).
func (l *loopObj) pull(r *Renderer) func() (Value, bool, error) {
	self := ObjectValue(l)
	return func() (Value, bool, error) {
		v, ok, err := l.advance()
		if err != nil || !ok {
			return Value{}, false, err
		}
		if err := r.allocN(2, valueSize); err != nil {
			return Value{}, false, err
		}
		return NewTuple([]Value{v, self}), true, nil
	}
}

func (l *loopObj) iterate(r *Renderer, fn func(Value) (bool, error)) error {
	next := l.pull(r)
	for {
		if err := r.step(); err != nil {
			return err
		}
		v, ok, err := next()
		if err != nil || !ok {
			return err
		}
		if more, err := fn(v); !more || err != nil {
			return err
		}
	}
}
