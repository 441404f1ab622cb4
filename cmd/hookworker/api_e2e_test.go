package main

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/nats-io/nats.go/micro"

	"github.com/hookworker/hookworker/internal/api"
	"github.com/hookworker/hookworker/internal/fault"
	"github.com/hookworker/hookworker/internal/jstest"
	"github.com/hookworker/hookworker/trigger"
	"github.com/hookworker/hookworker/trigger/webhook"
)

// TestRunServesTheAPI: every `hookworker run` joins the micro service
// hookworker: two processes answer $SRV.PING.hookworker and share the
// requests; render masks the worker's secret and sends nothing; a letter
// the workers dead-letter is listed and shown.
func TestRunServesTheAPI(t *testing.T) {
	bin := buildBinary(t)
	srv := jstest.Server(t)
	nc, _ := jstest.Connect(t, srv)
	ft := fault.NewServer(t)
	ft.On("/down", fault.Status(404, `{"error":"no such order"}`))
	env := []string{"HOOKWORKER_SECRET_TOKEN=t0ken-of-the-worker", "HOOKWORKER_SECRETS_SHARED=TOKEN", "HOOKWORKER_RETRY_MAX_ATTEMPTS=1"}
	startWorker(t, bin, "w1", srv.ClientURL(), env...)
	startWorker(t, bin, "w2", srv.ClientURL(), env...)

	c := api.NewClient(nc)
	ctx := context.Background()
	deadline := time.Now().Add(10 * time.Second)
	var ins []api.Instance
	for len(ins) < 2 && time.Now().Before(deadline) {
		ins, _ = c.Instances(ctx, 300*time.Millisecond)
	}
	if len(ins) != 2 {
		t.Fatalf("%d instances answer $SRV.STATS.hookworker, want 2: %+v", len(ins), ins)
	}
	for _, in := range ins {
		if in.Ready != "" || in.InFlight != -1 || in.BreakersOpen == nil {
			t.Errorf("instance %+v: want ready, in flight unknown (no ops listener), no breaker open", in)
		}
	}
	pings := 0
	inbox := nc.NewRespInbox()
	sub, err := nc.SubscribeSync(inbox)
	if err != nil {
		t.Fatal(err)
	}
	if err := nc.PublishRequest("$SRV.PING.hookworker", inbox, nil); err != nil {
		t.Fatal(err)
	}
	for {
		m, err := sub.NextMsg(500 * time.Millisecond)
		if err != nil {
			break
		}
		var p micro.Ping
		if json.Unmarshal(m.Data, &p) == nil && p.Name == "hookworker" {
			pings++
		}
	}
	if pings != 2 {
		t.Errorf("%d PING replies, want 2", pings)
	}
	seen := map[string]bool{}
	for range 30 {
		m, err := nc.Request(api.SubjectStatus, nil, 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		var st api.StatusReply
		if err := json.Unmarshal(m.Data, &st); err != nil {
			t.Fatal(err)
		}
		seen[st.ID] = true
	}
	if len(seen) != 2 {
		t.Errorf("30 status requests were answered by %d processes, want both", len(seen))
	}

	r, err := c.Render(ctx, &api.RenderRequest{BotID: "bot-1",
		Webhook: json.RawMessage(`{"url":"` + ft.URL() + `/down","auth":{"type":"bearer","token":"{{ secrets.TOKEN }}"}}`)})
	if err != nil {
		t.Fatal(err)
	}
	if r.Request.Headers["Authorization"] != "Bearer ****" {
		t.Errorf("render: %+v", r.Request)
	}
	if n := len(ft.RequestsUnder("/")); n != 0 {
		t.Fatalf("render sent %d requests", n)
	}

	client, err := trigger.NewClient(nc)
	if err != nil {
		t.Fatal(err)
	}
	res, err := client.Fire(ctx, &trigger.Event{ID: "e-api-1", BotID: "bot-1", ConversationID: "c-1",
		Webhook: &webhook.Definition{ID: "orders", URL: ft.URL() + "/down"}})
	if err != nil || res.Status != trigger.StatusFailed {
		t.Fatalf("fire: %+v, %v", res, err)
	}
	list, err := c.List(ctx, &api.DLQListRequest{Filter: api.Filter{BotID: "bot-1"}})
	if err != nil || list.Total != 1 || list.Letters[0].EventID != "e-api-1" {
		t.Fatalf("dlq.list: %+v, %v", list, err)
	}
	l, err := c.Show(ctx, list.Letters[0].Seq)
	if err != nil || l.EventID != "e-api-1" || l.Error.Class != trigger.ClassHTTPStatus || len(l.Attempts) != 1 || l.Attempts[0].Status != 404 {
		t.Errorf("dlq.show: %+v, %v", l, err)
	}
}
