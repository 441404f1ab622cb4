package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"maps"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hookworker/hookworker/trigger"
)

func TestBenchMedian(t *testing.T) {
	for _, c := range []struct {
		in   []float64
		want float64
	}{{nil, 0}, {[]float64{3}, 3}, {[]float64{5, 1, 3}, 3}, {[]float64{4, 1, 3, 2}, 2.5}} {
		if got := median(c.in); got != c.want {
			t.Errorf("median(%v) = %v, want %v", c.in, got, c.want)
		}
	}
}

func TestBenchPercentiles(t *testing.T) {
	var ds []time.Duration
	for i := 100; i >= 1; i-- { // 1..100 ms, reversed
		ds = append(ds, time.Duration(i)*time.Millisecond)
	}
	got := percentiles(ds)
	want := Percentiles{P50: 50, P90: 90, P99: 99, Max: 100}
	if got != want {
		t.Errorf("percentiles = %+v, want %+v", got, want)
	}
	if got := percentiles([]time.Duration{2 * time.Millisecond}); got.P50 != 2 || got.P99 != 2 || got.Max != 2 {
		t.Errorf("one value: %+v", got)
	}
	if got := percentiles(nil); got != (Percentiles{}) {
		t.Errorf("none: %+v", got)
	}
}

func TestBenchComposite(t *testing.T) {
	if got := composite(100, 100); got != 50 {
		t.Errorf("composite(100, 100) = %v", got)
	}
	if got := composite(0, 100); got != 0 {
		t.Errorf("composite(0, 100) = %v", got)
	}
}

func TestBenchTrackerIndex(t *testing.T) {
	tr := newTracker("run1", "b0", 10)
	for id, want := range map[string]int{"run1-b0-0": 0, "run1-b0-9": 9} {
		if i, ok := tr.index(id); !ok || i != want {
			t.Errorf("index(%q) = %d, %v", id, i, ok)
		}
	}
	for _, id := range []string{"run1-b0-10", "run1-b1-1", "run2-b0-1", "run1-b0-", "run1-b0--1", "run1-b0-x", ""} {
		if i, ok := tr.index(id); ok {
			t.Errorf("index(%q) = %d, want no match", id, i)
		}
	}
}

// Each preset's event is valid, made with the id, reply_to and target
// of each event, and renders the body Jinja2 gives for it (the raw HTTP
// phase sends what the renderer gives).
func TestBenchPresets(t *testing.T) {
	for _, name := range Presets {
		t.Run(name, func(t *testing.T) {
			p, err := LoadPreset(name)
			if err != nil {
				t.Fatal(err)
			}
			var f struct {
				Event struct {
					ID string `json:"id"`
				} `json:"event"`
				Want struct {
					Body string `json:"body"`
				} `json:"want"`
			}
			raw, _ := presetFS.ReadFile("presets/" + name + ".json")
			if err := json.Unmarshal(raw, &f); err != nil {
				t.Fatal(err)
			}
			data := p.event(f.Event.ID, p.Bot(), "_INBOX.hookbench.r.b0.7", "http://127.0.0.1:9")
			ev, err := trigger.Decode(data)
			if err != nil {
				t.Fatalf("%v\n%s", err, data)
			}
			if ev.ID != f.Event.ID || ev.ReplyTo != "_INBOX.hookbench.r.b0.7" || !strings.HasPrefix(ev.Webhook.URL, "http://127.0.0.1:9/") {
				t.Errorf("id %q, reply_to %q, url %q", ev.ID, ev.ReplyTo, ev.Webhook.URL)
			}
			req, err := newRenderer().request(data)
			if err != nil {
				t.Fatal(err)
			}
			if string(req.body) != f.Want.Body {
				t.Errorf("rendered body\n %s\nwant (Jinja2's)\n %s", req.body, f.Want.Body)
			}
			if !strings.HasPrefix(req.url, "http://127.0.0.1:9/") {
				t.Errorf("rendered URL %s", req.url)
			}
			other := p.event("x-1", "bot-7", "_INBOX.a.b", "http://127.0.0.1:10")
			if ev2, err := trigger.Decode(other); err != nil || ev2.ID != "x-1" || ev2.BotID != "bot-7" || ev2.ReplyTo != "_INBOX.a.b" {
				t.Errorf("second event: %v %+v", err, ev2)
			}
		})
	}
	if _, err := LoadPreset("nope"); err == nil || !strings.Contains(err.Error(), "realistic") {
		t.Errorf("unknown preset: %v", err)
	}
}

// The embedded presets are the render benchmarks' events.
func TestBenchPresetsMatchRender(t *testing.T) {
	for _, name := range Presets {
		ours, _ := presetFS.ReadFile("presets/" + name + ".json")
		theirs, err := os.ReadFile(filepath.Join("..", "..", "render", "testdata", "bench", name+".json"))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(ours, theirs) {
			t.Errorf("presets/%s.json differs from render/testdata/bench/%s.json: copy it over", name, name)
		}
	}
}

func TestBenchParsePresetRejects(t *testing.T) {
	for name, c := range map[string]struct{ data, want string }{
		"not json":    {`{`, "event file"},
		"no event":    {`{"response":{}}`, "event: missing"},
		"bad event":   {`{"event":{"id":""}}`, "event file: event"},
		"webhook ref": {`{"event":{"id":"e","bot_id":"b","conversation_id":"c","webhook_ref":{"id":"w"}}}`, "inline webhook"},
		"bad url":     {`{"event":{"id":"e","bot_id":"b","conversation_id":"c","webhook":{"id":"w","method":"GET","url":"{{ u }}"}}}`, "webhook.url"},
		"bad status":  {`{"event":{"id":"e","bot_id":"b","conversation_id":"c","webhook":{"id":"w","method":"GET","url":"http://x/"}},"response":{"status_code":99}}`, "status_code"},
	} {
		if _, err := ParsePreset("f", []byte(c.data)); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one naming %q", name, err, c.want)
		}
	}
	big := bytes.Repeat([]byte(" "), maxEventFile+1)
	if _, err := ParsePreset("f", big); err == nil {
		t.Error("an oversized file was accepted")
	}
}

func TestBenchCheckResult(t *testing.T) {
	p, err := LoadPreset("realistic")
	if err != nil {
		t.Fatal(err)
	}
	good := func() *wireResult {
		return &wireResult{EventID: "e", Status: "succeeded", HTTPStatus: 201,
			CVars: map[string]any{"ticket_status": "open", "ticket_id": json.Number("35436")}}
	}
	if msg := p.checkResult(good()); msg != "" {
		t.Errorf("good Result: %s", msg)
	}
	for name, change := range map[string]func(*wireResult){
		"failed":     func(r *wireResult) { r.Status = "failed"; r.Error = &trigger.Error{Class: "blocked", Message: "no"} },
		"status 200": func(r *wireResult) { r.HTTPStatus = 200 },
		"wrong cvar": func(r *wireResult) { r.CVars["ticket_status"] = "closed" },
		"string id":  func(r *wireResult) { r.CVars["ticket_id"] = "35436" },
		"extra cvar": func(r *wireResult) { r.CVars["x"] = 1 },
		"no cvar":    func(r *wireResult) { delete(r.CVars, "ticket_id") },
	} {
		r := good()
		change(r)
		if p.checkResult(r) == "" {
			t.Errorf("%s: passed the check", name)
		}
	}
}

// The raw phases run in-process, without a worker.
func TestBenchRawPhases(t *testing.T) {
	o, err := Options{Events: 500, Concurrency: 8, WorkerBin: "unused"}.normalize()
	if err != nil {
		t.Fatal(err)
	}
	p, err := LoadPreset("realistic")
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{o: o, preset: p, run: runID()}
	defer h.close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := h.start(ctx); err != nil {
		t.Fatal(err)
	}
	js, ju, err := h.rawJetStream(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	hs, hu, err := h.rawHTTP(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	if js <= 0 || hs <= 0 || math.IsInf(js, 0) || math.IsInf(hs, 0) {
		t.Errorf("jetstream %v/s, http %v/s", js, hs)
	}
	if ju.self <= 0 || hu.self <= 0 || ju.elapsed <= 0 || hu.elapsed <= 0 {
		t.Errorf("cpu use: jetstream %+v, http %+v", ju, hu)
	}
	if got := h.target.requests.Load(); got != 500 {
		t.Errorf("target saw %d requests, want 500", got)
	}
	// A second burst on the same consumer works too.
	if _, _, err := h.rawJetStream(ctx, 1); err != nil {
		t.Fatal(err)
	}
}

func TestBenchOptions(t *testing.T) {
	for _, o := range []Options{
		{Events: -1, WorkerBin: "x"},
		{Concurrency: 20000, WorkerBin: "x"},
		{Bursts: 1000, WorkerBin: "x"},
		{Rate: -1, WorkerBin: "x"},
		{Concurrency: 64, MaxAckPending: 10, WorkerBin: "x"},
		{Rate: 1e6, Duration: time.Minute, WorkerBin: "x"},
		{WorkerBin: "x", WorkerEnv: []string{"NOEQUALS"}},
		{WorkerBin: "x", Workers: 17},
		{WorkerBin: "x", Bots: 1001},
		{WorkerBin: "x", Cluster: 6},
		{WorkerBin: "x", ProfileSeconds: 61},
		{WorkerBin: "x", Preset: "heavy", EventFile: "f.json"},
		{},
	} {
		if _, err := o.normalize(); err == nil {
			t.Errorf("%+v: accepted", o)
		}
	}
	o, err := Options{WorkerBin: "x"}.normalize()
	if err != nil || o.Events != 20000 || o.Concurrency != 64 || o.Bursts != 3 || o.MaxAckPending < 64 {
		t.Errorf("defaults: %+v, %v", o, err)
	}
}

func TestBenchTailWriter(t *testing.T) {
	var out strings.Builder
	w := &tailWriter{out: &out, prefix: "w: "}
	for i := range 30 {
		_, _ = w.Write([]byte("line " + string(rune('a'+i%26)) + "\npart"))
		_, _ = w.Write([]byte("ial\n"))
	}
	w.flush()
	if got := len(w.last()); got != tailLines {
		t.Errorf("kept %d lines, want %d", got, tailLines)
	}
	if !strings.HasPrefix(out.String(), "w: line a\nw: partial\n") {
		t.Errorf("output starts %q", out.String()[:30])
	}
}

// A Result as the worker (AppendJSON) or the baseline (encoding/json)
// writes it passes the quick check; any difference sends it to the full
// check.
func TestBenchQuickCheck(t *testing.T) {
	for _, name := range Presets {
		p, err := LoadPreset(name)
		if err != nil {
			t.Fatal(err)
		}
		cvars := map[string]any{}
		for k, v := range p.want {
			if n, ok := v.(json.Number); ok {
				i, _ := n.Int64()
				v = i // the mapper's integers
			}
			cvars[k] = v
		}
		good := func() trigger.Result {
			return trigger.Result{EventID: "r-b0-1", BotID: "b", Status: trigger.StatusSucceeded, CVars: maps.Clone(cvars),
				Unmapped: []string{}, HTTPStatus: p.status, Attempts: 1, CompletedAt: time.Now()}
		}
		res := good()
		data, err := res.AppendJSON(nil)
		if err != nil {
			t.Fatal(err)
		}
		if id, ok := p.quickCheck(data); !ok || id != "r-b0-1" {
			t.Errorf("%s: the worker's Result %s: %q %v", name, data, id, ok)
		}
		if data, _ = json.Marshal(good()); !quickOK(p, data) {
			t.Errorf("%s: encoding/json's Result %s failed the quick check", name, data)
		}
		for what, change := range map[string]func(*trigger.Result){
			"failed":     func(r *trigger.Result) { r.Status = trigger.StatusFailed },
			"status":     func(r *trigger.Result) { r.HTTPStatus = 599 },
			"extra cvar": func(r *trigger.Result) { r.CVars["x"] = "y" },
			"escaped id": func(r *trigger.Result) { r.EventID = "r-b0-\t1" },
		} {
			r := good()
			change(&r)
			data, _ := r.AppendJSON(nil)
			if quickOK(p, data) {
				t.Errorf("%s: %s passed the quick check: %s", name, what, data)
			}
		}
	}
}

func quickOK(p *Preset, data []byte) bool { _, ok := p.quickCheck(data); return ok }
