package api_test

import (
	"testing"

	"github.com/hookworker/hookworker/internal/api"
)

// TestValidate: a sound definition is valid; a definition with several
// templates that do not compile lists each with its field; a shape error
// (unknown field, bad method, missing url) is reported with its field.
func TestValidate(t *testing.T) {
	f := newFixture(t, nil)
	tests := []struct {
		name    string
		webhook string
		want    []api.FieldError
	}{
		{"sound", `{"url":"https://x.example/{{ id }}","cvars":[{"name":"s","mapper":"{{ a.b }}"}]}`, nil},
		{"every template that does not compile", `{"url":"https://x.example/{{ id","headers":{"X-A":"{% if %}"},"cvars":[{"name":"s","mapper":"{{ a. }}"}]}`,
			[]api.FieldError{{Field: "url"}, {Field: "headers.X-A"}, {Field: "cvars[0].mapper"}}},
		{"unknown field", `{"url":"https://x.example/","verb":"GET"}`, []api.FieldError{{Field: "verb"}}},
		{"bad method", `{"url":"https://x.example/","method":"FETCH"}`, []api.FieldError{{Field: "method"}}},
		{"no url", `{"method":"GET"}`, []api.FieldError{{Field: "url"}}},
		{"unknown template", `{"uses":"no-such-template"}`, []api.FieldError{{Field: "uses"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var r api.ValidateReply
			call(t, f.nc, api.SubjectValidate, map[string]any{"webhook": mustJSON(t, rawJSON(tt.webhook))}, &r)
			if r.Valid != (len(tt.want) == 0) || len(r.Errors) != len(tt.want) {
				t.Fatalf("valid %v, errors %+v; want %+v", r.Valid, r.Errors, tt.want)
			}
			for i, w := range tt.want {
				if r.Errors[i].Field != w.Field || r.Errors[i].Message == "" {
					t.Errorf("error %d: %+v, want field %q with a message", i, r.Errors[i], w.Field)
				}
			}
		})
	}
	callError(t, f.nc, api.SubjectValidate, []byte(`{}`), 400, "webhook")
	callError(t, f.nc, api.SubjectValidate, []byte(`{"webhook":{"url":"https://x.example/"},"strict":true}`), 400, "strict")
}

// rawJSON is JSON text that marshals as itself.
type rawJSON string

func (r rawJSON) MarshalJSON() ([]byte, error) { return []byte(r), nil }
