package bench

import (
	"bytes"
	"runtime/pprof"
	"slices"
	"strings"
	"testing"
	"time"
)

//go:noinline
func benchSpin(d time.Duration) int {
	n := 0
	for end := time.Now().Add(d); time.Now().Before(end); {
		n++
	}
	return n
}

// A real CPU profile of this process parses, with its CPU time and the
// stacks that spent it.
func TestBenchParseCPUProfile(t *testing.T) {
	var buf bytes.Buffer
	if err := pprof.StartCPUProfile(&buf); err != nil {
		t.Skipf("a CPU profile is already running: %v", err)
	}
	benchSpin(400 * time.Millisecond)
	pprof.StopCPUProfile()
	p, err := parseCPUProfile(buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if p.total < int64(100*time.Millisecond) || len(p.samples) == 0 {
		t.Fatalf("total %s over %d samples, want most of the 400ms spun", time.Duration(p.total), len(p.samples))
	}
	var spin int64
	for _, s := range p.samples {
		if slices.ContainsFunc(s.stack, func(f string) bool { return strings.HasSuffix(f, "bench.benchSpin") }) {
			spin += s.ns
		}
	}
	if spin < p.total/2 {
		t.Errorf("benchSpin has %s of %s", time.Duration(spin), time.Duration(p.total))
	}
	for _, bad := range [][]byte{{0x1f, 0x8b, 0}, {0xff}, nil} {
		if _, err := parseCPUProfile(bad); err == nil {
			t.Errorf("%x: parsed", bad)
		}
	}
}

func TestBenchPhaseOf(t *testing.T) {
	w := hw + "worker.(*Worker)."
	for _, c := range []struct {
		stack []string // root first here, for reading
		want  string
	}{
		{[]string{"runtime.goexit", w + "handle", w + "process", w + "decode", hw + "trigger.(*Decoder).Decode", "runtime.mallocgc"}, PhaseDecode},
		{[]string{"runtime.goexit", w + "handle", w + "process", w + "run", w + "render", hw + "render.(*Webhook).Render", hw + "internal/jinja.(*Renderer).Render"}, PhaseRender},
		{[]string{"runtime.goexit", w + "handle", w + "process", w + "run", hw + "mapper.(*Mapper).Apply", hw + "render.(*Template).RenderVars"}, PhaseMap},
		{[]string{"runtime.goexit", w + "handle", w + "process", w + "run", w + "attempt", "net/http.(*Client).Do"}, PhaseHTTP},
		{[]string{"runtime.goexit", "net/http.(*persistConn).writeLoop", "net.(*conn).Write", "syscall.write"}, PhaseHTTP},
		{[]string{"runtime.goexit", w + "handle", w + "settle", w + "publishResult", natsPkg + ".(*Conn).publish"}, PhaseResult},
		{[]string{"runtime.goexit", w + "handle", w + "settle", natsPkg + "/jetstream.(*jetStreamMsg).Ack"}, PhaseAck},
		{[]string{"runtime.goexit", w + "handle", w + "settle", w + "report", "go.uber.org/zap.(*Logger).Check"}, PhaseLog},
		{[]string{"runtime.goexit", natsPkg + ".(*Conn).flusher", "net.(*conn).Write"}, PhasePull},
		{[]string{"runtime.goexit", w + "handle", w + "process", w + "run", w + "render", "runtime.mallocgc", "runtime.gcAssistAlloc"}, PhaseGC},
		{[]string{"runtime.gcBgMarkWorker", "runtime.gcDrain"}, PhaseGC},
		{[]string{"runtime.mcall", "runtime.park_m", "runtime.schedule", "runtime.findRunnable"}, PhaseSchedule},
		{[]string{"runtime.goexit", w + "handle", "time.Now"}, PhaseOther},
		{nil, PhaseOther},
	} {
		leafFirst := slices.Clone(c.stack)
		slices.Reverse(leafFirst)
		if got := phaseOf(leafFirst); got != c.want {
			t.Errorf("%v: phase %q, want %q", c.stack, got, c.want)
		}
	}
}

func TestBenchAttribute(t *testing.T) {
	w := hw + "worker.(*Worker)."
	p := &cpuProfile{samples: []profSample{
		{ns: 3000, stack: []string{w + "decode"}},
		{ns: 1000, stack: []string{"time.Now", w + "handle"}},
	}, total: 4000}
	got := p.attribute(2, 1)
	if got.UsPerEvent != 2 || got.Events != 2 || len(got.Phases) != len(PhaseOrder) {
		t.Fatalf("%+v", got)
	}
	for _, ph := range got.Phases {
		want := map[string]float64{PhaseDecode: 1.5, PhaseOther: 0.5}[ph.Phase]
		if ph.UsPerEvent != want {
			t.Errorf("%s: %v µs/event, want %v", ph.Phase, ph.UsPerEvent, want)
		}
	}
	if len(got.TopOther) != 1 || !strings.HasPrefix(got.TopOther[0], "time.Now 0.5") {
		t.Errorf("top other %v", got.TopOther)
	}
	if z := p.attribute(0, 1); z.UsPerEvent != 0 || z.Phases != nil {
		t.Errorf("no events: %+v", z)
	}
}

func TestBenchCounterValue(t *testing.T) {
	text := "# HELP hookworker_pull_stalls_total x\n# TYPE hookworker_pull_stalls_total counter\n" +
		"hookworker_pull_stalls_total{consumer=\"a\"} 2\nhookworker_pull_stalls_total{consumer=\"b\"} 1\n" +
		"hookworker_pull_stalls_total_other 9\nhookworker_x 5\n"
	if v, ok := counterValue(text, "hookworker_pull_stalls_total"); !ok || v != 3 {
		t.Errorf("counterValue = %v, %v; want 3", v, ok)
	}
	if v, ok := counterValue("hookworker_x 5\n", "hookworker_x"); !ok || v != 5 {
		t.Errorf("unlabelled: %v, %v", v, ok)
	}
	if _, ok := counterValue(text, "hookworker_missing"); ok {
		t.Error("a missing counter was found")
	}
}
