package mapper

import (
	"net/http"
	"testing"

	"github.com/hookworker/hookworker/render"
)

// TestIsBound: a mapper that builds past the memory budget fails with an
// error IsBound recognises (the worker's class render); a mapper that
// fails otherwise does not.
func TestIsBound(t *testing.T) {
	env := render.NewEnv(render.Limits{MaxMemory: 1 << 20})
	resp := &Response{StatusCode: 200, Header: http.Header{}, Body: []byte(`{"n": 2}`)}
	for _, c := range []struct {
		src   string
		bound bool
	}{
		{"{{ ('x' * 100000) * 100000 }}", true},
		{"{{ n / 0 }}", false},
		{"{{ 'Order #' + n }}", false},
	} {
		m, err := Compile(env, maps("v", c.src), Options{})
		if err != nil {
			t.Fatalf("%s: %v", c.src, err)
		}
		_, err = m.Apply(resp, nil, nil)
		if err == nil {
			t.Errorf("%s: no error", c.src)
			continue
		}
		if IsBound(err) != c.bound {
			t.Errorf("%s: %v: IsBound %v, want %v", c.src, err, !c.bound, c.bound)
		}
	}
}
