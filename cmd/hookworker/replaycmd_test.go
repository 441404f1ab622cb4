package main

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/hookworker/hookworker/trigger"
)

// firedMsgs reads every message of the trigger stream, oldest first.
func (f *dlqFixture) firedMsgs(t *testing.T) []*jetstream.RawStreamMsg {
	t.Helper()
	ctx := context.Background()
	st, err := f.js.Stream(ctx, trigger.DefaultStream)
	if err != nil {
		t.Fatal(err)
	}
	info, err := st.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var out []*jetstream.RawStreamMsg
	for seq := info.State.FirstSeq; info.State.Msgs > 0 && seq <= info.State.LastSeq; seq++ {
		m, err := st.GetMsg(ctx, seq)
		if err != nil {
			t.Fatalf("trigger stream seq %d: %v", seq, err)
		}
		out = append(out, m)
	}
	return out
}

func TestReplayDryRun(t *testing.T) {
	f := newDLQFixture(t, true)
	f.put(t, sampleLetters()...)

	code, out, errOut := f.run(t, "replay", "--dry-run")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	golden(t, "dlq_replay_dry_run", out)
	if n := f.msgs(t, trigger.DefaultStream); n != 0 {
		t.Errorf("dry run published %d events", n)
	}
	if n := f.msgs(t, trigger.DefaultDLQStream); n != 7 {
		t.Errorf("dry run left %d letters, want 7", n)
	}

	code, out, _ = f.run(t, "replay", "--dry-run", "--bot", "b2", "--json")
	if code != 0 {
		t.Fatal(code)
	}
	if got := listSeqsFrom(t, out); !slices.Equal(got, []uint64{3, 4}) {
		t.Errorf("--dry-run --json --bot b2: seqs %v", got)
	}
	if n := f.msgs(t, trigger.DefaultDLQStream); n != 7 {
		t.Errorf("dry run left %d letters, want 7", n)
	}
}

// listSeqsFrom reads the seqs of a JSON letter list.
func listSeqsFrom(t *testing.T, out string) []uint64 {
	t.Helper()
	re := regexp.MustCompile(`(?m)^    "seq": (\d+),$`)
	var seqs []uint64
	for _, m := range re.FindAllStringSubmatch(out, -1) {
		var n uint64
		fmt.Sscan(m[1], &n)
		seqs = append(seqs, n)
	}
	return seqs
}

func TestReplayBot(t *testing.T) {
	f := newDLQFixture(t, true)
	letters := sampleLetters()
	letters[5].Replay = 2 // e-6 failed on its second replay
	f.put(t, letters...)

	code, out, errOut := f.run(t, "replay", "--bot", "b1", "--rate", "0")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if out != "replayed 3, failed 0\n" {
		t.Errorf("stdout %q", out)
	}
	msgs := f.firedMsgs(t)
	if len(msgs) != 3 {
		t.Fatalf("%d events in the trigger stream, want 3", len(msgs))
	}
	for i, want := range []struct {
		id, msgID, replay string
		letter            int
	}{
		{"e-1", "e-1-replay-1", "1", 0},
		{"e-2", "e-2-replay-1", "1", 1},
		{"e-6", "e-6-replay-3", "3", 5},
	} {
		m := msgs[i]
		if m.Subject != "connections.replay.b1" {
			t.Errorf("%s replayed to %s", want.id, m.Subject)
		}
		if got := m.Header.Get(trigger.HeaderMsgID); got != want.msgID {
			t.Errorf("%s: Nats-Msg-Id %q, want %q", want.id, got, want.msgID)
		}
		if got := m.Header.Get(trigger.HeaderReplay); got != want.replay {
			t.Errorf("%s: Hookworker-Replay %q, want %q", want.id, got, want.replay)
		}
		if string(m.Data) != string(letters[want.letter].Event) {
			t.Errorf("%s: replayed %s, want the original event", want.id, m.Data)
		}
		ev, err := trigger.Decode(m.Data)
		if err != nil || ev.ID != want.id {
			t.Errorf("%s: replayed event: %v %v", want.id, ev, err)
		}
	}
	if got := f.seqs(t); !slices.Equal(got, []uint64{3, 4, 5, 7}) {
		t.Errorf("letters left %v, want [3 4 5 7]", got)
	}

	// Nothing left for b1: nothing to do.
	code, out, _ = f.run(t, "replay", "--bot", "b1")
	if code != 0 || out != "replayed 0, failed 0\n" {
		t.Errorf("second replay: exit %d, stdout %q", code, out)
	}
	if n := f.msgs(t, trigger.DefaultStream); n != 3 {
		t.Errorf("%d events after replaying nothing", n)
	}
}

func TestReplaySkipsNotReplayable(t *testing.T) {
	f := newDLQFixture(t, true)
	f.put(t, sampleLetters()...)
	code, out, errOut := f.run(t, "replay", "--webhook", "w-tickets", "--class", "invalid_event")
	if code != 0 {
		t.Errorf("exit %d: %s", code, errOut)
	}
	if out != "replayed 0, failed 0, skipped 1 not replayable\n" || !strings.Contains(errOut, "skipped seq 7") || !strings.Contains(errOut, "not JSON") {
		t.Errorf("stdout %q, stderr %q", out, errOut)
	}
	code, out, errOut = f.run(t, "replay", "--bot", "b3")
	if code != 0 || out != "replayed 1, failed 0, skipped 1 not replayable\n" {
		t.Errorf("--bot b3: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	if got := f.seqs(t); !slices.Equal(got, []uint64{1, 2, 3, 4, 6, 7}) {
		t.Errorf("letters left %v: want seq 7 kept, seq 5 replayed", got)
	}
	if n := f.msgs(t, trigger.DefaultStream); n != 1 {
		t.Errorf("%d events published, want 1", n)
	}
}

func TestReplayFailureKeepsLetters(t *testing.T) {
	f := newDLQFixture(t, false) // no stream captures connections.replay.>
	f.put(t, sampleLetters()...)
	start := time.Now()
	code, out, errOut := f.run(t, "replay", "--rate", "0", "--class", "timeout")
	if code != 1 {
		t.Errorf("exit %d, want 1", code)
	}
	if out != "replayed 0, failed 3\n" || strings.Count(errOut, "replay seq ") != 3 {
		t.Errorf("stdout %q, stderr %q", out, errOut)
	}
	if got := f.seqs(t); len(got) != 7 {
		t.Errorf("letters left %v, want all 7", got)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("took %s", d)
	}
	code, _, errOut = f.run(t, "replay", "--rate", "-1", "--all")
	if code != 1 || !strings.Contains(errOut, "--rate") {
		t.Errorf("--rate -1: exit %d, stderr %q", code, errOut)
	}
}

func TestReplayRate(t *testing.T) {
	f := newDLQFixture(t, true)
	for i := range 10 {
		f.put(t, testLetter(fmt.Sprintf("r-%d", i), "b1", "w", trigger.ClassTimeout, dlqT0, "x"))
	}
	defer func(d time.Duration) { progressEvery = d }(progressEvery)
	progressEvery = 100 * time.Millisecond

	start := time.Now()
	code, out, errOut := f.run(t, "replay", "--rate", "20", "--all")
	elapsed := time.Since(start)
	if code != 0 || out != "replayed 10, failed 0\n" {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	// A burst of one, then one every 50ms: 9 waits.
	if elapsed < 440*time.Millisecond {
		t.Errorf("10 replays at 20/s took %s, want at least 0.45s", elapsed)
	}
	if !regexp.MustCompile(`(?m)^replayed \d+/10 \(\d+/s\)$`).MatchString(errOut) {
		t.Errorf("no progress line on stderr: %q", errOut)
	}
	if n := f.msgs(t, trigger.DefaultStream); n != 10 {
		t.Errorf("%d events, want 10", n)
	}
	if n := f.msgs(t, trigger.DefaultDLQStream); n != 0 {
		t.Errorf("%d letters left", n)
	}
}

// A cancelled replay stops between letters and says how far it got.
func TestReplayInterrupted(t *testing.T) {
	f := newDLQFixture(t, true)
	for i := range 20 {
		f.put(t, testLetter(fmt.Sprintf("i-%d", i), "b1", "w", trigger.ClassTimeout, dlqT0, "x"))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	code, out, errOut := runCLI(t, ctx, nil, "replay", "--rate", "10", "--all", "--nats-url", f.url)
	if code != 1 || !strings.Contains(errOut, "stopped after") {
		t.Errorf("exit %d, stderr %q", code, errOut)
	}
	var replayed, failed int
	if _, err := fmt.Sscanf(out, "replayed %d, failed %d", &replayed, &failed); err != nil || replayed == 0 || replayed >= 20 || failed != 0 {
		t.Fatalf("stdout %q", out)
	}
	if n := f.msgs(t, trigger.DefaultStream); n != uint64(replayed) {
		t.Errorf("%d events published, %d reported", n, replayed)
	}
	if n := f.msgs(t, trigger.DefaultDLQStream); n != uint64(20-replayed) {
		t.Errorf("%d letters left, want %d", n, 20-replayed)
	}
}
