package fault

import (
	"fmt"
	"net/url"
	"slices"
	"strconv"
)

// OrderReport says how the requests of each lane (requests that must come
// one after another, such as the webhooks of one conversation) followed
// one another. See Order.
type OrderReport struct {
	Lanes    int
	Requests int
	// OutOfOrder describes each request whose sequence number is below one
	// its lane had already received.
	OutOfOrder []string
	// Overlaps describes each request that arrived while a request of an
	// earlier sequence number of its lane was still being answered.
	Overlaps []string
	// Parallel is the most lanes that had a request being answered at the
	// same instant: above 1, lanes ran in parallel.
	Parallel int
}

// ByPath is a lane function for Order: a request's lane is its path.
func ByPath(r Request) string { return r.Path }

// QueryInt is a sequence function for Order: the integer query parameter
// name of a request, -1 when it is missing or not an integer.
func QueryInt(name string) func(Request) int {
	return func(r Request) int {
		q, _ := url.ParseQuery(r.Query)
		n, err := strconv.Atoi(q.Get(name))
		if err != nil {
			return -1
		}
		return n
	}
}

// Order checks reqs (as Requests returns them, in arrival order) lane by
// lane: lane names a request's lane, seq its place in the lane. Repeated
// sequence numbers (one event run again) are allowed next to each other.
func Order(reqs []Request, lane func(Request) string, seq func(Request) int) OrderReport {
	var rep OrderReport
	rep.Requests = len(reqs)
	type state struct {
		max     int
		doneMax map[int]Request // the latest-answered request of each seq
	}
	lanes := map[string]*state{}
	for _, r := range reqs {
		l, n := lane(r), seq(r)
		st := lanes[l]
		if st == nil {
			st = &state{max: n, doneMax: map[int]Request{}}
			lanes[l] = st
		}
		if n < st.max {
			rep.OutOfOrder = append(rep.OutOfOrder, fmt.Sprintf("lane %s: %d arrived after %d", l, n, st.max))
		}
		st.max = max(st.max, n)
		for k, prev := range st.doneMax {
			if k < n && r.At.Before(prev.Done) {
				rep.Overlaps = append(rep.Overlaps, fmt.Sprintf("lane %s: %d arrived %s before %d was answered", l, n, prev.Done.Sub(r.At), k))
			}
		}
		if prev, ok := st.doneMax[n]; !ok || r.Done.After(prev.Done) {
			st.doneMax[n] = r
		}
	}
	rep.Lanes = len(lanes)
	byStart := slices.Clone(reqs)
	slices.SortFunc(byStart, func(a, b Request) int { return a.At.Compare(b.At) })
	for i, r := range byStart {
		busy := map[string]bool{lane(r): true}
		for _, o := range byStart[:i] {
			if o.Done.After(r.At) {
				busy[lane(o)] = true
			}
		}
		rep.Parallel = max(rep.Parallel, len(busy))
	}
	return rep
}
