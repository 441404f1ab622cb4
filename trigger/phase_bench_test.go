package trigger_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hookworker/hookworker/trigger"
)

// presetEvent is the event of a hookworker bench preset
// (render/testdata/bench/<name>.json) as the worker receives it.
func presetEvent(b *testing.B, name string) []byte {
	b.Helper()
	data, err := os.ReadFile(filepath.Join("..", "render", "testdata", "bench", name+".json"))
	if err != nil {
		b.Fatal(err)
	}
	var f struct {
		Event json.RawMessage `json:"event"`
	}
	if err := json.Unmarshal(data, &f); err != nil {
		b.Fatal(err)
	}
	compact, err := json.Marshal(f.Event) // one line, as an engine sends it
	if err != nil {
		b.Fatal(err)
	}
	return compact
}

// BenchmarkDecodePreset is the decode phase on the bench's events, with
// the worker's definition cache: Decode, and DecodeLazy (the worker's,
// cvars and context left as text).
func BenchmarkDecodePreset(b *testing.B) {
	for _, name := range []string{"realistic", "heavy"} {
		for _, lazy := range []bool{false, true} {
			decode := (*trigger.Decoder).Decode
			if lazy {
				name, decode = name+"/lazy", (*trigger.Decoder).DecodeLazy
			}
			b.Run(name, func(b *testing.B) {
				data := presetEvent(b, strings.TrimSuffix(name, "/lazy"))
				dec := trigger.NewDecoder(100)
				if _, err := decode(dec, data); err != nil {
					b.Fatal(err)
				}
				b.SetBytes(int64(len(data)))
				b.ReportAllocs()
				for b.Loop() {
					if _, err := decode(dec, data); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// BenchmarkResultEncodePreset is the Result phase's encoding of the
// realistic event's Result.
func BenchmarkResultEncodePreset(b *testing.B) {
	res := trigger.Result{
		EventID: "evt-7f3c2a91-bench", BotID: "bot-acme", ConversationID: "conv-5521-9f1e", ConnectionID: "conn-create-ticket",
		WebhookID: "zendesk-create-ticket", Status: trigger.StatusSucceeded,
		CVars:    map[string]any{"ticket_status": "open", "ticket_id": int64(35436)},
		Unmapped: []string{}, HTTPStatus: 201, Attempts: 1, DurationMS: 1.234, CompletedAt: time.Now(),
	}
	buf := make([]byte, 0, 512)
	b.ReportAllocs()
	for b.Loop() {
		var err error
		if buf, err = res.AppendJSON(buf[:0]); err != nil {
			b.Fatal(err)
		}
	}
}
