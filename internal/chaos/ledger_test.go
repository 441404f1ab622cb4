package chaos

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/hookworker/hookworker/trigger"
	"github.com/hookworker/hookworker/trigger/webhook"
)

const (
	resultsStream = "RESULTS"
	bot           = "chaos-bot"
)

// createResults creates the stream that captures every Result, so the
// workers publish them with JetStream and a repeated Result (same
// Nats-Msg-Id) is stored once: the stream is the suite's record of what
// ended how. Create it before the workers start.
func createResults(t *testing.T, c *client, replicas int) {
	t.Helper()
	err := retry(30*time.Second, func(ctx context.Context) error {
		_, err := c.js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
			Name:       resultsStream,
			Subjects:   []string{trigger.DefaultResultPrefix + ".>"},
			Storage:    jetstream.FileStorage,
			Duplicates: 5 * time.Minute,
			Replicas:   replicas,
		})
		return err
	})
	if err != nil {
		t.Fatalf("create stream %s: %v", resultsStream, err)
	}
}

// msg is one event to publish: a trigger subject, its bytes and its
// Nats-Msg-Id (the event id for a valid event).
type msg struct {
	id, subject string
	data        []byte
}

// okEvent is a valid event whose inline webhook POSTs to url.
func okEvent(id, url string) msg {
	ev := &trigger.Event{
		ID:             id,
		BotID:          bot,
		ConversationID: "conv-" + id,
		Webhook:        &webhook.Definition{Method: "POST", URL: url, Body: `{"event": "{{ event.id }}"}`, Timeout: webhook.Duration(10 * time.Second)},
	}
	data, err := json.Marshal(ev)
	if err != nil {
		panic(err)
	}
	return msg{id: id, subject: trigger.FiredSubject(trigger.DefaultFiredPrefix, bot), data: data}
}

func okEvents(prefix string, n int, url string) []msg {
	out := make([]msg, n)
	for i := range out {
		out[i] = okEvent(fmt.Sprintf("%s-%05d", prefix, i), url)
	}
	return out
}

// publisher publishes its events from a goroutine at a steady rate, each
// until JetStream stores it (republishing with the same Nats-Msg-Id is
// safe), recording when each was stored.
type publisher struct {
	c       *client
	every   time.Duration
	paused  atomic.Bool
	retried atomic.Int64
	done    chan struct{}
	err     error

	mu     sync.Mutex
	stored map[string]time.Time // id -> PubAck received
}

func publish(t *testing.T, c *client, msgs []msg, perSecond int) *publisher {
	t.Helper()
	p := &publisher{c: c, every: time.Second / time.Duration(perSecond), done: make(chan struct{}), stored: map[string]time.Time{}}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(func() { cancel(); <-p.done })
	go func() {
		defer close(p.done)
		tick := time.NewTicker(p.every)
		defer tick.Stop()
		for _, m := range msgs {
			select {
			case <-tick.C:
			case <-ctx.Done():
				p.err = ctx.Err()
				return
			}
			for p.paused.Load() && ctx.Err() == nil {
				time.Sleep(20 * time.Millisecond)
			}
			if err := p.one(ctx, m); err != nil {
				p.err = err
				return
			}
		}
	}()
	return p
}

func (p *publisher) one(ctx context.Context, m msg) error {
	deadline := time.Now().Add(90 * time.Second)
	for try := 1; ; try++ {
		nm := nats.NewMsg(m.subject)
		nm.Data = m.data
		nm.Header.Set(jetstream.MsgIDHeader, m.id)
		pctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		_, err := p.c.js.PublishMsg(pctx, nm)
		cancel()
		if err == nil {
			if try > 1 {
				p.retried.Add(1)
			}
			p.mu.Lock()
			p.stored[m.id] = time.Now()
			p.mu.Unlock()
			return nil
		}
		if ctx.Err() != nil || time.Now().After(deadline) {
			return fmt.Errorf("publish %s: not stored after %d tries: %w", m.id, try, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// count is how many events are stored so far.
func (p *publisher) count() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.stored)
}

// waitCount waits until n events are stored.
func (p *publisher) waitCount(t *testing.T, n int, d time.Duration) {
	t.Helper()
	deadline := time.Now().Add(d)
	for p.count() < n {
		select {
		case <-p.done:
			if p.count() < n {
				t.Fatalf("publisher stopped after %d events, want %d: %v", p.count(), n, p.err)
			}
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("only %d events stored after %s, want %d", p.count(), d, n)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// wait waits for the publisher to finish.
func (p *publisher) wait(t *testing.T, d time.Duration) {
	t.Helper()
	select {
	case <-p.done:
		if p.err != nil {
			t.Fatalf("publisher: %v", p.err)
		}
	case <-time.After(d):
		t.Fatalf("publisher not done after %s (%d stored)", d, p.count())
	}
}

func (p *publisher) storedAt() map[string]time.Time {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make(map[string]time.Time, len(p.stored))
	for k, v := range p.stored {
		out[k] = v
	}
	return out
}

// outcome is what the suite found for one event.
type outcome struct {
	results   int    // stored Results (1 unless dedup failed)
	status    string // of the last stored Result
	class     string // of its error
	letters   int    // dead letters
	dlqClass  string
	trimmed   bool
	completed time.Time // when the (last) Result was stored: the server's timestamp
}

// tally is the end state of a row: stored Results and dead letters per
// event id (and per bot for what has no readable id).
type tally struct {
	byID      map[string]*outcome
	resultsOf map[string]int // bot (of the Result subject) -> stored Results
	lettersOf map[string]int // bot -> dead letters
	texts     []string       // event_text of letters for events that were not JSON
}

// settle waits until every stored event has a stored Result and the
// trigger stream is drained, then reads the Results and the dead letters.
func settle(t *testing.T, c *client, want int, d time.Duration) *tally {
	t.Helper()
	deadline := time.Now().Add(d)
	var last string
	for {
		var rs, ts *jetstream.StreamInfo
		var ci *jetstream.ConsumerInfo
		err := retry(5*time.Second, func(ctx context.Context) (err error) {
			if rs, err = streamInfo(ctx, c.js, resultsStream); err != nil {
				return err
			}
			if ts, err = streamInfo(ctx, c.js, trigger.DefaultStream); err != nil {
				return err
			}
			cons, err := c.js.Consumer(ctx, trigger.DefaultStream, "hookworker")
			if err != nil {
				return err
			}
			ci, err = cons.Info(ctx)
			return err
		})
		if err == nil {
			if rs.State.Msgs >= uint64(want) && ts.State.Msgs == 0 && ci.NumAckPending == 0 && ci.NumPending == 0 {
				break
			}
			last = fmt.Sprintf("%d stored Results for %d events; trigger stream %d messages, consumer %d pending, %d ack pending",
				rs.State.Msgs, want, ts.State.Msgs, ci.NumPending, ci.NumAckPending)
		} else {
			last = err.Error()
		}
		if time.Now().After(deadline) {
			t.Errorf("not settled after %s: %s", d, last)
			break
		}
		time.Sleep(250 * time.Millisecond)
	}
	time.Sleep(300 * time.Millisecond) // a stray repeat would show up now
	tl := &tally{byID: map[string]*outcome{}, resultsOf: map[string]int{}, lettersOf: map[string]int{}}
	of := func(id string) *outcome {
		o := tl.byID[id]
		if o == nil {
			o = &outcome{}
			tl.byID[id] = o
		}
		return o
	}
	for _, m := range readStream(t, c, resultsStream) {
		var r trigger.Result
		if err := json.Unmarshal(m.data, &r); err != nil {
			t.Errorf("undecodable Result on %s: %q", m.subject, m.data)
			continue
		}
		tl.resultsOf[strings.TrimPrefix(m.subject, trigger.DefaultResultPrefix+".")]++
		o := of(r.EventID)
		o.results++
		o.status, o.completed = string(r.Status), m.at
		if r.Error != nil {
			o.class = string(r.Error.Class)
		}
	}
	for _, m := range readStream(t, c, trigger.DefaultDLQStream) {
		var l struct {
			EventID   string `json:"event_id"`
			BotID     string `json:"bot_id"`
			EventText string `json:"event_text"`
			Trimmed   bool   `json:"trimmed"`
			Error     struct {
				Class string `json:"class"`
			} `json:"error"`
		}
		if err := json.Unmarshal(m.data, &l); err != nil {
			t.Errorf("undecodable dead letter on %s (%d bytes)", m.subject, len(m.data))
			continue
		}
		tl.lettersOf[l.BotID]++
		if l.EventText != "" {
			tl.texts = append(tl.texts, l.EventText)
		}
		o := of(l.EventID)
		o.letters++
		o.dlqClass, o.trimmed = l.Error.Class, l.Trimmed
	}
	return tl
}
