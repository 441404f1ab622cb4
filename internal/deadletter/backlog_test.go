package deadletter_test

import (
	"cmp"
	"context"
	"slices"
	"testing"

	"github.com/hookworker/hookworker/internal/deadletter"
	"github.com/hookworker/hookworker/trigger"
)

// TestBacklog: letters are stored under <prefix>.<bot>.<class>, the
// backlog counts them by bot and class from the subjects alone, letters of
// the older layout (<prefix>.<bot>) count as class _unknown, and a bot's
// listing finds both.
func TestBacklog(t *testing.T) {
	js, s := setup(t)
	ctx := context.Background()
	for _, l := range []*deadletter.Letter{
		letter("b-1", "bot-a", "w", trigger.ClassNetwork, t0),
		letter("b-2", "bot-a", "w", trigger.ClassNetwork, t0),
		letter("b-3", "bot-a", "w", trigger.ClassTimeout, t0),
		letter("b-4", "bot-b", "w", trigger.ClassHTTPStatus, t0),
		letter("b-5", "bad bot", "w", trigger.ClassInvalidEvent, t0),
	} {
		if err := s.Put(ctx, l); err != nil {
			t.Fatal(err)
		}
	}
	// A letter stored by an earlier version, without the class token.
	if _, err := js.Publish(ctx, dlqPrefix+".bot-a", []byte(`{"event_id":"old","bot_id":"bot-a","error":{"class":"render","message":"x"},"attempts":[]}`)); err != nil {
		t.Fatal(err)
	}
	got, err := s.Backlog(ctx)
	if err != nil {
		t.Fatal(err)
	}
	slices.SortFunc(got, func(a, b deadletter.Backlog) int {
		return cmp.Or(cmp.Compare(a.BotID, b.BotID), cmp.Compare(a.Class, b.Class))
	})
	want := []deadletter.Backlog{
		{BotID: "_unknown", Class: "invalid_event", Count: 1},
		{BotID: "bot-a", Class: "_unknown", Count: 1},
		{BotID: "bot-a", Class: "network", Count: 2},
		{BotID: "bot-a", Class: "timeout", Count: 1},
		{BotID: "bot-b", Class: "http_status", Count: 1},
	}
	if !slices.Equal(got, want) {
		t.Errorf("backlog %+v, want %+v", got, want)
	}
	letters, err := s.List(ctx, deadletter.Filter{BotID: "bot-a"})
	if err != nil || len(letters) != 4 {
		t.Errorf("bot-a's letters: %d, %v; want 4, old layout included", len(letters), err)
	}
}
