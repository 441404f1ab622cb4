package contracttest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/hookworker/hookworker/trigger"
	"github.com/hookworker/hookworker/trigger/webhook"
)

// The differential tests give every document of a corpus to the JSON
// Schema (docs/schema) and to the Go decoder and require the same verdict.
// The corpus is hand-written edge cases plus documents generated from a
// few valid bases: every member deleted, every value replaced by values of
// every JSON type and by boundary values, an unknown key added to every
// object, every key written in another case.
//
// A few rules cannot be written in JSON Schema; the decoder alone applies
// them. decoderOnly lists them by the decoder's message: a document the
// schema accepts and the decoder refuses for one of these reasons is
// expected (and counted); every other disagreement fails the test. These
// rules are also in docs/schema/README.md.
var decoderOnly = []struct {
	rule string
	msg  *regexp.Regexp
}{
	{"a string duration's magnitude (timeout at most 5m; no overflow)", regexp.MustCompile(`(is outside 0\.\.5m0s|duration ".*": want a form such as)`)},
	{"two header names that differ only in case", regexp.MustCompile(`name the same header`)},
	{"a CVar mapped twice", regexp.MustCompile(`is mapped twice`)},
	{"the event's size (1 MiB) and nesting (32 levels)", regexp.MustCompile(`over the (1048576-byte )?limit|levels deep`)},
}

func decoderOnlyRule(err error) string {
	for _, r := range decoderOnly {
		if r.msg.MatchString(err.Error()) {
			return r.rule
		}
	}
	return ""
}

// decodeEvent is the event decoder's verdict.
func decodeEvent(doc []byte) error {
	_, err := trigger.Decode(doc)
	return err
}

// decodeDefinition is the definition decoder's verdict: strict decoding,
// then the definition's rules (the templates are compiled later, by the
// worker, and are no part of the shape).
func decodeDefinition(doc []byte) error {
	d, err := webhook.DecodeJSON(doc)
	if err != nil {
		return err
	}
	return d.Validate()
}

// differ runs one corpus through the schema at loc and the decoder.
func differ(t *testing.T, loc string, decode func([]byte) error, corpus []doc) {
	t.Helper()
	var disagree []string
	agreedValid, agreedInvalid := 0, 0
	only := map[string]int{}
	for _, d := range corpus {
		derr := decode(d.json)
		sok, serr := schemaValid(t, loc, d.json)
		switch {
		case (derr == nil) == sok:
			if sok {
				agreedValid++
			} else {
				agreedInvalid++
			}
			if d.want != nil && *d.want != sok {
				t.Errorf("%s: both say valid=%v, want %v\n%s", d.name, sok, *d.want, clip(d.json))
			}
		case sok && decoderOnlyRule(derr) != "" && (d.want == nil || !*d.want):
			only[decoderOnlyRule(derr)]++
		default:
			disagree = append(disagree, fmt.Sprintf("%s:\n  %s\n  decoder: %v\n  schema:  %v", d.name, clip(d.json), derr, oneLine(serr)))
		}
	}
	t.Logf("%s: %d documents, %d valid and %d invalid by both; refused by the decoder alone: %v", loc, len(corpus), agreedValid, agreedInvalid, only)
	if agreedValid < 10 || agreedInvalid < 10 {
		t.Errorf("the corpus has %d valid and %d invalid documents: too few of one kind to compare", agreedValid, agreedInvalid)
	}
	if len(disagree) > 0 {
		t.Errorf("%d of %d documents get different verdicts:\n%s", len(disagree), len(corpus), strings.Join(disagree, "\n"))
	}
}

// doc is one document of a corpus; want, when set, is the verdict both
// must give.
type doc struct {
	name string
	json []byte
	want *bool
}

var (
	yes = ptr(true)
	no  = ptr(false)
)

func ptr(b bool) *bool { return &b }

func clip(b []byte) string {
	if len(b) > 300 {
		return string(b[:300]) + "…"
	}
	return string(b)
}

func oneLine(err error) string {
	if err == nil {
		return "valid"
	}
	s := strings.Join(strings.Fields(err.Error()), " ")
	if len(s) > 300 {
		s = s[:300] + "…"
	}
	return s
}

// parse decodes JSON keeping numbers exact; enc writes it back.
func parse(t *testing.T, s string) any {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("corpus base %q: %v", s, err)
	}
	return v
}

func enc(v any) []byte {
	var b bytes.Buffer
	e := json.NewEncoder(&b)
	e.SetEscapeHTML(false)
	if err := e.Encode(v); err != nil {
		panic(err)
	}
	return bytes.TrimSpace(b.Bytes())
}

// replacements are the values every member is replaced by.
var replacements = []any{
	nil, true, false, json.Number("0"), json.Number("1"), json.Number("-1"), json.Number("1.5"), json.Number("3.0"),
	json.Number("1e2"), json.Number("300"), json.Number("301"), json.Number("18446744073709551616"),
	"", " ", "x", "5s", "-1s", "1h", "2xx", "GET", "a.b", "2026-11-23T19:00:00Z",
	strings.Repeat("é", 128), strings.Repeat("é", 129),
	map[string]any{}, map[string]any{"x": json.Number("1")}, []any{}, []any{"x"}, []any{nil},
}

// step is one step of a path into a document: a key or an index.
type step struct {
	key   string
	index int
}

// paths lists every member and element of v, depth first.
func paths(v any, prefix []step, out *[][]step) {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			p := append(append([]step{}, prefix...), step{key: k, index: -1})
			*out = append(*out, p)
			paths(e, p, out)
		}
	case []any:
		for i, e := range x {
			p := append(append([]step{}, prefix...), step{index: i})
			*out = append(*out, p)
			paths(e, p, out)
		}
	}
}

// at applies fn to the container holding the value at path p in a copy
// of base, and returns the copy.
func at(t *testing.T, base any, p []step, fn func(parent any, s step)) any {
	cp := parse(t, string(enc(base)))
	parent := cp
	for _, s := range p[:len(p)-1] {
		if s.index < 0 {
			parent = parent.(map[string]any)[s.key]
		} else {
			parent = parent.([]any)[s.index]
		}
	}
	fn(parent, p[len(p)-1])
	return cp
}

func pathName(p []step) string {
	var b strings.Builder
	for _, s := range p {
		if s.index < 0 {
			b.WriteString("." + s.key)
		} else {
			b.WriteString("[" + strconv.Itoa(s.index) + "]")
		}
	}
	return b.String()
}

// generate mutates base in every way described above.
func generate(t *testing.T, name, base string) []doc {
	b := parse(t, base)
	out := []doc{{name: name, json: enc(b), want: yes}}
	var ps [][]step
	paths(b, nil, &ps)
	ps = append(ps, nil) // the root, for added keys
	for _, p := range ps {
		pn := name + pathName(p)
		if len(p) > 0 {
			for i, r := range replacements {
				v := at(t, b, p, func(parent any, s step) {
					if s.index < 0 {
						parent.(map[string]any)[s.key] = r
					} else {
						parent.([]any)[s.index] = r
					}
				})
				out = append(out, doc{name: fmt.Sprintf("%s = replacement %d", pn, i), json: enc(v)})
			}
			if last := p[len(p)-1]; last.index < 0 {
				v := at(t, b, p, func(parent any, s step) { delete(parent.(map[string]any), s.key) })
				out = append(out, doc{name: pn + " deleted", json: enc(v)})
				v = at(t, b, p, func(parent any, s step) {
					m := parent.(map[string]any)
					m[strings.ToUpper(s.key[:1])+s.key[1:]] = m[s.key]
					delete(m, s.key)
				})
				out = append(out, doc{name: pn + " in another case", json: enc(v)})
			}
		}
		// An unknown key in the object at p.
		target := b
		if len(p) > 0 {
			target = nil
			v := at(t, b, append(p, step{key: "zz_unknown", index: -1}), func(parent any, s step) {
				if m, ok := parent.(map[string]any); ok {
					m[s.key] = json.Number("1")
					target = m
				}
			})
			if target != nil {
				out = append(out, doc{name: pn + " + unknown key", json: enc(v)})
			}
			continue
		}
		v := parse(t, string(enc(target)))
		v.(map[string]any)["zz_unknown"] = map[string]any{"nested": []any{json.Number("1")}}
		out = append(out, doc{name: name + " + unknown top-level key", json: enc(v)})
	}
	return out
}

// eventBases are valid events the generator starts from.
var eventBases = map[string]string{
	"ref": `{"id":"evt-1","bot_id":"bot-1","conversation_id":"conv-1","webhook_ref":"ticket-lookup"}`,
	"pinned": `{"id":"evt-2","bot_id":"bot-1","conversation_id":"conv-1","webhook_ref":{"id":"ticket-lookup","revision":4},
		"spec_version":"1","reply_to":"_INBOX.abc","fired_at":"2026-11-23T19:00:00Z","expires_at":"2026-11-23T19:05:00+01:00"}`,
	"inline": `{"id":"evt-3","bot_id":"bot-1","conversation_id":"conv-1",
		"connection":{"id":"c-1","module_id":"m-2","scope":"module"},"condition":"userEmail and issue",
		"cvars":{"ticket_id":388,"tags":["a"]},"context":{"language":"en"},
		"webhook":{"id":"w","name":"W","method":"POST","url":"https://x.example/{{ ticket_id }}",
		  "query":{"lang":"{{ conversation.language }}"},"headers":{"X-Trace":"{{ event.id }}"},
		  "body":"{\"q\": {{ ticket_id | tojson }}}","auth":{"type":"basic","username":"u","password":"{{ secrets.P }}"},
		  "timeout":"3s","retry":{"max_attempts":4,"max_age":600,"max_delay":"30s","on":["network","5xx","429"]},
		  "success":["2xx","304"],"signing":{"secrets":["{{ secrets.K }}"]},
		  "cvars":[{"name":"ticket_status","mapper":"{{ ticket.status }}"}],"ordered":false}}`,
	"api_key": `{"id":"evt-4","bot_id":"bot-1","conversation_id":"conv-1",
		"webhook":{"url":"https://x.example/","auth":{"type":"api_key","in":"header","name":"X-Key","value":"{{ secrets.K }}"}}}`,
	"uses": `{"id":"evt-5","bot_id":"bot-1","conversation_id":"conv-1",
		"webhook":{"uses":"generic-json-rest","with":{"base_url":"https://x.example","path":"/a"},"auth":{"type":"bearer","token":"t"}}}`,
}

// eventEdges are hand-written edge cases with the verdict both must give.
func eventEdges() []doc {
	ev := func(extra string) []byte {
		return []byte(`{"id":"evt-1","bot_id":"bot-1","conversation_id":"conv-1","webhook_ref":"w"` + extra + `}`)
	}
	d := []doc{
		{"id of 128 characters", []byte(`{"id":"` + strings.Repeat("é", 128) + `","bot_id":"b","conversation_id":"c","webhook_ref":"w"}`), yes},
		{"id of 129 characters", []byte(`{"id":"` + strings.Repeat("é", 129) + `","bot_id":"b","conversation_id":"c","webhook_ref":"w"}`), no},
		{"id with a tab", []byte(`{"id":"a\tb","bot_id":"b","conversation_id":"c","webhook_ref":"w"}`), no},
		{"id with a C1 control", []byte(`{"id":"a\u0085b","bot_id":"b","conversation_id":"c","webhook_ref":"w"}`), no},
		{"id with invalid UTF-8 (read as U+FFFD)", []byte("{\"id\":\"a\xffb\",\"bot_id\":\"b\",\"conversation_id\":\"c\",\"webhook_ref\":\"w\"}"), yes},
		{"unknown top-level fields", ev(`,"tenant_id":"t","Priority":{"a":1}`), yes},
		{"spec_version 1", ev(`,"spec_version":"1"`), yes},
		{"spec_version 1.2.3", ev(`,"spec_version":"1.2.3"`), yes},
		{"spec_version empty", ev(`,"spec_version":""`), yes},
		{"spec_version 2", ev(`,"spec_version":"2"`), no},
		{"spec_version 01", ev(`,"spec_version":"01"`), no},
		{"spec_version 1.", ev(`,"spec_version":"1."`), no},
		{"spec_version v1", ev(`,"spec_version":"v1"`), no},
		{"spec_version a number", ev(`,"spec_version":1`), no},
		{"reply_to an inbox", ev(`,"reply_to":"_INBOX.x.y"`), yes},
		{"reply_to empty", ev(`,"reply_to":""`), yes},
		{"reply_to with an empty token", ev(`,"reply_to":"a..b"`), no},
		{"reply_to ending in a dot", ev(`,"reply_to":"a."`), no},
		{"reply_to with a wildcard", ev(`,"reply_to":"a.>"`), no},
		{"fired_at with lower-case t and z", ev(`,"fired_at":"2026-11-23t19:00:00z"`), no},
		{"fired_at with a comma fraction", ev(`,"fired_at":"2026-11-23T19:00:00,5Z"`), no},
		{"fired_at at 23:59:59.999", ev(`,"fired_at":"2016-12-31T23:59:59.999+14:00"`), yes},
		{"fired_at with an offset", ev(`,"fired_at":"2026-11-23T19:00:00-05:30"`), yes},
		{"fired_at with a leap second", ev(`,"fired_at":"2016-12-31T23:59:60Z"`), no},
		{"fired_at with a fraction", ev(`,"fired_at":"2026-11-23T19:00:00.123456789Z"`), yes},
		{"fired_at without seconds", ev(`,"fired_at":"2026-11-23T19:00Z"`), no},
		{"fired_at a date", ev(`,"fired_at":"2026-11-23"`), no},
		{"fired_at with hour 24", ev(`,"fired_at":"2026-11-23T24:00:00Z"`), no},
		{"fired_at in February 30", ev(`,"fired_at":"2026-02-30T10:00:00Z"`), no},
		{"both webhook and webhook_ref", ev(`,"webhook":{"url":"https://x/"}`), no},
		{"webhook null beside webhook_ref", ev(`,"webhook":null`), yes},
		{"a key given twice, the last valid", []byte(`{"id":5,"id":"e","bot_id":"b","conversation_id":"c","webhook_ref":"w"}`), nil},
		{"connection scope global", ev(`,"connection":{"scope":"global"}`), yes},
		{"connection scope empty", ev(`,"connection":{"scope":""}`), yes},
		{"connection scope Module", ev(`,"connection":{"scope":"Module"}`), no},
		{"not an object", []byte(`["id"]`), no},
		{"over 1 MiB (decoder only)", ev(`,"cvars":{"blob":"` + strings.Repeat("a", trigger.MaxEventSize) + `"}`), nil},
		{"33 levels deep (decoder only)", ev(`,"cvars":{"a":` + strings.Repeat("[", 31) + strings.Repeat("]", 31) + `}`), nil},
		{"32 levels deep", ev(`,"cvars":{"a":` + strings.Repeat("[", 30) + strings.Repeat("]", 30) + `}`), yes},
		{"null", []byte(`null`), no},
	}
	for _, c := range []string{".", "*", ">", " ", "\\t", "\\r", "\\n", "\\f", "\\u0000"} {
		d = append(d, doc{"bot_id with " + c, []byte(`{"id":"e","bot_id":"a` + c + `b","conversation_id":"c","webhook_ref":"w"}`), no})
	}
	return d
}

// definitionEdges are hand-written edge cases of definitions.
func definitionEdges() []doc {
	def := func(extra string) []byte { return []byte(`{"url":"https://x.example/"` + extra + `}`) }
	d := []doc{
		{"url only", def(""), yes},
		{"url blank", []byte(`{"url":" \t"}`), no},
		{"url of a no-break space", []byte(`{"url":"\u00a0"}`), no},
		{"url missing with uses", []byte(`{"uses":"t"}`), yes},
		{"with without uses", def(`,"with":{"a":1}`), no},
		{"with null without uses", def(`,"with":null`), yes},
		{"method get", def(`,"method":"get"`), yes},
		{"method Patch", def(`,"method":"Patch"`), yes},
		{"method FETCH", def(`,"method":"FETCH"`), no},
		{"method with a long s", def(`,"method":"po\u017ft"`), no},
		{"method empty", def(`,"method":""`), yes},
		{"header name with a space", def(`,"headers":{"X A":"v"}`), no},
		{"header names differing in case", def(`,"headers":{"X-A":"1","x-a":"2"}`), nil},
		{"empty query name", def(`,"query":{"":"v"}`), no},
		{"timeout 300", def(`,"timeout":300`), yes},
		{"timeout 300.5", def(`,"timeout":300.5`), no},
		{"timeout 5m", def(`,"timeout":"5m"`), yes},
		{"timeout 1.s", def(`,"timeout":"1.s"`), yes},
		{"timeout .5s", def(`,"timeout":".5s"`), yes},
		{"timeout 0", def(`,"timeout":"0"`), yes},
		{"timeout +1s", def(`,"timeout":"+1s"`), yes},
		{"timeout -0s", def(`,"timeout":"-0s"`), no},
		{"timeout 1 s", def(`,"timeout":"1 s"`), no},
		{"timeout 1µs and 1μs", def(`,"timeout":"1µs1μs"`), yes},
		{"timeout 6m (decoder only)", def(`,"timeout":"6m"`), nil},
		{"retry on NETWORK", def(`,"retry":{"on":["NETWORK"]}`), no},
		{"retry on 5XX", def(`,"retry":{"on":["5XX"]}`), yes},
		{"retry on +429", def(`,"retry":{"on":["+429"]}`), no},
		{"retry on 0429", def(`,"retry":{"on":["0429"]}`), no},
		{"retry on 600", def(`,"retry":{"on":["600"]}`), no},
		{"retry on ' 429'", def(`,"retry":{"on":[" 429"]}`), no},
		{"success network", def(`,"success":["network"]`), no},
		{"max_attempts 3.0", def(`,"retry":{"max_attempts":3.0}`), yes},
		{"max_attempts 2.5", def(`,"retry":{"max_attempts":2.5}`), no},
		{"max_attempts -1", def(`,"retry":{"max_attempts":-1}`), no},
		{"signing without secrets", def(`,"signing":{}`), no},
		{"signing with no secret", def(`,"signing":{"secrets":[]}`), no},
		{"signing with a blank secret", def(`,"signing":{"secrets":["\u3000"]}`), no},
		{"basic without username", def(`,"auth":{"type":"basic","password":"p"}`), no},
		{"bearer with an empty token", def(`,"auth":{"type":"bearer","token":""}`), no},
		{"api_key in cookie", def(`,"auth":{"type":"api_key","in":"cookie","name":"k","value":"v"}`), no},
		{"api_key in query with any name", def(`,"auth":{"type":"api_key","in":"query","name":"a key","value":"v"}`), yes},
		{"api_key in header with a bad name", def(`,"auth":{"type":"api_key","in":"header","name":"a key","value":"v"}`), no},
		{"auth type oauth", def(`,"auth":{"type":"oauth"}`), no},
		{"auth type null", def(`,"auth":{"type":null}`), no},
		{"auth without type", def(`,"auth":{}`), yes},
		{"a cvar mapped twice (decoder only)", def(`,"cvars":[{"name":"a","mapper":"x"},{"name":"a","mapper":"y"}]`), nil},
		{"a mapping without mapper", def(`,"cvars":[{"name":"a"}]`), no},
	}
	return d
}

func TestEventSchemaAgreesWithDecoder(t *testing.T) {
	corpus := eventEdges()
	for _, name := range sortedKeys(eventBases) {
		corpus = append(corpus, generate(t, "event:"+name, eventBases[name])...)
	}
	differ(t, "event", decodeEvent, corpus)
}

func TestWebhookSchemaAgreesWithDecoder(t *testing.T) {
	corpus := definitionEdges()
	for _, name := range sortedKeys(eventBases) {
		ev := parse(t, eventBases[name]).(map[string]any)
		if w, ok := ev["webhook"]; ok {
			corpus = append(corpus, generate(t, "webhook:"+name, string(enc(w)))...)
		}
	}
	differ(t, "webhook", decodeDefinition, corpus)
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
