package console

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"
	"time"
)

// FuzzTestPageFields: the Test page's editor fields (a definition in YAML
// or JSON, CVars and context as JSON objects) read any text into JSON or
// an error, never a panic; what they accept is valid JSON (a definition:
// an object), so the service API gets what the page promised.
func FuzzTestPageFields(f *testing.F) {
	for _, s := range []string{
		sampleWebhook,
		`{"id":"w","url":"https://a.example/{{ x }}"}`,
		"a: &a [1,2]\nb: &b [*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b]\nd: [*c,*c,*c,*c]\n",
		"? [1, 2]\n: x\n",
		"url: {1: 2}\n",
		"- 1\n- 2\n",
		strings.Repeat("[", 5000),
		"{", "", "null", "  \n", "url: !!binary aGVsbG8=\n",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		if len(text) > maxField {
			return
		}
		if def, err := definitionJSON(text); err == nil {
			var m map[string]json.RawMessage
			if json.Unmarshal(def, &m) != nil {
				t.Fatalf("definition %q read as %s, not a JSON object", text, def)
			}
		} else if err.Error() == "" {
			t.Fatalf("definition %q: an empty error", text)
		}
		if obj, err := objectJSON(text); err == nil && obj != nil {
			var m map[string]json.RawMessage
			if json.Unmarshal(obj, &m) != nil {
				t.Fatalf("object %q accepted, not a JSON object", text)
			}
		}
	})
}

// FuzzFilterForm: the dead-letter filter's query string reads into the
// API's filter or an error naming since or until; accepted times are RFC
// 3339 that the API reads back.
func FuzzFilterForm(f *testing.F) {
	for _, s := range []string{"bot=a&class=http&since=2h&until=2026-03-01T12:00:00Z", "since=7d", "since=-2h",
		"until=99999d", "since=1e9h", "event=%00&webhook=x", "since=2026-13-01T00:00:00Z"} {
		f.Add(s)
	}
	now := time.Date(2026, 12, 3, 7, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, q string) {
		v, err := url.ParseQuery(q)
		if err != nil {
			return
		}
		ff := formFilter(v)
		out, err := ff.filter(now)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "since: ") && !strings.HasPrefix(err.Error(), "until: ") {
				t.Fatalf("filter %q: error %q names neither since nor until", q, err)
			}
			return
		}
		for _, s := range []string{out.Since, out.Until} {
			if s == "" {
				continue
			}
			if _, err := time.Parse(time.RFC3339Nano, s); err != nil {
				t.Fatalf("filter %q gave %q, which the API refuses: %v", q, s, err)
			}
		}
		if back := formFilter(mustQuery(t, ff.query())); back != ff {
			t.Fatalf("filter %q: query %q reads back as %+v, not %+v", q, ff.query(), back, ff)
		}
	})
}

func mustQuery(t *testing.T, q string) url.Values {
	t.Helper()
	v, err := url.ParseQuery(q)
	if err != nil {
		t.Fatalf("query %q: %v", q, err)
	}
	return v
}
