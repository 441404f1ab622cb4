package trigger

import (
	"strings"
	"testing"
)

func TestSubjectBot(t *testing.T) {
	var tn Tenancy
	tests := map[string]string{
		"connections.fired.bot-a":              "bot-a",
		"connections.fired.bot-a.conv-1.x":     "bot-a",
		"connections.replay.bot-a.conv-1":      "bot-a",
		"connections.ordered.bot-a.conv-1":     "bot-a",
		"connections.ordered.3.bot-a.conv-1":   "bot-a",
		"connections.ordered.3.bot-a.conv-1.x": "",
		"connections.result.bot-a":             "",
		"connections.firedx.bot-a":             "",
		"other.bot-a":                          "",
	}
	for subj, want := range tests {
		if got := tn.SubjectBot(subj); got != want {
			t.Errorf("SubjectBot(%s) = %q, want %q", subj, got, want)
		}
	}
	custom := Tenancy{FiredPrefix: "acme.hooks"}
	if got := custom.SubjectBot("acme.hooks.b1.c"); got != "b1" {
		t.Errorf("custom prefix: %q", got)
	}
}

func TestCheckBinding(t *testing.T) {
	var tn Tenancy
	ev := &Event{BotID: "bot-b"}
	for _, subj := range []string{"connections.fired.bot-a", "connections.fired.bot-a.conv", "connections.ordered.0.bot-a.c", "connections.replay.bot-a"} {
		err := tn.CheckBinding(subj, ev)
		if err == nil || !strings.Contains(err.Error(), "bot_id") || !strings.Contains(err.Error(), "bot-a") {
			t.Errorf("%s with bot_id bot-b: %v", subj, err)
		}
	}
	for _, subj := range []string{"connections.fired.bot-b", "connections.fired.bot-b.x", "connections.ordered.bot-b.c"} {
		if err := tn.CheckBinding(subj, ev); err != nil {
			t.Errorf("%s: %v", subj, err)
		}
	}
}

func TestReplyRefused(t *testing.T) {
	tests := []struct {
		allow   []string
		subject string
		refused bool
	}{
		{nil, "_INBOX.abc.1", false},
		{nil, "app.results.x", false},
		{nil, "connections.result.bot-a", false},
		{nil, "connections.result.bot-a.conv-1", false},
		{nil, "connections.result.bot-b", true},
		{nil, "connections.result.bot-b.x", true},
		{nil, "connections.result.bot-ab", true},
		{nil, "connections.result", true},
		{nil, "$JS.API.STREAM.DELETE.CONNECTIONS", true},
		{nil, "$KV.hookworker-webhooks.order-status", true},
		{nil, "$KV.hookworker-secrets.bot-b.TOKEN", true},
		{nil, "$O.bucket.x", true},
		{nil, "$SYS.REQ.SERVER.PING", true},
		{nil, "$SRV.PING.hookworker", true},
		{nil, "$JSC.x", true},
		{nil, "connections.fired.bot-a", true},
		{nil, "connections.fired.bot-b.x", true},
		{nil, "connections.ordered.bot-b.c", true},
		{nil, "connections.dlq.bot-a", true},
		{nil, "connections.dlq.bot-b.invalid_event", true},
		{nil, "connections.replay.bot-a", true},
		{nil, "connections.retry.due.bot-a", true},
		{nil, "hookworker.api.replay", true},
		{nil, "a..b", true},
		{nil, "a.*", true},
		{[]string{"_INBOX.>"}, "_INBOX.abc", false},
		{[]string{"_INBOX.>"}, "app.results", true},
		{[]string{"_INBOX.>"}, "connections.result.bot-a.c", false},
		{[]string{"_INBOX.>", "app.*.results"}, "app.x.results", false},
		{[]string{"_INBOX.>"}, "$KV.x", true},
		{[]string{">"}, "connections.dlq.bot-a", true},
	}
	for _, tt := range tests {
		tn := Tenancy{ReplyAllow: tt.allow}
		why := tn.ReplyRefused(tt.subject, "bot-a")
		if (why != "") != tt.refused {
			t.Errorf("allow %v, reply_to %s: refused %q, want refused %v", tt.allow, tt.subject, why, tt.refused)
		}
	}
	// Configured prefixes are refused as well as the defaults.
	tn := Tenancy{FiredPrefix: "acme.fired", DLQPrefix: "acme.dlq", ResultPrefix: "acme.result"}
	for _, s := range []string{"acme.fired.b", "acme.dlq.b", "connections.fired.b", "acme.result.other"} {
		if tn.ReplyRefused(s, "bot-a") == "" {
			t.Errorf("custom names: %s allowed", s)
		}
	}
	if why := tn.ReplyRefused("acme.result.bot-a", "bot-a"); why != "" {
		t.Errorf("own result subject under a custom prefix refused: %s", why)
	}
	ev := &Event{BotID: "bot-a", ReplyTo: "$KV.hookworker-webhooks.x"}
	if err := (Tenancy{}).CheckReply(ev); err == nil || !strings.HasPrefix(err.Error(), "reply_to: ") {
		t.Errorf("CheckReply = %v, want a reply_to error", err)
	}
}

func TestSubjectMatches(t *testing.T) {
	tests := []struct {
		p, s string
		ok   bool
	}{
		{"a.b", "a.b", true}, {"a.*", "a.b", true}, {"a.*", "a.b.c", false}, {"a.>", "a.b.c", true},
		{"a.>", "a", false}, {">", "a", true}, {"*", "a.b", false}, {"a.b", "a.bc", false}, {"a.*.c", "a.b.c", true},
	}
	for _, tt := range tests {
		if got := SubjectMatches(tt.p, tt.s); got != tt.ok {
			t.Errorf("SubjectMatches(%s, %s) = %v", tt.p, tt.s, got)
		}
	}
}
