package bench

import (
	"bytes"
	"embed"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"reflect"
	"strconv"
	"strings"

	"github.com/tidwall/gjson"

	"github.com/hookworker/hookworker/render"
	"github.com/hookworker/hookworker/trigger"
)

// The presets are copies of render/testdata/bench (a test holds them
// equal): the render and mapper benchmarks run the same events.
//
//go:embed presets/*.json
var presetFS embed.FS

// Presets are the names --preset takes; the first is the default.
var Presets = []string{"realistic", "heavy"}

// maxEventFile bounds an --event file.
const maxEventFile = 1 << 20

// Preset is the event a run fires, the answer its target gives and the
// Result's CVars it must produce.
type Preset struct {
	Name string
	// event is the event's top level with its id, reply_to and webhook
	// URL left to fill per event.
	head, mid1, mid, tail string
	bot                   string
	urlPath               string // the webhook URL after its origin
	status                int
	header                http.Header
	body                  []byte
	want                  map[string]any // nil: any CVars
	// wantCVars is want as the worker writes it (keys sorted, compact):
	// a Result's cvars of these bytes need no decoding.
	wantCVars string
}

// presetFile is the file format of the presets and of --event.
type presetFile struct {
	Event    map[string]json.RawMessage `json:"event"`
	Response struct {
		StatusCode int               `json:"status_code"`
		Headers    map[string]string `json:"headers"`
		Body       json.RawMessage   `json:"body"`
	} `json:"response"`
	Want struct {
		CVars map[string]any `json:"cvars"`
	} `json:"want"`
}

// LoadPreset is one of Presets.
func LoadPreset(name string) (*Preset, error) {
	data, err := presetFS.ReadFile("presets/" + name + ".json")
	if err != nil {
		return nil, fmt.Errorf("preset: %q is not one of %s", name, strings.Join(Presets, ", "))
	}
	return ParsePreset(name, data)
}

// ParsePreset reads a preset file: {"event": an event with an inline
// webhook, "response": {"status_code", "headers", "body"} the target's
// answer, "want": {"cvars"} the Result's CVars (optional)}. The webhook
// URL's scheme and host are replaced by the bench's target; the id and
// reply_to are set per event.
func ParsePreset(name string, data []byte) (*Preset, error) {
	if len(data) > maxEventFile {
		return nil, fmt.Errorf("event file: %d bytes, over %d", len(data), maxEventFile)
	}
	var f presetFile
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("event file: %w", err)
	}
	if f.Event == nil {
		return nil, fmt.Errorf("event file: event: missing")
	}
	ev, err := trigger.Decode(mustJSON(f.Event))
	if err != nil {
		return nil, fmt.Errorf("event file: event: %w", err)
	}
	if ev.Webhook == nil {
		return nil, fmt.Errorf("event file: event.webhook: an inline webhook is needed (the bench has no registry)")
	}
	u, err := url.Parse(strings.SplitN(ev.Webhook.URL, "{{", 2)[0])
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return nil, fmt.Errorf("event file: event.webhook.url: %q does not start with http://host", ev.Webhook.URL)
	}
	p := &Preset{Name: name, bot: ev.BotID, status: f.Response.StatusCode, header: http.Header{}, body: f.Response.Body, want: f.Want.CVars}
	p.urlPath = ev.Webhook.URL[len(u.Scheme+"://"+u.Host):]
	if p.status == 0 {
		p.status = http.StatusOK
	}
	if p.status < 200 || p.status > 599 {
		return nil, fmt.Errorf("event file: response.status_code: %d is not an HTTP status", p.status)
	}
	for k, v := range f.Response.Headers {
		p.header.Set(k, v)
	}
	if p.header.Get("Content-Type") == "" {
		p.header.Set("Content-Type", "application/json")
	}
	p.header.Set("Content-Length", strconv.Itoa(len(p.body)))
	if p.want != nil {
		p.wantCVars = string(mustJSON(p.want)) // map keys sorted
	}
	// The template: placeholders for id, reply_to and the webhook URL's
	// origin, split once so that making an event is three appends.
	var wh map[string]json.RawMessage
	if err := json.Unmarshal(f.Event["webhook"], &wh); err != nil {
		return nil, fmt.Errorf("event file: event.webhook: %w", err)
	}
	const idMark, botMark, replyMark, originMark = "\x01ID\x01", "\x01BOT\x01", "\x01REPLY\x01", "\x01ORIGIN\x01"
	wh["url"] = mustJSON(originMark + p.urlPath)
	f.Event["webhook"] = mustJSON(wh)
	f.Event["id"] = mustJSON(idMark)
	f.Event["bot_id"] = mustJSON(botMark)
	f.Event["reply_to"] = mustJSON(replyMark)
	s := string(mustJSON(f.Event)) // keys sorted: bot_id, ..., id, ..., reply_to, ..., webhook
	// json.Marshal escapes \x01 as \u0001.
	s = strings.ReplaceAll(s, `\u0001`, "\x01")
	var ok1, ok2, ok3 bool
	p.head, s, ok1 = strings.Cut(s, botMark)
	p.mid1, s, ok2 = strings.Cut(s, idMark)
	p.mid, s, ok3 = strings.Cut(s, replyMark)
	if !ok1 || !ok2 || !ok3 || strings.Count(s, originMark) != 1 {
		return nil, fmt.Errorf("event file: event: cannot be templated") // only with odd key order
	}
	p.tail = s
	return p, nil
}

func mustJSON(v any) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		panic(err) // decoded JSON values: cannot fail
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}

// Bot is the preset's bot: its events are fired on the bot's subject.
func (p *Preset) Bot() string { return p.bot }

// event is the event with id, bot_id and reply_to, its webhook calling
// origin.
func (p *Preset) event(id, bot, replyTo, origin string) []byte {
	b := make([]byte, 0, len(p.head)+len(p.mid1)+len(p.mid)+len(p.tail)+len(id)+len(bot)+len(replyTo)+len(origin))
	b = append(b, p.head...)
	b = append(b, bot...)
	b = append(b, p.mid1...)
	b = append(b, id...)
	b = append(b, p.mid...)
	b = append(b, replyTo...)
	tail, rest, _ := strings.Cut(p.tail, "\x01ORIGIN\x01")
	b = append(b, tail...)
	b = append(b, origin...)
	return append(b, rest...)
}

// sentRequest is what the worker sends for an event: the raw HTTP phase
// sends the same.
type sentRequest struct {
	method, url string
	header      http.Header
	body        []byte
}

// renderer renders the requests of one preset's events with the
// worker's engine, the webhook compiled once.
type renderer struct {
	env *render.Env
	wh  *render.Webhook
}

func newRenderer() *renderer { return &renderer{env: render.NewEnv(render.Limits{})} }

// request renders the request of event data.
func (r *renderer) request(data []byte) (sentRequest, error) {
	ev, err := trigger.Decode(data)
	if err != nil {
		return sentRequest{}, err
	}
	ev.CVars, _ = render.Normalize(ev.CVars).(map[string]any)
	ev.Context, _ = render.Normalize(ev.Context).(map[string]any)
	if r.wh == nil {
		if r.wh, err = r.env.CompileWebhook(ev.Webhook); err != nil {
			return sentRequest{}, err
		}
	}
	req, err := r.wh.Render(render.RequestVars(ev, render.Scope{Attempt: 1}))
	if err != nil {
		return sentRequest{}, err
	}
	return sentRequest{method: req.Method, url: req.URL, header: req.Header, body: req.Body}, nil
}

// checkCVars is "" when cvars are the preset's.
func (p *Preset) checkCVars(cvars map[string]any) string {
	if p.want == nil || reflect.DeepEqual(cvars, p.want) {
		return ""
	}
	if len(cvars) == 0 && len(p.want) == 0 {
		return ""
	}
	return fmt.Sprintf("cvars %v, want %v", cvars, p.want)
}

// quickCheck is the event id of a Result that is exactly what the preset
// must give (succeeded, the target's status, the wanted CVars written as
// the worker writes them), read without decoding the Result; ok false
// for anything else, which the caller decodes and checks in full.
func (p *Preset) quickCheck(data []byte) (id string, ok bool) {
	if p.want == nil {
		return "", false
	}
	f := gjson.GetManyBytes(data, "event_id", "status", "http_status", "cvars")
	if f[0].Type != gjson.String || f[1].Str != string(trigger.StatusSucceeded) || f[2].Int() != int64(p.status) ||
		f[3].Raw != p.wantCVars || strings.Contains(f[0].Raw, `\`) {
		return "", false
	}
	return f[0].Str, true
}
