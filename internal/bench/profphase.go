package bench

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"
)

// freeAddr is a loopback address with a port free a moment ago: the
// worker's ops listener, where its CPU profile is read.
func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// profileDelay is how long after the profiled burst starts its window
// opens: the worker is past its first pulls by then.
const profileDelay = 300 * time.Millisecond

// profiled is the profile phase: a burst long enough to outlast a window
// of seconds, during which the worker's /debug/pprof/profile is read;
// its samples are attributed to the phases of an event and divided by
// the Results that arrived in the window. eps is the measured burst
// rate, to size the burst.
func (h *harness) profiled(ctx context.Context, seconds int, eps float64) (*Profile, error) {
	n := min(maxEvents, max(h.o.Events, int(eps*(float64(seconds)+1.5))))
	phase := "f"
	h.logf("profile: %d events, the worker's CPU profile over %ds of them", n, seconds)
	data := make([][]byte, n)
	for i := range data {
		data[i] = h.event(phase, i)
	}
	tr := newTracker(h.run, phase, n)
	h.cur.Store(tr)

	type fetched struct {
		data     []byte
		from, to time.Time
		err      error
	}
	got := make(chan fetched, 1)
	pctx, cancel := context.WithTimeout(ctx, time.Duration(seconds)*time.Second+time.Minute)
	defer cancel()
	go func() {
		select {
		case <-time.After(profileDelay):
		case <-pctx.Done():
			got <- fetched{err: pctx.Err()}
			return
		}
		from := time.Now()
		b, err := h.fetchProfile(pctx, seconds)
		got <- fetched{data: b, from: from, to: from.Add(time.Duration(seconds) * time.Second), err: err}
	}()
	for i, d := range data {
		if err := h.pub.publish(ctx, h.firedSubject(i), h.eventID(phase, i), d); err != nil {
			return nil, err
		}
	}
	if err := h.wait(ctx, tr.done, phaseTimeout(n), "profile burst", tr.progress); err != nil {
		return nil, err
	}
	var f fetched
	select {
	case f = <-got:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	if f.err != nil {
		return nil, fmt.Errorf("bench: the worker's CPU profile: %w", f.err)
	}
	if err := tr.check(); err != nil {
		return nil, fmt.Errorf("bench: profile burst: %w", err)
	}
	from, to := tr.since(f.from), tr.since(f.to)
	events := 0
	for i := range n {
		if t := tr.result[i].Load(); t >= from && t < to {
			events++
		}
	}
	if h.o.ProfileOut != "" {
		if err := os.WriteFile(h.o.ProfileOut, f.data, 0o644); err != nil {
			return nil, fmt.Errorf("bench: %w", err)
		}
	}
	p, err := parseCPUProfile(f.data)
	if err != nil {
		return nil, fmt.Errorf("bench: the worker's CPU profile: %w", err)
	}
	prof := p.attribute(events, float64(seconds))
	prof.BurstEvents = n
	return &prof, nil
}

// fetchProfile reads the worker's CPU profile over the next seconds.
func (h *harness) fetchProfile(ctx context.Context, seconds int) ([]byte, error) {
	url := "http://" + h.opsAddr + "/debug/pprof/profile?seconds=" + strconv.Itoa(seconds)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return nil, fmt.Errorf("%s: %s %s", url, resp.Status, b)
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxProfile+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxProfile {
		return nil, fmt.Errorf("%s: over %d bytes", url, maxProfile)
	}
	return data, nil
}

// workerCounter is the value of a counter (summed over its labels) on the
// first worker's /metrics; ok false when it cannot be read.
func (h *harness) workerCounter(ctx context.Context, name string) (float64, bool) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+h.opsAddr+"/metrics", nil)
	if err != nil {
		return 0, false
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, false
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil || resp.StatusCode != http.StatusOK {
		return 0, false
	}
	return counterValue(string(data), name)
}

// counterValue sums the samples of a metric in Prometheus' text format.
func counterValue(text, name string) (float64, bool) {
	sum, found := 0.0, false
	for line := range strings.Lines(text) {
		rest, ok := strings.CutPrefix(line, name)
		if !ok || (rest != "" && rest[0] != ' ' && rest[0] != '{') {
			continue
		}
		f := strings.Fields(strings.TrimSpace(rest[strings.LastIndexByte(rest, '}')+1:]))
		if len(f) == 0 {
			continue
		}
		if v, err := strconv.ParseFloat(f[0], 64); err == nil {
			sum, found = sum+v, true
		}
	}
	return sum, found
}
