package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/hookworker/hookworker/internal/marketplace"
	"github.com/hookworker/hookworker/render"
	"github.com/hookworker/hookworker/trigger/webhook"
)

// The service API reads requests from anyone who may publish on
// hookworker.api.>: the fuzz targets below feed arbitrary bytes through
// the same decoding and handling the endpoints use (without NATS, which
// only carries the bytes) and hold the endpoints to their promises: no
// panic, a bounded time, an error that names a field or says what is
// wrong, and no secret of another bot in any reply.

// otherBotsSecret is bot-a's secret; every fuzzed render is for bot-b,
// which may never see it. It is not in any seed, so a reply can hold it
// only by leaking it.
const otherBotsSecret = "Zq8-other-bots-secret-9fK"

// ownSecret is bot-b's own secret: it may reach the request, masked.
const ownSecret = "own-secret-value-4471"

func fuzzService() *Service {
	secrets := map[string]render.Secrets{
		"bot-a": {"TOKEN": otherBotsSecret},
		"bot-b": {"TOKEN": ownSecret},
	}
	return &Service{
		env: render.NewEnv(render.Limits{MaxCacheEntries: 100}),
		deps: Deps{
			Definitions: func(context.Context, string, uint64) (*webhook.Definition, error) {
				return nil, errors.New("not found")
			},
			Templates: (*marketplace.Marketplace)(nil),
			Secrets: func(bot string) render.SecretSource {
				if s, ok := secrets[bot]; ok {
					return s
				}
				return render.Secrets{}
			},
		},
	}
}

// requestSeeds are requests as engines and the console send them, good
// and bad.
var requestSeeds = []string{
	`{"bot_id":"bot-b","webhook":{"id":"w","method":"POST","url":"https://api.example/{{ order_id }}","headers":{"Authorization":"Bearer {{ secrets.TOKEN }}"},"body":"{\"n\": {{ name | tojson }}}","cvars":[{"name":"status","mapper":"{{ order.status }}"}]},"cvars":{"order_id":"A-1","name":"Ann"},"response":{"status_code":200,"body":{"order":{"status":"open","echo":"x"}}}}`,
	`{"bot_id":"bot-b","webhook":{"id":"w","url":"https://api.example/x","body":"{{ secrets.TOKEN | reverse }}"},"response":{"body":"not json"}}`,
	`{"bot_id":"bot-b","webhook_ref":"orders"}`,
	`{"bot_id":"bot-b","webhook_ref":{"id":"orders","revision":3}}`,
	`{"bot_id":"bot-a.x","webhook":{}}`,
	`{"bot_id":"bot-b","webhook":{"id":"w","url":"{{ [1] | batch(100000000,'x') | first | length }}"}}`,
	`{"bot_id":"bot-b","webhook":{"id":"w","url":"https://a.example/","cvars":[{"name":"b","mapper":"{{ response.body }}"}]},"response":{"status_code":500,"headers":{"X":"y"},"body":[[[[[[1]]]]]]}}`,
	`{"webhook":{"id":"w","url":"https://a.example/"}}`,
	`{"filter":{"bot_id":"bot-b","class":"http","since":"2026-03-01T12:00:00Z","until":"2026-03-02T12:00:00Z"},"limit":10}`,
	`{"filter":{"since":"yesterday"},"limit":-1}`,
	`{"seq":18446744073709551615}`,
	`{"filter":{},"all":true,"dry_run":true,"rate":1e309}`,
	`{"unknown":1}`,
	`[1,2]`,
	`null`,
	``,
	`{"webhook":"{{"}`,
}

// FuzzDecode: every request type reads any bytes into a value or an
// error naming what is wrong; a value it accepts encodes back to JSON.
func FuzzDecode(f *testing.F) {
	for _, s := range requestSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, v := range []any{&RenderRequest{}, &ValidateRequest{}, &DLQListRequest{}, &DLQShowRequest{}, &ReplayRequest{}} {
			e := decode(data, v, "")
			if e != nil {
				if e.Message == "" || e.Code == 0 {
					t.Fatalf("decode %T of %q: an error without a code or a message: %+v", v, data, e)
				}
				continue
			}
			if _, err := json.Marshal(v); err != nil {
				t.Fatalf("decode %T of %q accepted a value that does not encode: %v", v, data, err)
			}
		}
		var r DLQListRequest
		if decode(data, &r, "") == nil {
			if _, e := r.Filter.filter("filter"); e != nil && !strings.HasPrefix(e.Field, "filter") {
				t.Fatalf("filter error names %q, not a field under filter", e.Field)
			}
		}
	})
}

// FuzzRenderAndValidate: any render or validate request for bot-b ends
// within the render budget with a reply or an error, never a panic, and
// neither ever holds bot-a's secret unless the request itself did.
func FuzzRenderAndValidate(f *testing.F) {
	for _, s := range requestSeeds {
		f.Add([]byte(s))
	}
	s := fuzzService()
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > MaxRequestSize {
			return
		}
		var r RenderRequest
		if decode(data, &r, "") == nil {
			r.BotID = "bot-b"
			if present(r.WebhookRef) {
				r.WebhookRef = nil
			}
			start := time.Now()
			reply, e := s.render(&r)
			if d := time.Since(start); d > 10*time.Second {
				t.Fatalf("render of %q took %v", data, d)
			}
			out := mustJSON(t, reply, e)
			if bytes.Contains(out, []byte(otherBotsSecret)) && !bytes.Contains(data, []byte(otherBotsSecret)) {
				t.Fatalf("render for bot-b of %q shows bot-a's secret: %s", data, out)
			}
			if reply != nil && strings.Contains(reply.Request.URL+reply.Request.Body, ownSecret) && !bytes.Contains(data, []byte(ownSecret)) {
				t.Fatalf("render of %q shows bot-b's own secret unmasked: %s", data, out)
			}
		}
		var v ValidateRequest
		if decode(data, &v, "") == nil && present(v.Webhook) {
			out := mustJSON(t, s.validate(v.Webhook), nil)
			if bytes.Contains(out, []byte(otherBotsSecret)) {
				t.Fatalf("validate of %q shows a secret: %s", data, out)
			}
		}
	})
}

func mustJSON(t *testing.T, reply any, e *Error) []byte {
	t.Helper()
	if e != nil {
		if e.Message == "" || e.Code == 0 {
			t.Fatalf("an error without a code or a message: %+v", e)
		}
		reply = e
	}
	out, err := json.Marshal(reply)
	if err != nil {
		t.Fatalf("reply does not encode: %v", err)
	}
	return out
}
