package preview

import (
	"slices"
	"strings"
	"testing"

	"github.com/hookworker/hookworker/render"
	"github.com/hookworker/hookworker/trigger"
	"github.com/hookworker/hookworker/trigger/webhook"
)

func TestUndefined(t *testing.T) {
	env := render.NewEnv(render.Limits{})
	tests := []struct {
		name string
		def  webhook.Definition
		want []string // field:name
	}{
		{"a plain variable", webhook.Definition{URL: "https://x/api/orders/{{ order_id }}/lookup"}, []string{"url:order_id"}},
		{"defined ones are not reported", webhook.Definition{URL: "https://x/{{ ticket_id }}/{{ cvars.ticket_id }}/{{ conversation.id }}"}, nil},
		{"one failing render hides no other", webhook.Definition{URL: "https://x/{{ a.b }}/{{ c }}"}, []string{"url:a", "url:c"}},
		{"loop and set variables are the template's own", webhook.Definition{URL: "https://x/",
			Body: `[{% for it in [1,2] %}{{ it }}{% endfor %}{% set z = 3 %}{{ z }}]`}, nil},
		{"a condition's variable", webhook.Definition{URL: "https://x/", Body: `{"x": "{{ 'y' if flag else 'z' }}"}`}, []string{"body:flag"}},
		{"default and is defined expect it", webhook.Definition{URL: "https://x/{{ lang | default('en') }}",
			Headers: map[string]string{"X-A": "{% if region is defined %}{{ region }}{% endif %}", "X-B": "{{ page|d(1) }}"}}, nil},
		{"uses in branches that run only when it is defined", webhook.Definition{URL: "https://x/", Headers: map[string]string{
			"X-A": "{% if region %}{{ region | upper }}{% endif %}",
			"X-B": "{%- if tier is not defined -%}free{%- else -%}{{ tier }}{%- endif %}",
			"X-C": "{% if not plan %}none{% else %}{% if x %}{{ plan }}{% endif %}{% endif %}",
			"X-D": "{% if seg is defined and seg != '' %}{{ seg }}{% elif y %}y{% endif %}",
		}}, nil},
		{"uses a guard does not cover", webhook.Definition{URL: "https://x/", Headers: map[string]string{
			"X-A": "{% if region is defined or force %}{{ region }}{% endif %}",
			"X-B": "{% if tier is defined %}{% endif %}{{ tier }}",
			"X-C": "{% if not plan %}{{ plan }}{% endif %}",
			"X-D": "{% if a is defined %}a{% elif b %}{{ a }}{% endif %}",
			"X-E": "{% if c is defined %}yes{% else %}{{ c }}{% endif %}{{ c }}",
		}}, []string{"headers.X-A:region", "headers.X-B:tier", "headers.X-D:a", "headers.X-E:c"}},
		{"a literal in the text is no use", webhook.Definition{URL: "https://x/", Body: `{"n": {{ n | default(1) }}}`}, nil},
		{"headers, query and auth", webhook.Definition{URL: "https://x/", Query: map[string]string{"q": "{{ q }}"},
			Auth: &webhook.Auth{Type: "bearer", Token: "{{ tok }}"}}, []string{"query.q:q", "auth.token:tok"}},
		{"mappers read the response, not the context", webhook.Definition{URL: "https://x/",
			CVars: []webhook.Mapping{{Name: "s", Mapper: "{{ ticket.status }}"}}}, nil},
	}
	ev := &trigger.Event{ID: "e", BotID: "b", ConversationID: "c", CVars: map[string]any{"ticket_id": "388"}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev.Webhook = &tt.def
			vars := render.RequestVars(ev, render.Scope{Secrets: render.Secrets{}, Attempt: 1})
			var got []string
			for _, w := range Undefined(env, &tt.def, vars) {
				got = append(got, w.Field+":"+w.Name)
				if !strings.Contains(w.Message, w.Name+" is undefined") {
					t.Errorf("message %q", w.Message)
				}
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestForStatus(t *testing.T) {
	plain := &webhook.Definition{URL: "https://x/"}
	custom := &webhook.Definition{URL: "https://x/", Success: []string{"2xx", "404"}, Retry: &webhook.Retry{On: []string{"409"}}}
	tests := []struct {
		def     *webhook.Definition
		status  int
		want    trigger.Status
		retried bool
	}{
		{plain, 200, trigger.StatusSucceeded, false},
		{plain, 204, trigger.StatusSucceeded, false},
		{plain, 404, trigger.StatusFailed, false},
		{plain, 429, trigger.StatusFailed, true},
		{plain, 503, trigger.StatusFailed, true},
		{plain, 301, trigger.StatusFailed, false},
		{custom, 404, trigger.StatusSucceeded, false},
		{custom, 409, trigger.StatusFailed, true},
		{custom, 503, trigger.StatusFailed, false}, // retry.on replaces the defaults
	}
	for _, tt := range tests {
		o := ForStatus(tt.def, tt.status)
		if o.Status != tt.want || o.Retried != tt.retried || !strings.Contains(o.Reason, "") {
			t.Errorf("%v %d: %+v", tt.def.Success, tt.status, o)
		}
		if o.Status == trigger.StatusFailed && o.Class != trigger.ClassHTTPStatus {
			t.Errorf("%d: class %q", tt.status, o.Class)
		}
	}
}
