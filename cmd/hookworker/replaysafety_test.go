package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/hookworker/hookworker/internal/config"
	"github.com/hookworker/hookworker/trigger"
)

// TestReplayNeedsAllOrFilters: an unfiltered replay changes nothing
// without --all; --all with filters is refused; a dry run may list all.
func TestReplayNeedsAllOrFilters(t *testing.T) {
	f := newDLQFixture(t, true)
	f.put(t, sampleLetters()...)
	for _, args := range [][]string{{"replay"}, {"replay", "--rate", "0"}, {"replay", "--all", "--bot", "b1"}, {"replay", "--dry-run", "--wait", "--all"}} {
		code, out, errOut := f.run(t, args...)
		if code != exitUsage || out != "" {
			t.Errorf("%v: exit %d, stdout %q, stderr %q", args, code, out, errOut)
		}
	}
	if code, out, _ := f.run(t, "replay", "--dry-run"); code != 0 || !strings.Contains(out, "would replay 6 dead letters") {
		t.Errorf("dry run of all: %d %q", code, out)
	}
	if n := f.msgs(t, trigger.DefaultStream); n != 0 {
		t.Errorf("%d events published", n)
	}
}

// TestReplayJSONChangesOnlyTheOutput: replay --json replays exactly what
// the text form replays and prints the same summary as JSON.
func TestReplayJSONChangesOnlyTheOutput(t *testing.T) {
	f := newDLQFixture(t, true)
	f.put(t, sampleLetters()...)
	code, text, errOut := f.run(t, "replay", "--bot", "b1", "--rate", "0")
	if code != 0 || text != "replayed 3, failed 0\n" {
		t.Fatalf("text: %d %q %s", code, text, errOut)
	}
	code, out, errOut := f.run(t, "replay", "--bot", "b2", "--rate", "0", "--json")
	var sum replaySummary
	if err := json.Unmarshal([]byte(out), &sum); code != 0 || err != nil {
		t.Fatalf("json: %d %v %q %s", code, err, out, errOut)
	}
	if sum != (replaySummary{Selected: 2, Replayed: 2}) {
		t.Errorf("json summary %+v", sum)
	}
	if n := f.msgs(t, trigger.DefaultStream); n != 5 {
		t.Errorf("%d events published, want 3 + 2", n)
	}
	if got := f.seqs(t); len(got) != 2 { // b3's two letters remain
		t.Errorf("letters left %v", got)
	}
}

// TestDLQListLimitAndConversation: --limit shows the newest N, the summary
// counts them all; --conversation selects one conversation's letters.
func TestDLQListLimitAndConversation(t *testing.T) {
	f := newDLQFixture(t, true)
	f.put(t, sampleLetters()...)
	code, out, _ := f.run(t, "dlq", "list", "--limit", "2")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if code != 0 || len(lines) != 4 || !strings.HasPrefix(lines[1], "6 ") || !strings.HasPrefix(lines[2], "7 ") ||
		lines[3] != "7 dead letters (showing the newest 2): http_status 2, invalid_event 1, network 1, timeout 3; bots: b1 3, b2 2, b3 2" {
		t.Errorf("--limit 2: %d\n%s", code, out)
	}
	if got := listSeqs(t, f, "--conversation", sampleLetters()[2].ConversationID); !slices.Equal(got, []uint64{3}) {
		t.Errorf("--conversation: %v", got)
	}
	if code, _, errOut := f.run(t, "dlq", "list", "--limit", "-1"); code != exitUsage {
		t.Errorf("--limit -1: %d %s", code, errOut)
	}
}

// TestReplayWait: with a real worker, replay --wait reports what became of
// the replayed events: the one whose target recovered succeeded, the one
// still answering 404 failed again (and is a dead letter again); exit 3.
func TestReplayWait(t *testing.T) {
	var recovered atomic.Bool
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/missing") || !recovered.Load() {
			w.WriteHeader(http.StatusNotFound)
			return
		}
		fmt.Fprint(w, `{"ticket": {"status": "open"}}`)
	}))
	t.Cleanup(target.Close)
	r := startEmbeddedRun(t, nil, config.NATS{})
	env := map[string]string{"HOOKWORKER_EMBEDDED_PORT": fmt.Sprint(r.port)}
	for i, url := range []string{target.URL + "/flaky", target.URL + "/missing"} {
		ev := fmt.Sprintf(`{"id":"rw-%d","bot_id":"bot-w","conversation_id":"c","webhook":{"url":%q}}`, i, url)
		p := filepath.Join(t.TempDir(), "ev.json")
		if err := os.WriteFile(p, []byte(ev), 0o644); err != nil {
			t.Fatal(err)
		}
		if code, _, errOut := runCLI(t, context.Background(), env, "fire", p, "--timeout", "10s"); code != exitFailedResult {
			t.Fatalf("fire %d: exit %d %s", i, code, errOut)
		}
	}
	recovered.Store(true)
	code, out, errOut := runCLI(t, context.Background(), env, "replay", "--bot", "bot-w", "--rate", "0", "--wait", "--wait-timeout", "20s")
	if code != exitFailedResult || !strings.Contains(out, "replayed 2, failed 0\noutcomes: 1 succeeded, 1 failed (http_status 1)\n") {
		t.Fatalf("replay --wait: exit %d\n%s\n%s", code, out, errOut)
	}
	code, out, _ = runCLI(t, context.Background(), env, "replay", "--bot", "bot-w", "--rate", "0", "--wait", "--json")
	var sum replaySummary
	if err := json.Unmarshal([]byte(out), &sum); err != nil || code != exitFailedResult || sum.Outcomes == nil ||
		sum.Outcomes.Failed != 1 || len(sum.Outcomes.Events) != 1 || sum.Outcomes.Events[0].EventID != "rw-1" || sum.Outcomes.Events[0].Replay != 2 {
		t.Errorf("replay --wait --json: %d %v\n%s", code, err, out)
	}
}
