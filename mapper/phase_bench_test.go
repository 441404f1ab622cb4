package mapper_test

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/hookworker/hookworker/mapper"
	"github.com/hookworker/hookworker/render"
	"github.com/hookworker/hookworker/trigger"
)

// BenchmarkMapPreset is the map phase on the bench's events: their
// mappers over their target's response (render/testdata/bench).
func BenchmarkMapPreset(b *testing.B) {
	for _, name := range []string{"realistic", "heavy"} {
		b.Run(name, func(b *testing.B) {
			data, err := os.ReadFile(filepath.Join("..", "render", "testdata", "bench", name+".json"))
			if err != nil {
				b.Fatal(err)
			}
			var f struct {
				Event    json.RawMessage `json:"event"`
				Response struct {
					Body json.RawMessage `json:"body"`
				} `json:"response"`
				Want struct {
					CVars map[string]any `json:"cvars"`
				} `json:"want"`
			}
			if err := json.Unmarshal(data, &f); err != nil {
				b.Fatal(err)
			}
			ev, err := trigger.Decode(f.Event)
			if err != nil {
				b.Fatal(err)
			}
			m, err := mapper.Compile(render.NewEnv(render.Limits{}), ev.Webhook.CVars, mapper.Options{})
			if err != nil {
				b.Fatal(err)
			}
			ev.CVars, _ = render.Normalize(ev.CVars).(map[string]any)
			conv := render.ConversationVars(ev)
			resp := &mapper.Response{StatusCode: 201, Header: http.Header{"Content-Type": {"application/json"}}, Body: f.Response.Body}
			out, err := m.Apply(resp, ev.CVars, conv)
			if err != nil {
				b.Fatal(err)
			}
			got, _ := json.Marshal(out.CVars)
			var norm map[string]any
			_ = json.Unmarshal(got, &norm)
			if !reflect.DeepEqual(norm, f.Want.CVars) {
				b.Fatalf("cvars %s, want %v", got, f.Want.CVars)
			}
			b.SetBytes(int64(len(resp.Body)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := m.Apply(resp, ev.CVars, conv); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
