package bench

import (
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"

	"google.golang.org/protobuf/encoding/protowire"
)

// cpuProfile is the part of a pprof CPU profile the phases need: each
// sample's CPU time and its stack of function names, leaf first.
type cpuProfile struct {
	samples []profSample
	total   int64 // ns
}

type profSample struct {
	ns    int64
	stack []string // leaf first; inlined frames included
}

// maxProfile bounds a profile read from the worker.
const maxProfile = 64 << 20

// parseCPUProfile reads a gzipped (or plain) profile.proto.
func parseCPUProfile(data []byte) (*cpuProfile, error) {
	if len(data) > 2 && data[0] == 0x1f && data[1] == 0x8b {
		zr, err := gzip.NewReader(bytes.NewReader(data))
		if err != nil {
			return nil, fmt.Errorf("profile: %w", err)
		}
		if data, err = io.ReadAll(io.LimitReader(zr, maxProfile+1)); err != nil {
			return nil, fmt.Errorf("profile: %w", err)
		}
		if len(data) > maxProfile {
			return nil, errors.New("profile: over 64 MiB")
		}
	}
	type location struct{ funcs []uint64 } // function ids, innermost first
	var (
		strs      []string
		funcName  = map[uint64]int64{} // function id -> string index
		locs      = map[uint64]location{}
		rawSample [][]byte
		types     [][2]int64 // sample_type: type, unit string indices
	)
	err := fields(data, func(num protowire.Number, typ protowire.Type, v uint64, b []byte) error {
		switch num {
		case 1: // sample_type
			var t [2]int64
			err := fields(b, func(n protowire.Number, _ protowire.Type, v uint64, _ []byte) error {
				if n == 1 || n == 2 {
					t[n-1] = int64(v)
				}
				return nil
			})
			types = append(types, t)
			return err
		case 2: // sample: decoded once the strings are known
			rawSample = append(rawSample, b)
		case 4: // location
			var id uint64
			var l location
			err := fields(b, func(n protowire.Number, _ protowire.Type, v uint64, b []byte) error {
				switch n {
				case 1:
					id = v
				case 4: // line
					return fields(b, func(n protowire.Number, _ protowire.Type, v uint64, _ []byte) error {
						if n == 1 {
							l.funcs = append(l.funcs, v)
						}
						return nil
					})
				}
				return nil
			})
			locs[id] = l
			return err
		case 5: // function
			var id uint64
			var name int64
			err := fields(b, func(n protowire.Number, _ protowire.Type, v uint64, _ []byte) error {
				switch n {
				case 1:
					id = v
				case 2:
					name = int64(v)
				}
				return nil
			})
			funcName[id] = name
			return err
		case 6: // string_table
			strs = append(strs, string(b))
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	str := func(i int64) string {
		if i < 0 || i >= int64(len(strs)) {
			return ""
		}
		return strs[i]
	}
	col := -1 // the value in nanoseconds
	for i, t := range types {
		if str(t[1]) == "nanoseconds" {
			col = i
		}
	}
	if col < 0 {
		return nil, errors.New("profile: not a CPU profile (no nanoseconds value)")
	}
	p := &cpuProfile{}
	for _, b := range rawSample {
		var ids []uint64
		var vals []int64
		err := fields(b, func(n protowire.Number, typ protowire.Type, v uint64, b []byte) error {
			switch {
			case n == 1 && typ == protowire.BytesType:
				return packed(b, func(v uint64) { ids = append(ids, v) })
			case n == 1:
				ids = append(ids, v)
			case n == 2 && typ == protowire.BytesType:
				return packed(b, func(v uint64) { vals = append(vals, int64(v)) })
			case n == 2:
				vals = append(vals, int64(v))
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		if col >= len(vals) {
			continue
		}
		s := profSample{ns: vals[col]}
		for _, id := range ids {
			for _, f := range locs[id].funcs {
				// The linker escapes dots of a path's last element
				// (nats%2ego): names as written in the source.
				s.stack = append(s.stack, strings.ReplaceAll(str(funcName[f]), "%2e", "."))
			}
		}
		p.samples = append(p.samples, s)
		p.total += s.ns
	}
	return p, nil
}

// fields calls f for each field of a protobuf message: v for varints
// and fixed values, b for length-delimited ones.
func fields(data []byte, f func(num protowire.Number, typ protowire.Type, v uint64, b []byte) error) error {
	for len(data) > 0 {
		num, typ, n := protowire.ConsumeTag(data)
		if n < 0 {
			return fmt.Errorf("profile: %w", protowire.ParseError(n))
		}
		data = data[n:]
		var v uint64
		var b []byte
		switch typ {
		case protowire.VarintType:
			v, n = protowire.ConsumeVarint(data)
		case protowire.Fixed64Type:
			v, n = protowire.ConsumeFixed64(data)
		case protowire.Fixed32Type:
			var v32 uint32
			v32, n = protowire.ConsumeFixed32(data)
			v = uint64(v32)
		case protowire.BytesType:
			b, n = protowire.ConsumeBytes(data)
		default:
			n = protowire.ConsumeFieldValue(num, typ, data)
		}
		if n < 0 {
			return fmt.Errorf("profile: %w", protowire.ParseError(n))
		}
		data = data[n:]
		if err := f(num, typ, v, b); err != nil {
			return err
		}
	}
	return nil
}

func packed(b []byte, f func(uint64)) error {
	for len(b) > 0 {
		v, n := protowire.ConsumeVarint(b)
		if n < 0 {
			return fmt.Errorf("profile: %w", protowire.ParseError(n))
		}
		f(v)
		b = b[n:]
	}
	return nil
}

// The phases of an event in the worker, in the order of the report.
const (
	PhaseDecode   = "decode"
	PhaseResolve  = "resolve"
	PhaseRender   = "render"
	PhaseHTTP     = "HTTP"
	PhaseMap      = "map"
	PhaseResult   = "Result"
	PhaseAck      = "ack"
	PhaseLog      = "log, metrics"
	PhasePull     = "pull, NATS I/O"
	PhaseGC       = "GC"
	PhaseSchedule = "Go scheduler"
	PhaseOther    = "other"
)

// PhaseOrder lists the phases as reported.
var PhaseOrder = []string{PhaseDecode, PhaseResolve, PhaseRender, PhaseHTTP, PhaseMap, PhaseResult,
	PhaseAck, PhaseLog, PhasePull, PhaseGC, PhaseSchedule, PhaseOther}

const (
	hw      = "github.com/hookworker/hookworker/"
	natsPkg = "github.com/nats-io/nats.go"
)

// gcFuncs put a sample in GC wherever they are on its stack.
var gcFuncs = []string{"runtime.gcBgMarkWorker", "runtime.gcAssistAlloc", "runtime.bgsweep",
	"runtime.bgscavenge", "runtime.gcStart", "runtime.deductSweepCredit", "runtime.(*mheap).reclaim",
	"runtime.markrootSpans", "runtime.gcMarkDone", "runtime.gcMarkTermination"}

// phaseRules map a function (by prefix) to its phase. A sample belongs to
// the phase of the outermost frame (root first) that a rule names: the
// worker's own steps are named where the event's path enters them, so
// that the template engine called by the mapper counts as map, and
// zap called by settle as log.
var phaseRules = []struct{ prefix, phase string }{
	{hw + "worker.(*Worker).decode", PhaseDecode},
	{hw + "worker.(*Worker).newJob", PhaseDecode},
	{hw + "trigger.", PhaseDecode},
	{hw + "worker.(*Worker).definition", PhaseResolve},
	{hw + "worker.(*Worker).compiledOf", PhaseResolve},
	{hw + "worker.(*Worker).loadHistory", PhaseResolve},
	{hw + "worker.(*Worker).checkOrderedSubject", PhaseResolve},
	{hw + "worker.(*Worker).process.func", PhaseResolve}, // the tenancy checks
	{hw + "render.Normalize", PhaseRender},
	{hw + "worker.(*Worker).render", PhaseRender},
	{hw + "worker.(*Worker).condition", PhaseRender},
	{hw + "render.", PhaseRender},
	{hw + "worker.(*Worker).attempt", PhaseHTTP},
	{hw + "worker.(*Worker).admit", PhaseHTTP},
	{hw + "internal/egress", PhaseHTTP},
	{hw + "internal/h1", PhaseHTTP},
	{hw + "internal/hostguard", PhaseHTTP},
	{"net/http.", PhaseHTTP},
	{"net.", PhaseHTTP},
	{"internal/poll.", PhaseHTTP},
	{hw + "mapper.", PhaseMap},
	{hw + "worker.(*compiled).judge", PhaseMap},
	{hw + "worker.(*Worker).publishResult", PhaseResult},
	{hw + "worker.resultOf", PhaseResult},
	{hw + "worker.(*resultRouter)", PhaseResult},
	{hw + "worker.(*Worker).report", PhaseLog},
	{hw + "internal/metrics", PhaseLog},
	{"go.uber.org/zap", PhaseLog},
	{"github.com/prometheus/", PhaseLog},
	{hw + "worker.(*Worker).forgetHistory", PhaseAck},
	{hw + "worker.(*inflight)", PhaseAck},
	{natsPkg + "/jetstream.(*jetStreamMsg).", PhaseAck},
	{natsPkg, PhasePull},
	{"runtime.schedule", PhaseSchedule},
	{"runtime.findRunnable", PhaseSchedule},
	{"runtime.mcall", PhaseSchedule},
	{"runtime.park_m", PhaseSchedule},
	{"runtime.goexit0", PhaseSchedule},
	{"runtime.sysmon", PhaseSchedule},
	{"runtime.mstart", PhaseSchedule},
	{"runtime.morestack", PhaseSchedule},
	{"runtime.newproc", PhaseSchedule},
	{"runtime.netpoll", PhaseSchedule},
	{"runtime.notewakeup", PhaseSchedule},
	{"runtime.goready", PhaseSchedule},
}

// phaseOf is the phase of a sample's stack (leaf first).
func phaseOf(stack []string) string {
	for _, f := range stack {
		if slices.Contains(gcFuncs, f) {
			return PhaseGC
		}
	}
	for i := len(stack) - 1; i >= 0; i-- {
		for _, r := range phaseRules {
			if strings.HasPrefix(stack[i], r.prefix) {
				return r.phase
			}
		}
	}
	return PhaseOther
}

// PhaseShare is one phase's CPU time per event.
type PhaseShare struct {
	Phase      string  `json:"phase"`
	UsPerEvent float64 `json:"us_per_event"`
	Share      float64 `json:"share"`
}

// Profile is the worker's CPU profile over a window of a burst,
// attributed to the phases of an event.
type Profile struct {
	// Seconds is the window; Events the Results that arrived in it.
	Seconds float64 `json:"seconds"`
	Events  int     `json:"events"`
	// BurstEvents is the profiled burst's size (its Results are checked).
	BurstEvents int `json:"burst_events"`
	// UsPerEvent is all the profile's CPU time per event (the profiler
	// itself included).
	UsPerEvent float64      `json:"us_per_event"`
	Phases     []PhaseShare `json:"phases"`
	// TopOther are the leaf functions of the "other" phase with the most
	// time, as "name µs/event".
	TopOther []string `json:"top_other,omitempty"`
}

// attribute spreads the profile's time over the phases, per event.
func (p *cpuProfile) attribute(events int, seconds float64) Profile {
	out := Profile{Seconds: seconds, Events: events}
	if events <= 0 || p.total <= 0 {
		return out
	}
	per := func(ns int64) float64 { return float64(ns) / 1e3 / float64(events) }
	byPhase := map[string]int64{}
	other := map[string]int64{}
	for _, s := range p.samples {
		ph := phaseOf(s.stack)
		byPhase[ph] += s.ns
		if ph == PhaseOther && len(s.stack) > 0 {
			other[s.stack[0]] += s.ns
		}
	}
	out.UsPerEvent = per(p.total)
	for _, ph := range PhaseOrder {
		out.Phases = append(out.Phases, PhaseShare{Phase: ph, UsPerEvent: per(byPhase[ph]), Share: float64(byPhase[ph]) / float64(p.total)})
	}
	names := make([]string, 0, len(other))
	for n := range other {
		names = append(names, n)
	}
	sort.Slice(names, func(i, j int) bool { return other[names[i]] > other[names[j]] })
	for _, n := range names[:min(5, len(names))] {
		out.TopOther = append(out.TopOther, fmt.Sprintf("%s %.1f", n, per(other[n])))
	}
	return out
}
