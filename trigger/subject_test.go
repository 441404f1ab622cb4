package trigger

import (
	"encoding/json"
	"testing"
)

func TestFiredSubject(t *testing.T) {
	tests := []struct{ prefix, bot, want string }{
		{DefaultFiredPrefix, "bot-1", "connections.fired.bot-1"},
		{"", "bot-1", "connections.fired.bot-1"},
		{"tenant.a.fired", "b", "tenant.a.fired.b"},
	}
	for _, tt := range tests {
		if got := FiredSubject(tt.prefix, tt.bot); got != tt.want {
			t.Errorf("FiredSubject(%q, %q) = %q, want %q", tt.prefix, tt.bot, got, tt.want)
		}
	}
}

func TestResultSubject(t *testing.T) {
	tests := []struct {
		name   string
		ev     Event
		prefix string
		want   string
	}{
		{"reply_to wins", Event{BotID: "bot-1", ReplyTo: "_INBOX.abc"}, DefaultResultPrefix, "_INBOX.abc"},
		{"default prefix", Event{BotID: "bot-1"}, DefaultResultPrefix, "connections.result.bot-1"},
		{"empty prefix means default", Event{BotID: "bot-1"}, "", "connections.result.bot-1"},
		{"custom prefix", Event{BotID: "bot-1"}, "engine.results", "engine.results.bot-1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ResultSubject(&tt.ev, tt.prefix); got != tt.want {
				t.Errorf("ResultSubject = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestResultMsgID(t *testing.T) {
	tests := []struct {
		id     string
		replay int
		want   string
	}{
		{"evt-1", 0, "result-evt-1"},
		{"evt-1", -1, "result-evt-1"},
		{"evt-1", 1, "result-evt-1-replay-1"},
		{"evt-1", 12, "result-evt-1-replay-12"},
	}
	for _, tt := range tests {
		if got := ResultMsgID(tt.id, tt.replay); got != tt.want {
			t.Errorf("ResultMsgID(%q, %d) = %q, want %q", tt.id, tt.replay, got, tt.want)
		}
	}
}

func TestWebhookRefJSON(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want WebhookRef
		out  string // canonical form written back
	}{
		{"string", `"zendesk"`, WebhookRef{ID: "zendesk"}, `"zendesk"`},
		{"object with revision", `{"id":"zendesk","revision":3}`, WebhookRef{ID: "zendesk", Revision: 3}, `{"id":"zendesk","revision":3}`},
		{"object without revision", `{"id":"zendesk"}`, WebhookRef{ID: "zendesk"}, `"zendesk"`},
		{"revision zero", `{"id":"zendesk","revision":0}`, WebhookRef{ID: "zendesk"}, `"zendesk"`},
		{"big revision", `{"id":"z","revision":18446744073709551615}`, WebhookRef{ID: "z", Revision: 1<<64 - 1}, `{"id":"z","revision":18446744073709551615}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var r WebhookRef
			if err := json.Unmarshal([]byte(tt.in), &r); err != nil {
				t.Fatalf("Unmarshal: %v", err)
			}
			if r != tt.want {
				t.Errorf("got %+v, want %+v", r, tt.want)
			}
			out, err := json.Marshal(r)
			if err != nil {
				t.Fatalf("Marshal: %v", err)
			}
			if string(out) != tt.out {
				t.Errorf("Marshal = %s, want %s", out, tt.out)
			}
			var back WebhookRef
			if err := json.Unmarshal(out, &back); err != nil || back != r {
				t.Errorf("round trip = %+v, %v; want %+v", back, err, r)
			}
		})
	}
	for _, bad := range []string{`5`, `true`, `[]`, `{"id":"z","rev":1}`, `{"id":5}`} {
		var r WebhookRef
		if err := json.Unmarshal([]byte(bad), &r); err == nil {
			t.Errorf("Unmarshal(%s) succeeded: %+v", bad, r)
		}
	}
}
