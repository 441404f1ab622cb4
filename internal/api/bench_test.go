package api_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/hookworker/hookworker/internal/api"
	"github.com/hookworker/hookworker/internal/deadletter"
	"github.com/hookworker/hookworker/trigger"
)

// BenchmarkEndpoints measures each endpoint's round trip over a loopback
// NATS connection (request, handler, reply), one request at a time:
//
//	go test -run x -bench Endpoints -benchtime 2000x ./internal/api
func BenchmarkEndpoints(b *testing.B) {
	f := newBenchFixture(b)
	ctx := context.Background()
	for i := range 100 {
		l := &deadletter.Letter{EventID: fmt.Sprintf("ev-%d", i), BotID: fmt.Sprintf("bot-%d", i%4), ConversationID: "c",
			WebhookID: "w", Subject: "connections.fired.bot", Event: []byte(`{"id":"x"}`),
			Error:     trigger.Error{Class: trigger.ClassHTTPStatus, Message: "GET https://x.example/ answered 503"},
			Attempts:  []deadletter.Attempt{{At: time.Now(), Status: 503, Class: trigger.ClassHTTPStatus, DurationMS: 3}},
			FirstSeen: time.Now(), FailedAt: time.Now()}
		if err := f.store.Put(ctx, l); err != nil {
			b.Fatal(err)
		}
	}
	hook := `{"method":"POST","url":"https://api.example/orders/{{ order_id }}","headers":{"X-Bot":"{{ conversation.bot_id }}"},
		"auth":{"type":"bearer","token":"{{ secrets.TOKEN }}"},"body":"{\"name\": {{ userName | tojson }}, \"vip\": \"{{ 'yes' if vip else 'no' }}\"}",
		"cvars":[{"name":"status","mapper":"{{ order.status }}"},{"name":"id","mapper":"{{ order.id }}"}]}`
	cases := []struct {
		name, subject, body string
	}{
		{"render", api.SubjectRender, `{"bot_id":"bot-a","webhook":` + hook + `,"cvars":{"order_id":"A-17","userName":"Ana","vip":true},
			"response":{"body":{"order":{"status":"shipped","id":17}}}}`},
		{"validate", api.SubjectValidate, `{"webhook":` + hook + `}`},
		{"dlq.list 100 letters", api.SubjectDLQList, `{"limit":20}`},
		{"dlq.list one bot", api.SubjectDLQList, `{"filter":{"bot_id":"bot-1"},"limit":20}`},
		{"dlq.show", api.SubjectDLQShow, `{"seq":50}`},
		{"replay dry run", api.SubjectReplay, `{"filter":{"bot_id":"bot-2"},"dry_run":true}`},
		{"status", api.SubjectStatus, `{}`},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				m, err := f.nc.Request(c.subject, []byte(c.body), 10*time.Second)
				if err != nil {
					b.Fatal(err)
				}
				if code := m.Header.Get("Nats-Service-Error-Code"); code != "" {
					b.Fatalf("%s: %s", code, m.Data)
				}
			}
		})
	}
}

func newBenchFixture(b *testing.B) *fixture {
	b.Helper()
	f := newFixture(b, botSecrets{"bot-a": {"TOKEN": alphaSecret}})
	if err := f.store.Ensure(context.Background()); err != nil {
		b.Fatal(err)
	}
	return f
}
