package mapper

import (
	"encoding/json"
	"errors"
	"net/http"
	"testing"

	"github.com/hookworker/hookworker/render"
)

// fuzzResponse is the response the fuzzers apply mappers to.
func fuzzResponse(body []byte) *Response {
	return &Response{
		StatusCode: 200,
		Header:     http.Header{"X-A": {"1", "2"}, "Content-Type": {"application/json"}},
		Body:       body,
	}
}

// FuzzApply checks that Compile and Apply never panic, that their errors
// are *Error naming the CVar, and that every Output is JSON-ready with
// each mapper either set or unmapped. Seeds are in testdata/fuzz/FuzzApply.
func FuzzApply(f *testing.F) {
	f.Add([]byte(`{"ticket": {"status": "open", "id": 388}}`), "{{ ticket.status | upper }}")
	f.Add([]byte(`[1, 2]`), "{{ response.body | sum }}")
	f.Add([]byte(`oops`), "{{ response.text }} {{ response.status_code }}")
	env := render.NewEnv(render.Limits{MaxOutput: 64 << 10, MaxSteps: 100_000, MaxMemory: 4 << 20})
	cvars := map[string]any{"plan": "gold", "n": int64(3), "list": []any{int64(1), "a"}}
	conv := map[string]any{"id": "conv-1", "language": "en"}
	f.Fuzz(func(t *testing.T, body []byte, src string) {
		if len(src) > 1024 {
			return // bounded by render.Limits in production; keep runs short
		}
		m, err := Compile(env, maps("v", src), Options{})
		if err != nil {
			requireMapperError(t, err)
			return
		}
		out, err := m.Apply(fuzzResponse(body), cvars, conv)
		if err != nil {
			requireMapperError(t, err)
			return
		}
		_, set := out.CVars["v"]
		if set == (len(out.Unmapped) == 1) || len(out.CVars)+len(out.Unmapped) != 1 {
			t.Fatalf("mapper neither set nor unmapped, or both: %#v", out)
		}
		if _, err := json.Marshal(out); err != nil {
			t.Fatalf("Output is not JSON-ready: %v (%#v)", err, out)
		}
	})
}

func requireMapperError(t *testing.T, err error) {
	t.Helper()
	var me *Error
	if !errors.As(err, &me) || me.CVar != "v" {
		t.Fatalf("error %T %v is not a *mapper.Error naming the CVar", err, err)
	}
}
