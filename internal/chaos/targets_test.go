package chaos

import (
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/hookworker/hookworker/trigger"
	"github.com/hookworker/hookworker/trigger/webhook"
)

// TestChaosFlappingTarget: the target answers 503 to 40% of requests,
// then to all of them for 2s, then recovers. Retries (in the worker and
// through JetStream) get every event through or dead-letter it; no
// event is executed twice, since a 503 is not an execution.
func TestChaosFlappingTarget(t *testing.T) {
	t.Parallel()
	nd := startNATS(t, natsOptions{})
	g := newRig(t, nd.url(), 1, 5*time.Millisecond)
	g.worker("w1")
	g.worker("w2")
	n := scale(800)
	g.tg.setFailure(0.4)
	pub := publish(t, g.c, okEvents("flap", n, g.tg.url()), 150)
	pub.waitCount(t, n/3, 60*time.Second)
	g.tg.setFailure(1)
	time.Sleep(2 * time.Second)
	g.tg.setFailure(0.4)
	pub.waitCount(t, 2*n/3, 60*time.Second)
	g.tg.setFailure(0)
	healFrom := time.Now()
	tl, ids := g.finish(pub, expect{mayFail: true}, 60*time.Second)
	g.r.heal = tl.healedBy(ids, healFrom)
	g.checkDups()
	g.r.note = fmt.Sprintf("503 to 40%%, then 100%% for 2s, then 40%%, then 0; %d requests", g.tg.requests())
}

// TestChaosHangingTarget: a fifth of the events call a target that
// hangs (answers nothing) for 6s, then recovers; their webhook timeout is
// 1s, 3 attempts. They end succeeded or dead-lettered as timeout, and the
// events of the other bot keep flowing meanwhile.
func TestChaosHangingTarget(t *testing.T) {
	t.Parallel()
	nd := startNATS(t, natsOptions{})
	g := newRig(t, nd.url(), 1, 5*time.Millisecond)
	hang := newTarget(t, time.Hour)
	g.worker("w1", "HOOKWORKER_RETRY_MAX_ATTEMPTS=3")
	n := scale(900)
	msgs := make([]msg, n)
	hangs := map[string]string{}
	for i := range msgs {
		id := fmt.Sprintf("hang-%05d", i)
		if i%5 == 0 {
			// Another bot: a bot's own events share its part of the pool
			// (worker.bot_share), other bots' must not wait for them.
			msgs[i] = eventWith(id, "hang-bot", &webhook.Definition{URL: hang.url(), Timeout: webhook.Duration(time.Second)})
			hangs[id] = string(trigger.ClassTimeout)
		} else {
			msgs[i] = okEvent(id, g.tg.url())
		}
	}
	pub := publish(t, g.c, msgs, 150)
	time.Sleep(6 * time.Second)
	hang.setDelay(5 * time.Millisecond)
	healFrom := time.Now()
	tl, ids := g.finish(pub, expect{mayFailAs: hangs}, 60*time.Second)
	g.checkDups()
	// The events of the answering target were not held back by the
	// hanging one.
	var lat []time.Duration
	for id, at := range ids {
		if o := tl.byID[id]; o != nil && hangs[id] == "" {
			lat = append(lat, o.completed.Sub(at))
		}
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	p99 := time.Duration(0)
	if len(lat) > 0 {
		p99 = lat[len(lat)*99/100]
	}
	if p99 > 3*time.Second {
		t.Errorf("p99 stored->Result of the events of the answering target %s, want under 3s", p99)
	}
	for key, k := range hang.executions() {
		if k > 3 {
			t.Errorf("%s sent %d times to the hanging target, retry.max_attempts is 3", key, k)
		}
	}
	g.r.heal = tl.healedBy(ids, healFrom)
	g.r.note = fmt.Sprintf("1 worker; 1 in 5 events (another bot's) to a target that hangs for 6s (timeout 1s, 3 attempts; %d requests to it); p99 stored->Result of the others %s", hang.requests(), p99.Round(time.Millisecond))
}

// eventWith is a valid event of bot with the given inline webhook.
func eventWith(id, botID string, def *webhook.Definition) msg {
	ev := &trigger.Event{ID: id, BotID: botID, ConversationID: "conv-" + id, Webhook: def}
	data, err := json.Marshal(ev)
	if err != nil {
		panic(err)
	}
	return msg{id: id, subject: trigger.FiredSubject(trigger.DefaultFiredPrefix, botID), data: data}
}

// TestChaosPoisonEvents: among ordinary events, events that are not
// JSON, nested too deep, with a template that fails to render (a short
// one and a 3.5 KB one), and a valid 700 KB event whose target refuses
// it (its dead letter would exceed max_payload). Each poison event ends
// failed with its true class and a dead letter; the others succeed.
func TestChaosPoisonEvents(t *testing.T) {
	t.Parallel()
	nd := startNATS(t, natsOptions{})
	g := newRig(t, nd.url(), 1, 5*time.Millisecond)
	refuse := httptest.NewServer(nil) // 404 to everything: a final http_status failure
	t.Cleanup(refuse.Close)
	g.worker("w1")
	n := scale(300)
	var msgs []msg
	want := map[string]string{}
	const poisonBot = "poison-bot"
	var texts []string
	for i := range n {
		id := fmt.Sprintf("poison-%05d", i)
		switch i % 50 {
		case 10: // not JSON
			tok := fmt.Sprintf("not-json-%d", i)
			texts = append(texts, tok)
			msgs = append(msgs, msg{id: tok, subject: trigger.FiredSubject(trigger.DefaultFiredPrefix, poisonBot), data: []byte(`{"id": "` + tok + `", broken`)})
			continue
		case 20: // nested past the decoder's 32 levels
			deep := strings.Repeat(`{"a":`, 40) + "1" + strings.Repeat("}", 40)
			msgs = append(msgs, msg{id: id, subject: trigger.FiredSubject(trigger.DefaultFiredPrefix, bot),
				data: []byte(fmt.Sprintf(`{"id": %q, "bot_id": %q, "conversation_id": "c", "webhook": {"url": %q}, "cvars": {"deep": %s}}`, id, bot, g.tg.url(), deep))})
			want[id] = string(trigger.ClassInvalidEvent)
		case 30: // a template that fails when rendered
			msgs = append(msgs, eventWith(id, bot, &webhook.Definition{URL: g.tg.url(), Method: "POST", Body: `{"x": {{ 1 % 0 }}}`}))
			want[id] = string(trigger.ClassRender)
		case 40: // a 3.5 KB template that fails when rendered
			body := `{"pad": "` + strings.Repeat("x", 3500) + `", "x": {{ missing.field }}}`
			msgs = append(msgs, eventWith(id, bot, &webhook.Definition{URL: g.tg.url(), Method: "POST", Body: body}))
			want[id] = string(trigger.ClassRender)
		case 45: // a valid 700 KB event, refused by its target
			ev := &trigger.Event{ID: id, BotID: bot, ConversationID: "c-" + id,
				CVars:   map[string]any{"big": strings.Repeat("y", 700<<10)},
				Webhook: &webhook.Definition{URL: refuse.URL + "/nope", Method: "POST", Body: `{"big": {{ big | tojson }}}`}}
			data, err := json.Marshal(ev)
			if err != nil {
				t.Fatal(err)
			}
			msgs = append(msgs, msg{id: id, subject: trigger.FiredSubject(trigger.DefaultFiredPrefix, bot), data: data})
			want[id] = string(trigger.ClassHTTPStatus)
		default:
			msgs = append(msgs, okEvent(id, g.tg.url()))
		}
	}
	pub := publish(t, g.c, msgs, 100)
	pub.wait(t, 60*time.Second)
	// The events that are not JSON are accounted by their bot: each
	// needs its dead letter and its failed Result on that bot's subject.
	ids := pub.storedAt()
	for _, tok := range texts {
		delete(ids, tok)
	}
	tl := settle(t, g.c, len(ids)+len(texts), 60*time.Second)
	g.r.events = len(ids) + len(texts)
	g.r.succeeded, g.r.dead, g.r.lost = tl.account(t, ids, expect{failClass: want})
	if got := tl.resultsOf[poisonBot]; got != len(texts) {
		t.Errorf("%d failed Results on %s.%s for %d events that are not JSON, want one each", got, trigger.DefaultResultPrefix, poisonBot, len(texts))
		g.r.lost += max(0, len(texts)-got)
	}
	letters := 0
	for _, tok := range texts {
		for _, txt := range tl.texts {
			if strings.Contains(txt, tok) {
				letters++
				break
			}
		}
	}
	if letters != len(texts) {
		t.Errorf("%d dead letters for %d events that are not JSON", letters, len(texts))
	}
	g.r.dead += letters
	for id, class := range want {
		if class == string(trigger.ClassHTTPStatus) {
			if o := tl.byID[id]; o != nil && o.letters > 0 && !o.trimmed {
				t.Errorf("%s: the dead letter of a 700 KB event is not marked trimmed", id)
			}
		}
	}
	g.r.dups, _ = duplicates(g.tg)
	g.checkDups()
	if k := refuse.Config; k == nil {
		t.Fatal("unreachable")
	}
	checkHealthy(t, g.ws...)
	g.r.note = fmt.Sprintf("%d not JSON, %d too deep, %d render failures (short and 3.5 KB), %d of 700 KB refused by the target", len(texts), n/50, 2*(n/50), n/50)
}

// renderFailing is a definition whose body fails to render.
func renderFailing(url string) *webhook.Definition {
	return &webhook.Definition{URL: url, Method: "POST", Body: `{"x": {{ 1 % 0 }}}`}
}
