package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/nats-io/nats.go/micro"
	"golang.org/x/time/rate"

	"github.com/hookworker/hookworker/internal/deadletter"
	"github.com/hookworker/hookworker/trigger"
)

// readTimeout bounds listing or reading dead letters.
const readTimeout = 30 * time.Second

// filter turns the request's filter into the store's; path names it in
// errors ("filter").
func (f Filter) filter(path string) (deadletter.Filter, *Error) {
	out := deadletter.Filter{BotID: f.BotID, WebhookID: f.WebhookID, Class: trigger.Class(f.Class), EventID: f.EventID}
	var err error
	if f.Since != "" {
		if out.Since, err = time.Parse(time.RFC3339Nano, f.Since); err != nil {
			return out, badRequest(path+".since", "%s.since: %q is not an RFC 3339 time (2026-03-01T12:00:00Z)", path, f.Since)
		}
	}
	if f.Until != "" {
		if out.Until, err = time.Parse(time.RFC3339Nano, f.Until); err != nil {
			return out, badRequest(path+".until", "%s.until: %q is not an RFC 3339 time (2026-03-01T12:00:00Z)", path, f.Until)
		}
	}
	if !out.Since.IsZero() && !out.Until.IsZero() && !out.Until.After(out.Since) {
		return out, badRequest(path+".until", "%s.until is not after %s.since", path, path)
	}
	if out.Class != "" && !slices.Contains(trigger.Classes, out.Class) {
		names := make([]string, len(trigger.Classes))
		for i, c := range trigger.Classes {
			names[i] = string(c)
		}
		return out, badRequest(path+".class", "%s.class: %q is not an error class (%s)", path, f.Class, strings.Join(names, ", "))
	}
	return out, nil
}

// empty reports whether the filter selects every letter.
func (f Filter) empty() bool { return f == Filter{} }

// letters returns the letters f selects, oldest first.
func (s *Service) letters(ctx context.Context, f Filter, path string) ([]*deadletter.Letter, *Error) {
	df, e := f.filter(path)
	if e != nil {
		return nil, e
	}
	if f.Seq != 0 {
		l, err := s.deps.DeadLetters.Get(ctx, f.Seq)
		if errors.Is(err, jetstream.ErrMsgNotFound) {
			return nil, nil
		}
		if err != nil {
			return nil, storeError(err)
		}
		if !df.Match(l) {
			return nil, nil
		}
		return []*deadletter.Letter{l}, nil
	}
	ls, err := s.deps.DeadLetters.List(ctx, df)
	if err != nil {
		return nil, storeError(err)
	}
	return ls, nil
}

func storeError(err error) *Error {
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		return &Error{Code: 503, Message: "the dead-letter stream does not exist (no worker has run against this server yet): " + err.Error()}
	}
	return &Error{Code: 500, Message: err.Error()}
}

func (s *Service) handleDLQList(req micro.Request) {
	var r DLQListRequest
	if e := decode(req.Data(), &r, ""); e != nil {
		respondError(req, e)
		return
	}
	switch {
	case r.Limit < 0 || r.Limit > MaxListLimit:
		respondError(req, badRequest("limit", "limit: %d is not between 0 and %d", r.Limit, MaxListLimit))
		return
	case r.Limit == 0:
		r.Limit = 100
	}
	ctx, cancel := context.WithTimeout(s.ctx, readTimeout)
	defer cancel()
	ls, e := s.letters(ctx, r.Filter, "filter")
	if e != nil {
		respondError(req, e)
		return
	}
	out := DLQListReply{Letters: []LetterSummary{}, Total: len(ls)}
	for i := len(ls) - 1; i >= 0 && len(out.Letters) < r.Limit; i-- {
		out.Letters = append(out.Letters, summary(ls[i]))
	}
	respondJSON(req, out)
}

func summary(l *deadletter.Letter) LetterSummary {
	return LetterSummary{
		Seq: l.Seq, EventID: l.EventID, BotID: l.BotID, ConversationID: l.ConversationID, WebhookID: l.WebhookID,
		Error: l.Error, Attempts: len(l.Attempts), Replay: l.Replay, Replayable: l.Replayable() == nil,
		FirstSeen: l.FirstSeen, FailedAt: l.FailedAt,
	}
}

func (s *Service) handleDLQShow(req micro.Request) {
	var r DLQShowRequest
	if e := decode(req.Data(), &r, ""); e != nil {
		respondError(req, e)
		return
	}
	if r.Seq == 0 {
		respondError(req, badRequest("seq", "seq: required (a letter's stream sequence, as dlq.list gives it)"))
		return
	}
	ctx, cancel := context.WithTimeout(s.ctx, readTimeout)
	defer cancel()
	l, err := s.deps.DeadLetters.Get(ctx, r.Seq)
	if errors.Is(err, jetstream.ErrMsgNotFound) {
		respondError(req, &Error{Code: 404, Field: "seq", Message: fmt.Sprintf("no dead letter at seq %d", r.Seq)})
		return
	}
	if err != nil {
		respondError(req, storeError(err))
		return
	}
	respondJSON(req, Letter{Seq: l.Seq, Letter: l})
}

func (s *Service) handleReplay(req micro.Request) {
	var r ReplayRequest
	if e := decode(req.Data(), &r, ""); e != nil {
		respondError(req, e)
		return
	}
	switch {
	case r.Filter.empty() && !r.All:
		respondError(req, badRequest("filter", "filter: empty; it would replay every dead letter: set \"all\": true to mean that"))
		return
	case r.Rate < 0 || math.IsNaN(r.Rate) || r.Rate > MaxReplayRate:
		respondError(req, badRequest("rate", "rate: %v is not between 0 and %d events a second", r.Rate, MaxReplayRate))
		return
	case r.Rate == 0:
		r.Rate = DefaultReplayRate
	}
	select {
	case s.replays <- struct{}{}:
	default:
		respondError(req, &Error{Code: 503, Message: fmt.Sprintf("this process is running %d replays already; retry", MaxConcurrentReplays)})
		return
	}
	// A replay can take long (at most MaxReplayLetters at r.Rate a
	// second): it runs apart, so the endpoint's other requests go on.
	s.inflight.Add(1)
	go func() {
		defer s.inflight.Done()
		defer func() { <-s.replays }()
		out, e := s.replay(s.ctx, &r)
		if e != nil {
			respondError(req, e)
			return
		}
		respondJSON(req, out)
	}()
}

// replay replays what r selects, oldest first, at most r.Rate a second.
func (s *Service) replay(ctx context.Context, r *ReplayRequest) (*ReplayReply, *Error) {
	lctx, cancel := context.WithTimeout(ctx, readTimeout)
	ls, e := s.letters(lctx, r.Filter, "filter")
	cancel()
	if e != nil {
		return nil, e
	}
	out := &ReplayReply{Selected: len(ls), Letters: []ReplayedLetter{}}
	limiter := rate.NewLimiter(rate.Limit(r.Rate), 1)
	for _, l := range ls {
		if len(out.Letters) == MaxReplayLetters {
			break
		}
		rl := ReplayedLetter{Seq: l.Seq, EventID: l.EventID, BotID: l.BotID, ReplyTo: replyTo(l, s.resultPrefix)}
		if err := l.Replayable(); err != nil {
			out.Skipped++
			rl.Error = err.Error()
			out.Letters = append(out.Letters, rl)
			continue
		}
		if r.DryRun {
			out.Replayed++
			out.Letters = append(out.Letters, rl)
			continue
		}
		if err := limiter.Wait(ctx); err != nil {
			break
		}
		n, err := s.deps.DeadLetters.Replay(ctx, l)
		rl.Replay = n
		if err != nil {
			out.Failed++
			rl.Error = err.Error()
		} else {
			out.Replayed++
		}
		out.Letters = append(out.Letters, rl)
	}
	return out, nil
}

// replyTo is where the Result of l's event goes: its reply_to, else the
// bot's default result subject.
func replyTo(l *deadletter.Letter, resultPrefix string) string {
	var ev struct {
		ReplyTo string `json:"reply_to"`
	}
	_ = json.Unmarshal(l.Event, &ev) // a letter that is not JSON is not replayed
	return trigger.ResultSubject(&trigger.Event{BotID: l.BotID, ReplyTo: ev.ReplyTo}, resultPrefix)
}
