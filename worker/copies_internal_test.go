package worker

import "testing"

// TestCopies: a copy of a message that runs here is not run; a copy of one
// settled for good is acknowledged unrun; one handed back runs again.
func TestCopies(t *testing.T) {
	c := newCopies()
	a, b := copyKey{"S", 1, 10}, copyKey{"S", 2, 20}
	steps := []struct {
		do    string // begin, end, final
		k     copyKey
		want  copyState
		label string
	}{
		{"begin", a, copyNew, "first copy of a"},
		{"begin", a, copyRunning, "second copy while the first runs"},
		{"begin", copyKey{"T", 1, 10}, copyNew, "the same seq of another stream"},
		{"begin", b, copyNew, "b"},
		{"end", b, 0, "b handed back"},
		{"begin", b, copyNew, "b again after its hand-back"},
		{"final", a, 0, "a acked"},
		{"begin", a, copyDone, "a copy of a after its ack"},
		{"begin", copyKey{"S", 1, 11}, copyNew, "seq 1 of S recreated"},
		{"final", b, 0, "b termed"},
		{"begin", b, copyDone, "b after its term"},
	}
	for _, s := range steps {
		switch s.do {
		case "begin":
			if k, got := c.begin(s.k.stream, s.k.seq, s.k.stored); got != s.want || k != s.k {
				t.Errorf("%s: begin = %v %d, want %v %d", s.label, k, got, s.k, s.want)
			}
		case "end":
			c.end(s.k, false)
		case "final":
			c.end(s.k, true)
		}
	}
}
