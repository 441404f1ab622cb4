package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/hookworker/hookworker/internal/api"
	"github.com/hookworker/hookworker/internal/fault"
	"github.com/hookworker/hookworker/internal/workertest"
	"github.com/hookworker/hookworker/trigger"
	"github.com/hookworker/hookworker/trigger/webhook"
	"github.com/hookworker/hookworker/worker"
)

// closedURL is a loopback URL where nothing listens.
func closedURL(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	u := "http://" + ln.Addr().String()
	ln.Close()
	return u
}

// dlqFixture: a real worker dead-letters five events: three of bot-a
// (503, http_status), one of bot-b (503) and one of bot-b to a closed
// port (network).
func dlqFixture(t *testing.T) (*fixture, *fault.Server, *workertest.Results) {
	t.Helper()
	f := newFixture(t, nil)
	ft := fault.NewServer(t)
	ft.On("/api", fault.Status(503, `{"error":"down"}`))
	f.cfg.HTTP.Allow = []string{"127.0.0.0/8"}
	f.cfg.Retry.MaxAttempts = 1
	f.cfg.Worker.Concurrency = 4
	workertest.Run(t, f.nc, f.cfg, worker.Deps{})
	results := workertest.CollectResults(t, f.nc, "connections.result.>")
	client, err := trigger.NewClient(f.nc)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	publish := func(id, bot, url string) {
		n++
		ev := &trigger.Event{ID: id, BotID: bot, ConversationID: "conv-" + id,
			Webhook: &webhook.Definition{ID: "api-" + bot, URL: url, CVars: []webhook.Mapping{{Name: "ok", Mapper: "{{ ok }}"}}}}
		if _, err := client.Publish(context.Background(), ev); err != nil {
			t.Fatal(err)
		}
		// One at a time, so that the letters' seqs are in this order.
		waitLetters(t, f.store, n)
		results.WaitEvents(t, n, 10*time.Second)
	}
	for i := range 3 {
		publish(fmt.Sprintf("a-%d", i), "bot-a", ft.URL()+"/api")
	}
	publish("b-0", "bot-b", ft.URL()+"/api")
	publish("b-1", "bot-b", closedURL(t)+"/api")
	return f, ft, results
}

// TestDLQListAndShow: dlq.list filters and limits the letters a real
// worker stored, newest first with the total; dlq.show gives a letter as
// the dead-letter schema describes it; bad filters name their field.
func TestDLQListAndShow(t *testing.T) {
	f, _, _ := dlqFixture(t)
	list := func(req map[string]any) api.DLQListReply {
		t.Helper()
		var r api.DLQListReply
		call(t, f.nc, api.SubjectDLQList, req, &r)
		return r
	}
	all := list(map[string]any{})
	if all.Total != 5 || len(all.Letters) != 5 {
		t.Fatalf("all: %+v", all)
	}
	for i, want := range []string{"b-1", "b-0", "a-2", "a-1", "a-0"} {
		if all.Letters[i].EventID != want {
			t.Errorf("letter %d is %s, want %s (newest first)", i, all.Letters[i].EventID, want)
		}
	}
	if l := all.Letters[0]; l.Error.Class != trigger.ClassNetwork || l.BotID != "bot-b" || l.Attempts != 1 || !l.Replayable || l.Seq == 0 {
		t.Errorf("summary %+v", l)
	}
	future := time.Now().Add(time.Hour).UTC().Format(time.RFC3339)
	for _, tt := range []struct {
		filter map[string]any
		limit  int
		total  int
		n      int
	}{
		{map[string]any{"bot_id": "bot-a"}, 0, 3, 3},
		{map[string]any{"bot_id": "bot-b", "class": "http_status"}, 0, 1, 1},
		{map[string]any{"class": "network"}, 0, 1, 1},
		{map[string]any{"webhook_id": "api-bot-a", "event_id": "a-1"}, 0, 1, 1},
		{map[string]any{}, 2, 5, 2},
		{map[string]any{"since": future}, 0, 0, 0},
		{map[string]any{"seq": all.Letters[2].Seq}, 0, 1, 1},
		{map[string]any{"seq": all.Letters[2].Seq, "bot_id": "bot-b"}, 0, 0, 0},
	} {
		r := list(map[string]any{"filter": tt.filter, "limit": tt.limit})
		if r.Total != tt.total || len(r.Letters) != tt.n {
			t.Errorf("filter %v limit %d: total %d, %d letters; want %d, %d", tt.filter, tt.limit, r.Total, len(r.Letters), tt.total, tt.n)
		}
	}
	callError(t, f.nc, api.SubjectDLQList, []byte(`{"filter":{"since":"yesterday"}}`), 400, "filter.since")
	callError(t, f.nc, api.SubjectDLQList, []byte(`{"filter":{"class":"oops"}}`), 400, "filter.class")
	callError(t, f.nc, api.SubjectDLQList, []byte(`{"filter":{"bot":"x"}}`), 400, "filter.bot")
	callError(t, f.nc, api.SubjectDLQList, []byte(`{"limit":5000}`), 400, "limit")

	code, body := raw(t, f.nc, api.SubjectDLQShow, mustJSON(t, map[string]any{"seq": all.Letters[0].Seq}))
	if code != "" {
		t.Fatalf("show: %s %s", code, body)
	}
	var l api.Letter
	if err := json.Unmarshal(body, &l); err != nil {
		t.Fatal(err)
	}
	if l.Seq != all.Letters[0].Seq || l.EventID != "b-1" || len(l.Attempts) != 1 || l.Attempts[0].Class != trigger.ClassNetwork || len(l.Event) == 0 {
		t.Errorf("letter %+v", l)
	}
	validDeadLetter(t, body)
	callError(t, f.nc, api.SubjectDLQShow, []byte(`{"seq":99999}`), 404, "seq")
	callError(t, f.nc, api.SubjectDLQShow, []byte(`{}`), 400, "seq")
}

// validDeadLetter checks data against docs/schema/dead-letter.schema.json.
func validDeadLetter(t *testing.T, data []byte) {
	t.Helper()
	validAgainst(t, "dead-letter.schema.json", data)
}

// validAgainst checks data against the schema at ref (a file of
// docs/schema, with a fragment), every file loaded under its $id.
func validAgainst(t testing.TB, ref string, data []byte) {
	t.Helper()
	schemaMu.Lock()
	sch, ok := schemaCache[ref]
	if !ok {
		var err error
		if sch, err = compileSchema(ref); err != nil {
			schemaMu.Unlock()
			t.Fatal(err)
		}
		schemaCache[ref] = sch
	}
	schemaMu.Unlock()
	v, err := jsonschema.UnmarshalJSON(bytesReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if err := sch.Validate(v); err != nil {
		t.Errorf("%s does not validate against %s: %v", clip(data), ref, err)
	}
}

var (
	schemaMu    sync.Mutex
	schemaCache = map[string]*jsonschema.Schema{}
)

func compileSchema(ref string) (*jsonschema.Schema, error) {
	const idBase = "https://hookworker.example/schema/"
	dir := filepath.Join("..", "..", "docs", "schema")
	c := jsonschema.NewCompiler()
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	for _, e := range entries {
		if filepath.Ext(e.Name()) != ".json" {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			return nil, err
		}
		doc, err := jsonschema.UnmarshalJSON(bytesReader(b))
		if err != nil {
			return nil, err
		}
		if err := c.AddResource(idBase+e.Name(), doc); err != nil {
			return nil, err
		}
	}
	return c.Compile(idBase + ref)
}

// TestReplay: replay refuses an empty filter without all; a dry run
// changes nothing; replaying one letter by seq, then a bot's letters,
// re-publishes them (the worker's Results say replayed) and removes them.
func TestReplay(t *testing.T) {
	f, ft, results := dlqFixture(t)
	callError(t, f.nc, api.SubjectReplay, []byte(`{}`), 400, "filter")
	callError(t, f.nc, api.SubjectReplay, []byte(`{"filter":{"bot_id":"bot-a"},"rate":-1}`), 400, "rate")

	var dry api.ReplayReply
	call(t, f.nc, api.SubjectReplay, map[string]any{"filter": map[string]any{"bot_id": "bot-a"}, "dry_run": true}, &dry)
	if dry.Selected != 3 || dry.Replayed != 3 || len(dry.Letters) != 3 {
		t.Errorf("dry run %+v", dry)
	}
	time.Sleep(200 * time.Millisecond)
	if n := len(waitLetters(t, f.store, 5)); n != 5 {
		t.Errorf("%d letters after a dry run, want 5", n)
	}

	ft.On("/api", fault.OK(`{"ok":"yes"}`))
	letters := waitLetters(t, f.store, 5)
	var one api.ReplayReply
	call(t, f.nc, api.SubjectReplay, map[string]any{"filter": map[string]any{"seq": letters[0].Seq}, "rate": 0}, &one)
	if one.Selected != 1 || one.Replayed != 1 || one.Letters[0].EventID != "a-0" || one.Letters[0].Replay != 1 ||
		one.Letters[0].ReplyTo != "connections.result.bot-a" {
		t.Fatalf("replay one: %+v", one)
	}
	if r := results.WaitNth(t, 2, 10*time.Second, "a-0")["a-0"]; r.Status != trigger.StatusSucceeded || !r.Replayed || r.CVars["ok"] != "yes" {
		t.Errorf("replayed a-0's Result %+v", r)
	}

	var bot api.ReplayReply
	call(t, f.nc, api.SubjectReplay, map[string]any{"filter": map[string]any{"bot_id": "bot-a"}, "rate": 1000}, &bot)
	if bot.Selected != 2 || bot.Replayed != 2 || bot.Failed != 0 {
		t.Errorf("replay bot-a: %+v", bot)
	}
	for id, r := range results.WaitNth(t, 2, 10*time.Second, "a-1", "a-2") {
		if r.Status != trigger.StatusSucceeded || !r.Replayed {
			t.Errorf("replayed %s: %+v", id, r)
		}
	}
	var left api.DLQListReply
	call(t, f.nc, api.SubjectDLQList, map[string]any{}, &left)
	if left.Total != 2 || left.Letters[0].BotID != "bot-b" || left.Letters[1].BotID != "bot-b" {
		t.Errorf("left after replays: %+v", left)
	}
}
