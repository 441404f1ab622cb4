package fault

import (
	"testing"
	"time"
)

func TestOrder(t *testing.T) {
	t0 := time.Unix(0, 0)
	at := func(lane string, seq int, from, to int) Request {
		return Request{Path: lane, Query: string(rune('0' + seq)),
			At: t0.Add(time.Duration(from) * time.Millisecond), Done: t0.Add(time.Duration(to) * time.Millisecond)}
	}
	tests := []struct {
		name                      string
		reqs                      []Request
		outOfOrder, overlaps, par int
	}{
		{"one after another", []Request{at("a", 1, 0, 1), at("a", 2, 2, 3), at("a", 3, 4, 5)}, 0, 0, 1},
		{"repeat allowed", []Request{at("a", 1, 0, 1), at("a", 1, 2, 3), at("a", 2, 4, 5)}, 0, 0, 1},
		{"out of order", []Request{at("a", 2, 0, 1), at("a", 1, 2, 3)}, 1, 0, 1},
		{"overlap", []Request{at("a", 1, 0, 5), at("a", 2, 2, 6)}, 0, 1, 1},
		{"lanes in parallel", []Request{at("a", 1, 0, 5), at("b", 1, 1, 6), at("c", 1, 2, 3), at("a", 2, 6, 7)}, 0, 0, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep := Order(tt.reqs, func(r Request) string { return r.Path }, func(r Request) int { return int(r.Query[0] - '0') })
			if len(rep.OutOfOrder) != tt.outOfOrder || len(rep.Overlaps) != tt.overlaps || rep.Parallel != tt.par {
				t.Errorf("out of order %v, overlaps %v, parallel %d; want %d, %d, %d",
					rep.OutOfOrder, rep.Overlaps, rep.Parallel, tt.outOfOrder, tt.overlaps, tt.par)
			}
		})
	}
}

func TestQueryInt(t *testing.T) {
	seq := QueryInt("seq")
	for q, want := range map[string]int{"seq=7": 7, "a=1&seq=12&b=2": 12, "seq=x": -1, "": -1, "seq=-3": -3} {
		if got := seq(Request{Query: q}); got != want {
			t.Errorf("QueryInt(seq) of %q = %d, want %d", q, got, want)
		}
	}
}
