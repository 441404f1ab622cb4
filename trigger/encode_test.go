package trigger

import (
	"encoding/json"
	"math"
	"testing"
	"time"
)

// reference encodes with encoding/json, the definition AppendJSON follows.
func reference(t testing.TB, r *Result) string {
	t.Helper()
	type plain Result
	raw, err := json.Marshal((*plain)(r))
	if err != nil {
		t.Fatal(err)
	}
	return string(raw)
}

func TestAppendJSONMatchesEncodingJSON(t *testing.T) {
	at := time.Date(2026, 11, 24, 7, 0, 0, 123456789, time.FixedZone("x", 3600))
	results := []*Result{
		{},
		{EventID: "e1", BotID: "b", ConversationID: "c", Status: StatusSucceeded, CVars: map[string]any{}, Unmapped: []string{}, CompletedAt: at},
		{EventID: `quote " back \ <tag> & amp`, Status: StatusFailed, Error: &Error{Class: ClassHTTPStatus, Message: "GET https://x/?a=1&b=2 answered 503\n\t\x01\x7f"},
			HTTPStatus: 503, Attempts: 4, DurationMS: 12.345, Replayed: true, CompletedAt: at.UTC()},
		{CVars: map[string]any{
			"s": "é ü 日本 \u2028 \u2029 \xff\xfe bad", "i": int64(-388), "big": int64(math.MaxInt64), "u": uint64(math.MaxUint64),
			"f": 4.5, "whole": 2.0, "tiny": 1e-7, "huge": 1e21, "neg": -0.000001, "zero": 0.0, "n": nil, "t": true,
			"list": []any{int64(1), "two", []any{}, map[string]any{"z": 1.5, "a": nil}},
			"obj":  map[string]any{"b": map[string]any{"c": []any{false}}},
			"int":  7,
		}, Unmapped: []string{"x", "y"}, DurationMS: 0.001, CompletedAt: at},
	}
	for i, r := range results {
		got, err := r.AppendJSON(nil)
		if err != nil {
			t.Fatalf("%d: %v", i, err)
		}
		if want := reference(t, r); string(got) != want {
			t.Errorf("%d:\n got %s\nwant %s", i, got, want)
		}
	}
	bad := &Result{CVars: map[string]any{"x": math.Inf(1)}}
	if _, err := bad.AppendJSON(nil); err == nil {
		t.Error("+Inf encoded without error")
	}
}

func FuzzAppendJSON(f *testing.F) {
	f.Add("e", "msg <&>", 1.5, int64(3), "k", "v\u2028")
	f.Add("\xff", "", -1e-9, int64(-1), "", "\x00")
	f.Fuzz(func(t *testing.T, id, msg string, fl float64, n int64, k, v string) {
		if math.IsInf(fl, 0) || math.IsNaN(fl) {
			return
		}
		r := &Result{EventID: id, Error: &Error{Class: ClassNetwork, Message: msg}, DurationMS: fl, Attempts: int(n % 1000),
			CVars: map[string]any{k: v, "f": fl, "n": n, "l": []any{v, fl}}, Unmapped: []string{k}}
		got, err := r.AppendJSON(nil)
		if err != nil {
			t.Fatal(err)
		}
		if want := reference(t, r); string(got) != want {
			t.Errorf("\n got %s\nwant %s", got, want)
		}
	})
}

func BenchmarkResultJSON(b *testing.B) {
	r := &Result{EventID: "evt-1", BotID: "bot-1", ConversationID: "conv-1", ConnectionID: "c-1", WebhookID: "zendesk",
		Status: StatusSucceeded, CVars: map[string]any{"ticket_status": "open", "ticket_id": int64(388), "tags": []any{"a", "b"}},
		Unmapped: []string{}, HTTPStatus: 200, Attempts: 1, DurationMS: 12.5, CompletedAt: time.Now()}
	b.Run("AppendJSON", func(b *testing.B) {
		b.ReportAllocs()
		buf := make([]byte, 0, 512)
		for b.Loop() {
			buf, _ = r.AppendJSON(buf[:0])
		}
	})
	b.Run("encoding/json", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_, _ = json.Marshal(r)
		}
	})
}
