package worker

import (
	"errors"
	"net/http"
	"reflect"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/hookworker/hookworker/internal/deadletter"
	"github.com/hookworker/hookworker/mapper"
	"github.com/hookworker/hookworker/render"
	"github.com/hookworker/hookworker/trigger"
	"github.com/hookworker/hookworker/trigger/webhook"
)

var t0 = time.Date(2026, 11, 24, 12, 0, 0, 0, time.FixedZone("CET", 3600))

// decodedJob is a job of a decoded event with an attempt history.
func decodedJob(attempts int) *job {
	ev := &trigger.Event{ID: "e1", BotID: "b1", ConversationID: "c1",
		Connection: &trigger.Connection{ID: "conn-1"}, Webhook: &webhook.Definition{ID: "wh-1", URL: "http://x"}}
	j := &job{data: []byte(`{"id":"e1"}`), subject: "connections.fired.b1", start: t0, ev: ev,
		hist: &history{FirstSeen: t0.Add(-time.Hour)}}
	for range attempts {
		j.hist.Attempts = append(j.hist.Attempts, deadletter.Attempt{At: t0, Status: 503, Class: trigger.ClassHTTPStatus})
	}
	return j
}

// TestOutcomeToResult: each verdict's Result, from the job and the
// outcome alone.
func TestOutcomeToResult(t *testing.T) {
	now := t0.Add(1500 * time.Millisecond)
	t.Run("succeeded", func(t *testing.T) {
		j := decodedJob(2)
		j.httpStatus = 200
		j.replay = 2
		o := j.succeeded(mapper.Output{CVars: map[string]any{"x": 1}, Unmapped: []string{"y"}})
		got := resultOf(j, o, now)
		want := &trigger.Result{EventID: "e1", BotID: "b1", ConversationID: "c1", ConnectionID: "conn-1", WebhookID: "wh-1",
			Status: trigger.StatusSucceeded, CVars: map[string]any{"x": 1}, Unmapped: []string{"y"},
			HTTPStatus: 200, Attempts: 2, DurationMS: 1500, Replayed: true, CompletedAt: now.UTC()}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("got  %+v\nwant %+v", got, want)
		}
	})
	t.Run("skipped", func(t *testing.T) {
		j := decodedJob(0)
		got := resultOf(j, j.skipped(), now)
		if got.Status != trigger.StatusSkipped || got.Error != nil || got.Attempts != 0 || got.Replayed ||
			got.CVars == nil || len(got.CVars) != 0 || got.Unmapped == nil || len(got.Unmapped) != 0 {
			t.Errorf("%+v", got)
		}
	})
	t.Run("failed keeps the last status and sets no CVars", func(t *testing.T) {
		j := decodedJob(3)
		j.httpStatus = 503
		got := resultOf(j, j.failedAs(trigger.ClassHTTPStatus, "answered 503"), now)
		if got.Status != trigger.StatusFailed || *got.Error != (trigger.Error{Class: trigger.ClassHTTPStatus, Message: "answered 503"}) ||
			got.HTTPStatus != 503 || got.Attempts != 3 || len(got.CVars) != 0 || got.CVars == nil {
			t.Errorf("%+v %+v", got, got.Error)
		}
	})
	t.Run("an event that did not decode: the ids its JSON has", func(t *testing.T) {
		j := &job{data: []byte(`{"id":"e9","bot_id":"b9","conversation_id":"c9","webhook":7}`), start: t0}
		got := resultOf(j, j.failed(fail(trigger.ClassInvalidEvent, errors.New("webhook: want an object"))), now)
		if got.EventID != "e9" || got.BotID != "b9" || got.ConversationID != "c9" || got.WebhookID != "" ||
			got.Error.Class != trigger.ClassInvalidEvent || got.Error.Message != "webhook: want an object" || got.Attempts != 0 {
			t.Errorf("%+v %+v", got, got.Error)
		}
	})
}

// TestOutcomeConstructors: what the job's constructors put in an outcome.
func TestOutcomeConstructors(t *testing.T) {
	j := decodedJob(2)
	j.httpStatus = 502
	j.redact = render.NewRedactor([]string{"s3cr3t-value"})
	o := j.failed(fail(trigger.ClassTimeout, errors.New("no answer from http://x/?k=s3cr3t-value")))
	want := outcome{verdict: verdictFailed, attempts: 2, httpStatus: 502, class: trigger.ClassTimeout, message: "no answer from http://x/?k=" + render.Mask}
	if !reflect.DeepEqual(o, want) {
		t.Errorf("failed: %+v, want %+v", o, want)
	}
	if o := j.failed(errors.New("plain")); o.class != trigger.ClassNetwork {
		t.Errorf("an error without a class: %s, want network", o.class)
	}
	o = j.retryLater(3*time.Second, RetryIsolation, "rate")
	want = outcome{verdict: verdictRetryLater, attempts: 2, httpStatus: 502, delay: 3 * time.Second, retry: RetryIsolation, reason: "rate"}
	if !reflect.DeepEqual(o, want) {
		t.Errorf("retryLater: %+v, want %+v", o, want)
	}
	if o := (&job{}).failedAs(trigger.ClassInvalidEvent, "bad"); o.attempts != 0 || o.message != "bad" {
		t.Errorf("a job without history: %+v", o)
	}
}

// TestLetterOf: a dead letter holds the event as it arrived, every
// attempt (an empty list, not null, when there was none), the last
// request with its secrets redacted, and the first time the event was
// seen.
func TestLetterOf(t *testing.T) {
	now := t0.Add(time.Second)
	j := decodedJob(2)
	j.meta = &jetstream.MsgMetadata{NumDelivered: 3, Timestamp: t0.Add(-2 * time.Hour)}
	j.replay = 1
	j.req = &render.Request{Method: "POST", URL: "http://x/?k=s3cr3t-value", Header: http.Header{"X-Key": {"s3cr3t-value"}},
		Body: []byte(`{"a":1}`), Secrets: []string{"s3cr3t-value"}}
	res := resultOf(j, j.failedAs(trigger.ClassHTTPStatus, "answered 503"), now)
	l := letterOf(j, res)
	if l.EventID != "e1" || l.BotID != "b1" || l.WebhookID != "wh-1" || l.Subject != "connections.fired.b1" || l.Replay != 1 ||
		l.Deliveries != 3 || string(l.Event) != `{"id":"e1"}` || l.EventText != "" || len(l.Attempts) != 2 ||
		!l.FirstSeen.Equal(t0.Add(-time.Hour)) || !l.FailedAt.Equal(now) || l.Error.Class != trigger.ClassHTTPStatus {
		t.Errorf("%+v", l)
	}
	if l.Request == nil || l.Request.URL != "http://x/?k="+render.Mask || l.Request.Headers["X-Key"][0] != render.Mask || l.Request.Body != `{"a":1}` {
		t.Errorf("request %+v", l.Request)
	}

	// Not JSON, no history, no request: the text, no attempts, first seen
	// when the server stored it.
	k := &job{data: []byte("{nope"), start: t0, meta: &jetstream.MsgMetadata{NumDelivered: 1, Timestamp: t0.Add(-time.Minute)}}
	l = letterOf(k, resultOf(k, k.failedAs(trigger.ClassInvalidEvent, "not JSON"), now))
	if l.Event != nil || l.EventText != "{nope" || l.Attempts == nil || len(l.Attempts) != 0 || l.Request != nil || !l.FirstSeen.Equal(t0.Add(-time.Minute)) {
		t.Errorf("%+v", l)
	}
	// A new history without attempts (a render failure) lists none either.
	r := decodedJob(0)
	if l := letterOf(r, resultOf(r, r.failedAs(trigger.ClassRender, "bad template"), now)); l.Attempts == nil || len(l.Attempts) != 0 {
		t.Errorf("attempts %#v, want an empty list", l.Attempts)
	}
}
