package mapper

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/hookworker/hookworker/render"
)

// TestApplyReadsOnlyNamedKeys: mappers that name only some top-level keys
// get the same answers as if the whole body were decoded: the other keys
// are still checked (a body that is not JSON, or nests too deeply
// anywhere, is treated as before), only not built.
func TestApplyReadsOnlyNamedKeys(t *testing.T) {
	deep := strings.Repeat("[", MaxBodyDepth+5) + strings.Repeat("]", MaxBodyDepth+5)
	cases := []struct {
		name     string
		body     string
		mapper   string
		want     map[string]any
		unmapped []string
		tooDeep  bool
	}{
		{name: "named key", body: `{"a": {"x": [1, {"y": 2}]}, "ticket": {"id": 7}}`, mapper: "{{ ticket.id }}", want: map[string]any{"v": num("7")}},
		{name: "last duplicate wins", body: `{"ticket": {"id": 1}, "other": [1, 2], "ticket": {"id": 2}}`, mapper: "{{ ticket.id }}", want: map[string]any{"v": num("2")}},
		{name: "invalid JSON in a skipped key", body: `{"a": [1, 2,], "ticket": {"id": 7}}`, mapper: "{{ ticket.id }}", unmapped: []string{"v"}},
		{name: "invalid string escape in a skipped key", body: `{"a": "\x", "ticket": {"id": 7}}`, mapper: "{{ ticket.id }}", unmapped: []string{"v"}},
		{name: "trailing data", body: `{"ticket": {"id": 7}} x`, mapper: "{{ ticket.id }}", unmapped: []string{"v"}},
		{name: "too deep in a skipped key", body: `{"a": ` + deep + `, "ticket": {"id": 7}}`, mapper: "{{ ticket.id }}", tooDeep: true},
		{name: "response sees the whole body", body: `{"a": [1, {"b": 2}], "ticket": {"id": 7}}`, mapper: "{{ response.body.a[1].b }}", want: map[string]any{"v": num("2")}},
		{name: "skipped key shadows nothing", body: `{"cvars": {"x": 1}, "ticket": 3}`, mapper: "{{ ticket }}", want: map[string]any{"v": num("3")}},
		{name: "cvars still read", body: `{"cvars": {"x": 1}}`, mapper: "{{ cvars.name }}", want: map[string]any{"v": "ann"}},
	}
	env := render.NewEnv(render.Limits{})
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out, err := applyOnce(t, env, maps("v", c.mapper), jsonResp(c.body), map[string]any{"name": "ann"}, nil)
			if c.tooDeep {
				if !errors.Is(err, ErrResponseTooDeep) {
					t.Fatalf("err = %v, want ErrResponseTooDeep", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			want := c.want
			if want == nil {
				want = map[string]any{}
			}
			if !reflect.DeepEqual(out.CVars, want) {
				t.Errorf("CVars = %#v, want %#v", out.CVars, want)
			}
			unmapped := c.unmapped
			if unmapped == nil {
				unmapped = []string{}
			}
			if !reflect.DeepEqual(out.Unmapped, unmapped) {
				t.Errorf("Unmapped = %v, want %v", out.Unmapped, unmapped)
			}
		})
	}
}
