package worker_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/hookworker/hookworker/internal/config"
	"github.com/hookworker/hookworker/internal/deadletter"
	"github.com/hookworker/hookworker/internal/jstest"
	"github.com/hookworker/hookworker/internal/secret"
	"github.com/hookworker/hookworker/internal/streams"
	"github.com/hookworker/hookworker/internal/workertest"
	"github.com/hookworker/hookworker/render"
	"github.com/hookworker/hookworker/signing"
	"github.com/hookworker/hookworker/trigger"
	"github.com/hookworker/hookworker/trigger/webhook"
	"github.com/hookworker/hookworker/worker"
)

// The two tenants of these tests and what is theirs.
const (
	botA, botB = "bot-a", "bot-b"
	aToken     = "a-token-0f3b9c71e2"
	bToken     = "b-token-77d1e0aa4c"
	bSigning   = "whsec_" + "YmJiYmJiYmJiYmJiYmJiYmJiYmJiYmJi"
	aSigning   = "a-signing-key-5521"
	workerOwn  = "worker-own-9d0c2b"
	sharedDemo = "shared-demo-4471"
)

// botSecrets seals secrets[bot][name] into a real bucket and returns the
// scope a worker resolves them with: each bot its own, the worker's own
// (WORKER_OWN, DEMO) shared only for DEMO.
func botSecrets(t *testing.T, js jetstream.JetStream, secrets map[string]map[string]string) *secret.Scope {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	kv, err := streams.EnsureKeyValue(ctx, js, streams.NewTopology(config.Default()).Secrets())
	if err != nil {
		t.Fatal(err)
	}
	seed, pub, _ := secret.NewKey()
	opener, err := secret.NewOpener([][]byte{seed})
	if err != nil {
		t.Fatal(err)
	}
	sealer, _ := secret.NewSealer(pub)
	store := secret.NewStore(kv)
	for bot, names := range secrets {
		for name, v := range names {
			if _, err := store.Put(ctx, sealer, bot, name, v); err != nil {
				t.Fatal(err)
			}
		}
	}
	bots := secret.NewBots(opener, nil)
	if err := bots.Watch(ctx, kv); err != nil {
		t.Fatal(err)
	}
	return secret.NewScope(bots, render.Secrets{"WORKER_OWN": workerOwn, "DEMO": sharedDemo}, []string{"DEMO"})
}

func twoBots(t *testing.T, js jetstream.JetStream) *secret.Scope {
	return botSecrets(t, js, map[string]map[string]string{
		botA: {"TOKEN": aToken, "SIGNING": aSigning},
		botB: {"TOKEN": bToken, "B_ONLY": bToken, "SIGNING": bSigning},
	})
}

// TestBotSecretsAreTheBotsOwn: {{ secrets.NAME }} in an event of bot-a is
// bot-a's secret or a shared one of the worker's, and nothing else:
// bot-b's secrets and the worker's unshared ones, raw or transformed, are
// a render failure naming the secret, with no request made. Before bot
// scoping, every one of the refused lookups below resolved.
func TestBotSecretsAreTheBotsOwn(t *testing.T) {
	srv := jstest.Server(t)
	nc, js := jstest.Connect(t, srv)
	tg := newTarget(t, func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, `{}`) })
	startWorker(t, nc, func(c *config.Config) { c.Retry.MaxAttempts = 1 }, worker.Deps{Secrets: twoBots(t, js)})

	run := func(bot, id, header string) *trigger.Result {
		t.Helper()
		return fire(t, nc, &trigger.Event{ID: id, BotID: bot, ConversationID: "c",
			Webhook: &webhook.Definition{URL: tg.URL + "/" + id, Headers: map[string]string{"X-Got": header}}})
	}
	// Each bot's own, and the shared name.
	for _, tt := range []struct{ bot, id, header, want string }{
		{botA, "own-a", "{{ secrets.TOKEN }}", aToken},
		{botB, "own-b", "{{ secrets.TOKEN }}", bToken},
		{botA, "shared-a", "{{ secrets.DEMO }}", sharedDemo},
		{botB, "shared-b", "{{ secrets['DEMO'] }}", sharedDemo},
	} {
		if res := run(tt.bot, tt.id, tt.header); res.Status != trigger.StatusSucceeded {
			t.Fatalf("%s: %s %+v", tt.id, res.Status, res.Error)
		}
		if got := requestTo(t, tg, "/"+tt.id).Header.Get("X-Got"); got != tt.want {
			t.Errorf("%s: the target got %q, want %q", tt.id, got, tt.want)
		}
	}
	// Another bot's, raw or transformed, and the worker's unshared own.
	for i, tt := range []struct{ header, name string }{
		{"{{ secrets.B_ONLY }}", "B_ONLY"},
		{"{{ secrets['B_ONLY'] | reverse }}", "B_ONLY"},
		{"{{ secrets.B_ONLY[0:4] }}-{{ secrets.B_ONLY[4:] }}", "B_ONLY"},
		{"{{ [secrets.B_ONLY] | join(',') | upper }}", "B_ONLY"},
		{"{{ secrets.WORKER_OWN }}", "WORKER_OWN"},
		{"{{ secrets.worker_own }}", "worker_own"},
	} {
		id := fmt.Sprintf("steal-%d", i)
		res := run(botA, id, tt.header)
		if res.Status != trigger.StatusFailed || res.Error.Class != trigger.ClassRender || !strings.Contains(res.Error.Message, `secret "`+tt.name+`" is not defined`) {
			t.Errorf("%s %s: %s %+v, want a render failure naming %s", id, tt.header, res.Status, res.Error, tt.name)
		}
		if n := countRequests(tg, "/"+id); n != 0 {
			t.Errorf("%s: %d requests made", id, n)
		}
	}
}

// TestConditionDoesNotTellOtherBotsSecrets: a condition over a secret
// bot-a cannot see fails the same way whether or not bot-b (or anyone)
// has a secret of that name, so skipped-vs-failed carries no bit of it.
// Before, `secrets.X[0] == 'b'` was skipped or failed by bot-b's value.
func TestConditionDoesNotTellOtherBotsSecrets(t *testing.T) {
	outcome := func(bHas bool) []string {
		srv := jstest.Server(t)
		nc, js := jstest.Connect(t, srv)
		tg := newTarget(t, func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, `{}`) })
		bs := map[string]string{"OTHER": "zzz"}
		if bHas {
			bs["X"] = bToken
		}
		startWorker(t, nc, nil, worker.Deps{Secrets: botSecrets(t, js, map[string]map[string]string{botA: {"OWN": "a-own-value"}, botB: bs})})
		var got []string
		for i, cond := range []string{"secrets.X[0] == 'b'", "secrets.X[0] != 'b'", "secrets.X is defined", "secrets['X'] | length > 3", "secrets.OWN == 'a-own-value'"} {
			res := fire(t, nc, &trigger.Event{ID: fmt.Sprintf("cond-%d", i), BotID: botA, ConversationID: "c", Condition: cond,
				Webhook: &webhook.Definition{URL: tg.URL}})
			o := string(res.Status)
			if res.Error != nil {
				o += " " + string(res.Error.Class) + " " + res.Error.Message
			}
			got = append(got, o)
		}
		return got
	}
	with, without := outcome(true), outcome(false)
	for i := range with {
		if with[i] != without[i] {
			t.Errorf("condition %d: %q when bot-b has the secret, %q when not", i, with[i], without[i])
		}
	}
	if !strings.HasPrefix(with[0], "failed render") || !strings.Contains(with[0], `secret "X" is not defined`) {
		t.Errorf("condition over another bot's secret: %q, want a render failure naming it", with[0])
	}
	if with[4] != "succeeded" {
		t.Errorf("condition over the bot's own secret: %q", with[4])
	}
}

// TestSigningKeysAreBotSecrets: bot-a gets no signature under bot-b's
// key (a render failure, nothing sent); its own key signs. Before, any
// event could have any key sign a body of its choosing.
func TestSigningKeysAreBotSecrets(t *testing.T) {
	srv := jstest.Server(t)
	nc, js := jstest.Connect(t, srv)
	tg := newTarget(t, func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, `{}`) })
	startWorker(t, nc, func(c *config.Config) { c.Retry.MaxAttempts = 1 }, worker.Deps{Secrets: twoBots(t, js)})
	signed := func(id, bot, key string) *trigger.Result {
		return fire(t, nc, &trigger.Event{ID: id, BotID: bot, ConversationID: "c", Webhook: &webhook.Definition{
			Method: "POST", URL: tg.URL + "/" + id, Body: `{"forged": true}`,
			Signing: &webhook.Signing{Secrets: []string{key}}}})
	}
	res := signed("sign-b", botA, "{{ secrets.SIGNING }}{{ secrets.B_ONLY }}")
	if res.Status != trigger.StatusFailed || res.Error.Class != trigger.ClassRender || countRequests(tg, "/sign-b") != 0 {
		t.Errorf("signing with bot-b's key: %s %+v", res.Status, res.Error)
	}
	if res := signed("sign-a", botA, "{{ secrets.SIGNING }}"); res.Status != trigger.StatusSucceeded {
		t.Fatalf("own key: %s %+v", res.Status, res.Error)
	}
	r := requestTo(t, tg, "/sign-a")
	ok := func(key string) bool {
		return signing.Verify([]string{key}, r.Header, []byte(r.Body), time.Now(), time.Minute) == nil
	}
	if !ok(aSigning) || ok(bSigning) {
		t.Errorf("signature valid under bot-a's key %v, under bot-b's %v; want true, false", ok(aSigning), ok(bSigning))
	}
}

// TestEchoedSecretsMasked: a target that echoes what it got (headers,
// query, body) into a response a mapper copies into CVars: every form of
// the secrets the request used, verbatim, URL-, JSON- and base64-encoded,
// nested or not, is **** in the Result. Before, the mapper's copy of the
// echoed Authorization carried the token as it was.
func TestEchoedSecretsMasked(t *testing.T) {
	srv := jstest.Server(t)
	nc, js := jstest.Connect(t, srv)
	tg := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		auth := r.Header.Get("Authorization")
		echo := map[string]any{
			"auth":    auth,
			"headers": map[string]any{"authorization": []any{auth}, "x-key": r.Header.Get("X-Key")},
			"query":   r.URL.RawQuery,
			"body":    string(body),
			"b64":     base64.StdEncoding.EncodeToString([]byte("prefix:" + r.Header.Get("X-Key") + ":suffix")),
			"b64url":  base64.RawURLEncoding.EncodeToString([]byte("pp" + r.Header.Get("X-Key"))),
			"json":    fmt.Sprintf("%q", r.Header.Get("X-Key")),
			"deep":    []any{map[string]any{"k": []any{"x " + r.Header.Get("X-Key")}}},
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(echo)
	}))
	t.Cleanup(tg.Close)
	startWorker(t, nc, nil, worker.Deps{Secrets: twoBots(t, js)})
	res := fire(t, nc, &trigger.Event{ID: "echo-1", BotID: botA, ConversationID: "c", Webhook: &webhook.Definition{
		Method: "POST", URL: tg.URL + "/echo?k={{ secrets.TOKEN | urlencode }}",
		Headers: map[string]string{"X-Key": "{{ secrets.TOKEN }}"},
		Auth:    &webhook.Auth{Type: webhook.AuthBasic, Username: "agent", Password: "{{ secrets.TOKEN }}"},
		Body:    `{"token": {{ secrets.TOKEN | tojson }}}`,
		CVars: []webhook.Mapping{
			{Name: "all", Mapper: "{{ response.body }}"}, {Name: "auth", Mapper: "{{ auth }}"},
			{Name: "headers", Mapper: "{{ headers }}"}, {Name: "b64", Mapper: "{{ b64 }}"},
			{Name: "b64url", Mapper: "{{ b64url }}"}, {Name: "text", Mapper: "got {{ json }} and {{ query }}"},
			{Name: "deep", Mapper: "{{ deep }}"}, {Name: "body", Mapper: "{{ body }}"},
		}}})
	if res.Status != trigger.StatusSucceeded {
		t.Fatalf("%s %+v", res.Status, res.Error)
	}
	out, _ := json.Marshal(res.CVars)
	basic := base64.StdEncoding.EncodeToString([]byte("agent:" + aToken))
	for _, form := range []string{aToken, url.QueryEscape(aToken), basic, base64.StdEncoding.EncodeToString([]byte(aToken))[:12],
		base64.RawURLEncoding.EncodeToString([]byte(aToken))[:12]} {
		if strings.Contains(string(out), form) {
			t.Errorf("the Result's CVars hold %q:\n%s", form, out)
		}
	}
	for name, v := range res.CVars {
		if s, _ := json.Marshal(v); !strings.Contains(string(s), render.Mask) {
			t.Errorf("CVar %s shows no mask: %s", name, s)
		}
	}
	// Still data: the mapped structure is kept, only the secret masked.
	if h, _ := res.CVars["headers"].(map[string]any); h == nil || h["x-key"] != render.Mask {
		t.Errorf("headers CVar %v", res.CVars["headers"])
	}
}

// TestReplyConfinement: a reply_to the contract refuses (a KV, JetStream
// or system subject, a dead-letter, trigger or replay subject, another
// bot's results, and, with results.reply_allow, anything it does not
// name) makes the event invalid_event, with its Result on the bot's own
// result subject and nothing written where it pointed. Before,
// reply_to $KV.hookworker-webhooks.<id> overwrote a definition and
// connections.dlq.<bot> stored a forged letter that broke dlq list.
func TestReplyConfinement(t *testing.T) {
	srv := jstest.Server(t)
	nc, js := jstest.Connect(t, srv)
	ctx := context.Background()
	hooks, err := streams.EnsureKeyValue(ctx, js, streams.NewTopology(config.Default()).Webhooks())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := hooks.Put(ctx, "order-status", []byte(`{"id":"order-status","url":"https://api.example/x"}`)); err != nil {
		t.Fatal(err)
	}
	tg := newTarget(t, func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, `{}`) })
	startWorker(t, nc, func(c *config.Config) { c.Results.ReplyAllow = []string{"_INBOX.>", "app.results.>"} }, worker.Deps{})
	own := workertest.CollectResults(t, nc, "connections.result.bot-a.>")
	ownBare := workertest.CollectResults(t, nc, "connections.result.bot-a")
	elsewhere := workertest.CollectResults(t, nc, "app.>")
	refused := []string{
		"$KV.hookworker-webhooks.order-status", "$KV.hookworker-secrets.bot-b.TOKEN", "$JS.API.STREAM.DELETE.CONNECTIONS",
		"$SYS.REQ.SERVER.PING", "$SRV.PING", "connections.dlq.bot-a.timeout", "connections.fired.bot-b",
		"connections.replay.bot-a", "connections.result.bot-b", "connections.result.bot-b.conv", "app.other", "hookworker.api.replay",
	}
	var ids []string
	for i, reply := range refused {
		id := fmt.Sprintf("reply-%d", i)
		ids = append(ids, id)
		publishTo(t, js, "connections.fired.bot-a", id, fmt.Sprintf(`{"id":%q,"bot_id":"bot-a","conversation_id":"c","reply_to":%q,"webhook":{"url":%q}}`, id, reply, tg.URL+"/"+id))
	}
	publishTo(t, js, "connections.fired.bot-a", "allowed-1", fmt.Sprintf(`{"id":"allowed-1","bot_id":"bot-a","conversation_id":"c","reply_to":"app.results.1","webhook":{"url":%q}}`, tg.URL+"/allowed-1"))
	publishTo(t, js, "connections.fired.bot-a", "own-1", fmt.Sprintf(`{"id":"own-1","bot_id":"bot-a","conversation_id":"c","reply_to":"connections.result.bot-a.conv-9","webhook":{"url":%q}}`, tg.URL+"/own-1"))
	got := ownBare.WaitNth(t, 1, 20*time.Second, ids...)
	for i, id := range ids {
		r := got[id]
		if r.Status != trigger.StatusFailed || r.Error.Class != trigger.ClassInvalidEvent || !strings.HasPrefix(r.Error.Message, "reply_to: ") {
			t.Errorf("reply_to %s: %s %+v, want invalid_event naming reply_to", refused[i], r.Status, r.Error)
		}
		if countRequests(tg, "/"+id) != 0 {
			t.Errorf("reply_to %s: a request was made", refused[i])
		}
	}
	if r := elsewhere.WaitNth(t, 1, 10*time.Second, "allowed-1")["allowed-1"]; r.Status != trigger.StatusSucceeded {
		t.Errorf("allowed reply_to: %s %+v", r.Status, r.Error)
	}
	if r := own.WaitNth(t, 1, 10*time.Second, "own-1")["own-1"]; r.Status != trigger.StatusSucceeded {
		t.Errorf("own result subject: %s %+v", r.Status, r.Error)
	}
	// The definition is as it was, and the dead letters (the refused
	// events') all read back.
	e, err := hooks.Get(ctx, "order-status")
	if err != nil || e.Revision() != 1 {
		t.Errorf("webhook entry: revision %v, %v; want untouched", e, err)
	}
	letters, err := deadletter.NewStore(js, config.Default()).List(ctx, deadletter.Filter{BotID: botA})
	if err != nil || len(letters) != len(refused) {
		t.Errorf("dead letters of bot-a: %d, %v; want %d, all readable", len(letters), err, len(refused))
	}
}

// TestSubjectBinding: an event claiming bot-b published on bot-a's
// subject is invalid_event, its Result on bot-a's result subject (not its
// reply_to, bot-b's inbox) and its dead letter bot-a's; no request is
// made and bot-b's secrets stay out of reach. Before, it acted as bot-b.
func TestSubjectBinding(t *testing.T) {
	srv := jstest.Server(t)
	nc, js := jstest.Connect(t, srv)
	tg := newTarget(t, func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, `{}`) })
	startWorker(t, nc, nil, worker.Deps{Secrets: twoBots(t, js)})
	aResults := workertest.CollectResults(t, nc, "connections.result.bot-a")
	bInbox := workertest.CollectResults(t, nc, "bot-b-inbox.>")
	bResults := workertest.CollectResults(t, nc, "connections.result.bot-b.>")
	for i, subject := range []string{"connections.fired.bot-a", "connections.fired.bot-a.conv-1"} {
		id := fmt.Sprintf("as-b-%d", i)
		publishTo(t, js, subject, id, fmt.Sprintf(`{"id":%q,"bot_id":"bot-b","conversation_id":"conv-1","reply_to":"bot-b-inbox.1",
			"webhook":{"url":%q,"headers":{"X-T":"{{ secrets.TOKEN }}"}}}`, id, tg.URL+"/"+id))
		r := aResults.WaitNth(t, 1, 10*time.Second, id)[id]
		if r.Status != trigger.StatusFailed || r.Error.Class != trigger.ClassInvalidEvent || !strings.HasPrefix(r.Error.Message, "bot_id: ") || r.BotID != botA {
			t.Errorf("%s: %+v %+v, want invalid_event naming bot_id, for bot-a", subject, r, r.Error)
		}
		if countRequests(tg, "/"+id) != 0 {
			t.Errorf("%s: a request was made", subject)
		}
	}
	ctx := context.Background()
	letters, err := deadletter.NewStore(js, config.Default()).List(ctx, deadletter.Filter{})
	if err != nil || len(letters) != 2 || letters[0].BotID != botA || letters[1].BotID != botA {
		t.Errorf("dead letters %v, %v; want two, bot-a's", letters, err)
	}
	time.Sleep(200 * time.Millisecond)
	if n := len(bInbox.All()) + len(bResults.All()); n != 0 {
		t.Errorf("bot-b got %d Results", n)
	}
}

func publishTo(t *testing.T, js jetstream.JetStream, subject, id, data string) {
	t.Helper()
	msg := nats.NewMsg(subject)
	msg.Data = []byte(data)
	msg.Header.Set(trigger.HeaderMsgID, id)
	if _, err := js.PublishMsg(context.Background(), msg); err != nil {
		t.Fatal(err)
	}
}

func requestTo(t *testing.T, tg *target, path string) seen {
	t.Helper()
	for _, r := range tg.requests() {
		if r.Path == path {
			return r
		}
	}
	t.Fatalf("no request to %s", path)
	return seen{}
}

func countRequests(tg *target, path string) int {
	n := 0
	for _, r := range tg.requests() {
		if r.Path == path {
			n++
		}
	}
	return n
}
