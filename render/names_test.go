package render

import (
	"reflect"
	"testing"
)

func TestNames(t *testing.T) {
	e := NewEnv(Limits{})
	tests := []struct {
		src  string
		want []string
	}{
		{"static", nil},
		{"{{ ticket.status }}", []string{"ticket"}},
		{"{{ a.b | default(c) }} and {{ d['x'] ~ e }}", []string{"a", "c", "d", "e"}},
		{"{% for it in order['items'] %}{{ it.name }}{% endfor %}", []string{"it", "order"}},
		{"{{ 'yes' if flag else response.text }}", []string{"flag", "response"}},
		{"{% if x > 1 %}{{ y }}{% else %}{{ z | upper }}{% endif %}", []string{"x", "y", "z"}},
	}
	for _, tt := range tests {
		tpl, err := e.Compile(tt.src)
		if err != nil {
			t.Fatal(err)
		}
		if got := tpl.Names(); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Names(%q) = %v, want %v", tt.src, got, tt.want)
		}
	}
}
