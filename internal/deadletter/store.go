package deadletter

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/hookworker/hookworker/internal/config"
	"github.com/hookworker/hookworker/internal/streams"
	"github.com/hookworker/hookworker/trigger"
)

// MaxClockSkew is how far a worker's clock (FailedAt) may be ahead of the
// server's (the stream's timestamps) without a Since filter missing letters.
const MaxClockSkew = 5 * time.Minute

// Store reads and writes dead letters.
type Store struct {
	js jetstream.JetStream
	// config is the dead-letter stream's (streams.Topology.DeadLetters).
	config       jetstream.StreamConfig
	prefix       string // dead-letter subject prefix, e.g. connections.dlq
	firedPrefix  string // events arrive under it, e.g. connections.fired
	replayPrefix string // where replays go, e.g. connections.replay
	// maxMsgSize is the stream's max_msg_size: 0 not read yet, -1 none.
	maxMsgSize atomic.Int64
}

// NewStore uses the dead-letter stream of cfg (names.dlq_stream, with
// subjects names.dlq_prefix.>); replays are published under
// names.replay_prefix.
func NewStore(js jetstream.JetStream, cfg config.Config) *Store {
	sc := streams.NewTopology(cfg).DeadLetters()
	return &Store{js: js, config: sc, prefix: cfg.Names.DLQPrefix, firedPrefix: cfg.Names.FiredPrefix, replayPrefix: cfg.Names.ReplayPrefix}
}

// Ensure creates the dead-letter stream when it does not exist; an
// existing one is used as it is.
func (s *Store) Ensure(ctx context.Context) error {
	_, err := streams.Ensure(ctx, s.js, s.config)
	if err != nil {
		return fmt.Errorf("deadletter: %w", err)
	}
	return nil
}

// subject is where a letter is stored: <prefix>.<bot id>.<error class>,
// so that the stream's subject counts give the backlog by bot and class
// (Backlog). Letters stored before the class token are on <prefix>.<bot id>.
func (s *Store) subject(l *Letter) string {
	bot := l.BotID
	if !trigger.ValidToken(bot) {
		bot = UnknownBot
	}
	class := string(l.Error.Class)
	if !trigger.ValidToken(class) {
		class = UnknownClass
	}
	return s.prefix + "." + bot + "." + class
}

// Put stores a letter and waits for the PubAck. A letter for the same
// event and replay within the dedup window is stored once. A letter larger
// than the stream and the server accept is trimmed (Encode). It is written
// with streams.Publish: while the server answers that an earlier copy is
// still being stored (409, in process), or cannot store anything for the
// moment, the same message is sent again until it is stored or ctx ends;
// other errors are returned (streams.WriteFault classifies them).
func (s *Store) Put(ctx context.Context, l *Letter) error {
	return s.PutWith(ctx, l, streams.PublishOptions{})
}

// PutWith is Put with the given publish options (a Retried callback for
// metrics, say).
func (s *Store) PutWith(ctx context.Context, l *Letter, o streams.PublishOptions) error {
	var err error
	for refreshed := false; ; {
		err = s.put(ctx, l, o)
		if errors.Is(err, jetstream.ErrStreamMessageExceedsMaximum) && !refreshed {
			// The stream's limit was lowered since it was read.
			refreshed = true
			s.maxMsgSize.Store(0)
			continue
		}
		break
	}
	if err != nil {
		return fmt.Errorf("deadletter: publish: %w", err)
	}
	return nil
}

func (s *Store) put(ctx context.Context, l *Letter, o streams.PublishOptions) error {
	data, err := Encode(l, s.limit(ctx))
	if err != nil {
		return err
	}
	msg := nats.NewMsg(s.subject(l))
	msg.Data = data
	msg.Header.Set(trigger.HeaderMsgID, MsgID(l.EventID, l.Replay))
	_, err = streams.Publish(ctx, s.js, msg, o)
	return err
}

// limit is the largest letter the stream (its max_msg_size) and the
// server (its max_payload) accept, less room for the headers; 0 when
// neither is known. The stream's limit is read once (again after a
// letter was refused as too large).
func (s *Store) limit(ctx context.Context) int {
	limit := int64(s.js.Conn().MaxPayload())
	stream := s.maxMsgSize.Load()
	if stream == 0 {
		if st, err := s.js.Stream(ctx, s.config.Name); err == nil {
			if stream = int64(st.CachedInfo().Config.MaxMsgSize); stream <= 0 {
				stream = -1 // none
			}
			s.maxMsgSize.Store(stream)
		}
	}
	if stream > 0 && (limit <= 0 || stream < limit) {
		limit = stream
	}
	if limit <= 0 {
		return 0
	}
	return max(int(limit)-headerRoom, 1)
}

// Filter selects letters; zero fields select everything.
type Filter struct {
	Since, Until time.Time // on FailedAt
	BotID        string
	WebhookID    string
	Class        trigger.Class
	EventID      string
	// ConversationID selects the letters of one conversation.
	ConversationID string
}

// Match reports whether l passes the filter.
func (f Filter) Match(l *Letter) bool {
	switch {
	case !f.Since.IsZero() && l.FailedAt.Before(f.Since):
		return false
	case !f.Until.IsZero() && !l.FailedAt.Before(f.Until):
		return false
	case f.BotID != "" && l.BotID != f.BotID:
		return false
	case f.WebhookID != "" && l.WebhookID != f.WebhookID:
		return false
	case f.Class != "" && l.Error.Class != f.Class:
		return false
	case f.EventID != "" && l.EventID != f.EventID:
		return false
	case f.ConversationID != "" && l.ConversationID != f.ConversationID:
		return false
	}
	return true
}

// List returns the letters that match f, oldest first. It reads the stream
// with an ordered consumer and stops at the last message present when it
// started.
func (s *Store) List(ctx context.Context, f Filter) ([]*Letter, error) {
	var out []*Letter
	err := s.each(ctx, f, func(l *Letter) error {
		out = append(out, l)
		return nil
	})
	return out, err
}

func (s *Store) each(ctx context.Context, f Filter, fn func(*Letter) error) error {
	st, err := s.js.Stream(ctx, s.config.Name)
	if err != nil {
		return fmt.Errorf("deadletter: stream %s: %w", s.config.Name, err)
	}
	info, err := st.Info(ctx)
	if err != nil {
		return fmt.Errorf("deadletter: %w", err)
	}
	if info.State.Msgs == 0 {
		return nil
	}
	last := info.State.LastSeq
	cfg := jetstream.OrderedConsumerConfig{FilterSubjects: []string{s.prefix + ".>"}}
	if f.BotID != "" && trigger.ValidToken(f.BotID) {
		cfg.FilterSubjects = []string{s.prefix + "." + f.BotID, s.prefix + "." + f.BotID + ".>"}
	}
	if !f.Since.IsZero() {
		// Letters are stored when they fail: nothing stored well before
		// Since can match. FailedAt is the worker's clock and the stream
		// timestamp the server's, so start a margin earlier; Match does
		// the exact selection.
		cfg.DeliverPolicy = jetstream.DeliverByStartTimePolicy
		since := f.Since.Add(-MaxClockSkew)
		cfg.OptStartTime = &since
	}
	// The ordered consumer is ephemeral, but the server keeps it for its
	// inactive threshold after the last fetch: delete it once read, or
	// frequent listings (a console, the service API) pile up consumers
	// until the stream refuses more. The short threshold covers a
	// deletion that fails.
	cfg.InactiveThreshold = 30 * time.Second
	cons, err := st.OrderedConsumer(ctx, cfg)
	if err != nil {
		return fmt.Errorf("deadletter: read: %w", err)
	}
	defer func() {
		if info := cons.CachedInfo(); info != nil {
			dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			_ = st.DeleteConsumer(dctx, info.Name)
			cancel()
		}
	}()
	for {
		batch, err := cons.FetchNoWait(256)
		if err != nil {
			return fmt.Errorf("deadletter: read: %w", err)
		}
		n := 0
		for m := range batch.Messages() {
			n++
			meta, err := m.Metadata()
			if err != nil {
				return fmt.Errorf("deadletter: read: %w", err)
			}
			l := new(Letter)
			if err := json.Unmarshal(m.Data(), l); err != nil {
				return fmt.Errorf("deadletter: letter %d: %w", meta.Sequence.Stream, err)
			}
			l.Seq = meta.Sequence.Stream
			if f.Match(l) {
				if err := fn(l); err != nil {
					return err
				}
			}
			if meta.Sequence.Stream >= last || meta.NumPending == 0 {
				return batch.Error()
			}
		}
		if err := batch.Error(); err != nil {
			return fmt.Errorf("deadletter: read: %w", err)
		}
		if n == 0 {
			return nil
		}
		if err := ctx.Err(); err != nil {
			return err
		}
	}
}

// Get returns the letter at stream sequence seq.
func (s *Store) Get(ctx context.Context, seq uint64) (*Letter, error) {
	st, err := s.js.Stream(ctx, s.config.Name)
	if err != nil {
		return nil, fmt.Errorf("deadletter: stream %s: %w", s.config.Name, err)
	}
	m, err := st.GetMsg(ctx, seq)
	if err != nil {
		return nil, fmt.Errorf("deadletter: letter %d: %w", seq, err)
	}
	l := new(Letter)
	if err := json.Unmarshal(m.Data, l); err != nil {
		return nil, fmt.Errorf("deadletter: letter %d: %w", seq, err)
	}
	l.Seq = seq
	return l, nil
}

// Delete removes the letter at seq.
func (s *Store) Delete(ctx context.Context, seq uint64) error {
	st, err := s.js.Stream(ctx, s.config.Name)
	if err != nil {
		return fmt.Errorf("deadletter: stream %s: %w", s.config.Name, err)
	}
	if err := st.DeleteMsg(ctx, seq); err != nil {
		return fmt.Errorf("deadletter: delete %d: %w", seq, err)
	}
	return nil
}

// ErrNotReplayable is returned for a letter whose event cannot be
// re-published (it was not JSON, or has no bot id).
var ErrNotReplayable = errors.New("letter cannot be replayed")

// Replay re-publishes the letter's original event to the replay subjects
// of the trigger stream (where engines may not publish: only there does
// the header Hookworker-Replay count) with its replay count raised by one
// and a dedup id of its own, waits for the PubAck, and only then deletes
// the letter. It returns the new replay count.
func (s *Store) Replay(ctx context.Context, l *Letter) (int, error) {
	r, err := s.ReplayAck(ctx, l)
	return r.N, err
}

// Replayed is where a replay went: its replay count and the trigger
// message's stream and sequence (the event is done once that message is
// gone from the work-queue stream).
type Replayed struct {
	N      int
	Stream string
	Seq    uint64
}

// ReplayAck replays l as Replay does and returns where the replay went.
func (s *Store) ReplayAck(ctx context.Context, l *Letter) (Replayed, error) {
	if err := l.Replayable(); err != nil {
		return Replayed{}, err
	}
	if l.Seq == 0 {
		// Not read from the store: it could not be deleted after the
		// replay, and would be replayed again.
		return Replayed{}, fmt.Errorf("deadletter: replay %q: letter has no stream sequence", l.EventID)
	}
	n := l.Replay + 1
	msg := nats.NewMsg(s.replaySubject(l))
	msg.Data = l.Event
	msg.Header.Set(trigger.HeaderMsgID, l.EventID+"-replay-"+strconv.Itoa(n))
	msg.Header.Set(trigger.HeaderReplay, strconv.Itoa(n))
	ack, err := s.js.PublishMsg(ctx, msg)
	if err != nil {
		return Replayed{}, fmt.Errorf("deadletter: replay %q: %w", l.EventID, err)
	}
	r := Replayed{N: n, Stream: ack.Stream, Seq: ack.Sequence}
	if err := s.Delete(ctx, l.Seq); err != nil {
		return r, err
	}
	return r, nil
}

// replaySubject is where l's event is re-published: <replay
// prefix>.<bot id>, followed by what followed the bot in the subject it
// arrived on, when that was a fired or replay subject of the same bot
// (<fired prefix>.<bot>.<conversation> becomes <replay
// prefix>.<bot>.<conversation>). Never anything outside the replay
// subjects: a letter naming, say, a dead-letter subject would otherwise
// be re-published into the dead-letter stream and then deleted.
func (s *Store) replaySubject(l *Letter) string {
	base := s.replayPrefix + "." + l.BotID
	for _, p := range []string{s.firedPrefix, s.replayPrefix} {
		if rest, ok := strings.CutPrefix(l.Subject, p+"."+l.BotID+"."); ok && trigger.ValidSubject(rest) {
			return base + "." + rest
		}
	}
	return base
}
