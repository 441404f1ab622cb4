package render

import (
	"bytes"
	"encoding/json"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/hookworker/hookworker/trigger"
	"github.com/hookworker/hookworker/trigger/webhook"
)

// fuzzLimits keep every fuzz input cheap.
var fuzzLimits = Limits{MaxTemplateSize: 4 << 10, MaxOutput: 64 << 10, MaxMemory: 4 << 20, MaxSteps: 100_000, MaxCacheEntries: 256}

// jinjaNewlines normalises newlines as Jinja2 does.
var jinjaNewlines = strings.NewReplacer("\r\n", "\n", "\r", "\n")

// fuzzTimeout bounds one fuzz input: a render that runs longer hangs.
const fuzzTimeout = 10 * time.Second

// withTimeout runs fn, failing the test if it has not returned in
// fuzzTimeout.
func withTimeout(t *testing.T, what string, fn func()) {
	t.Helper()
	done := make(chan struct{})
	go func() {
		defer close(done)
		fn()
	}()
	select {
	case <-done:
	case <-time.After(fuzzTimeout):
		t.Fatalf("%s did not return in %v", what, fuzzTimeout)
	}
}

// fuzzVars decodes data as event cvars are decoded, or returns nil when it
// is not a JSON object.
func fuzzVars(data []byte) map[string]any {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var m map[string]any
	if dec.Decode(&m) != nil {
		return nil
	}
	return m
}

// checkPlainError checks that err is an ordinary, printable error.
func checkPlainError(t *testing.T, err error) {
	t.Helper()
	msg := err.Error()
	if msg == "" {
		t.Fatalf("error %T with an empty message", err)
	}
	if len(msg) > 1<<20 {
		t.Fatalf("error message of %d bytes", len(msg))
	}
}

// FuzzRender compiles src in a small-limit Env and renders it over cvars:
// it must never panic or hang, errors must be ordinary errors, and output
// must respect the limit. Seeds are in testdata/fuzz/FuzzRender.
func FuzzRender(f *testing.F) {
	f.Add("Hello {{ name }}!", []byte(`{"name":"Ann"}`))
	e := NewEnv(fuzzLimits)
	f.Fuzz(func(t *testing.T, src string, cvarsJSON []byte) {
		vars := fuzzVars(cvarsJSON)
		var (
			tpl, again   *Template
			out          string
			cerr, rerr   error
			againErr     error
			compiledOnce bool
		)
		withTimeout(t, "compile and render", func() {
			if tpl, cerr = e.Compile(src); cerr != nil {
				return
			}
			compiledOnce = true
			again, againErr = e.Compile(src)
			out, rerr = tpl.Render(vars)
		})
		if cerr != nil {
			checkPlainError(t, cerr)
			if tpl != nil {
				t.Error("Compile returned a template with its error")
			}
			if len(src) <= fuzzLimits.MaxTemplateSize && !strings.Contains(src, "{") {
				t.Errorf("a template without '{' failed to compile: %v", cerr)
			}
			return
		}
		if !compiledOnce || againErr != nil || again.Jinja() != tpl.Jinja() {
			t.Errorf("second Compile: %v; want the cached template", againErr)
		}
		if rerr != nil {
			checkPlainError(t, rerr)
			if out != "" {
				t.Error("Render returned output with its error")
			}
			return
		}
		if len(out) > fuzzLimits.MaxOutput {
			t.Errorf("output of %d bytes, over MaxOutput %d", len(out), fuzzLimits.MaxOutput)
		}
		if want := strings.TrimSuffix(jinjaNewlines.Replace(src), "\n"); tpl.Static() && out != want {
			t.Errorf("static template rendered %q", out)
		}
	})
}

// FuzzRenderRequest renders a definition with a fuzzed URL, body and
// header value (used as the Content-Type and as X-Fuzz): it must never
// panic or hang, errors must be *Error, and a request that renders must be
// sendable: an absolute http(s) URL carrying the query, header values
// without CR or LF, and a JSON body wherever the content type says JSON.
// Seeds are in testdata/fuzz/FuzzRenderRequest.
func FuzzRenderRequest(f *testing.F) {
	f.Add("https://api.example.com/users/{{ id }}", `{"name": {{ name | tojson }}}`, "application/json")
	e := NewEnv(fuzzLimits)
	secrets := Secrets{"TOKEN": "tok-123"}
	ev := &trigger.Event{ID: "evt-1", BotID: "bot-1", ConversationID: "conv-1",
		CVars: map[string]any{"id": int64(42), "name": fuzzName, "vip": true, "ratio": 4.5, "tags": []any{"a", "b"}}}
	f.Fuzz(func(t *testing.T, rawURL, body, header string) {
		def := &webhook.Definition{
			ID:      "fuzz",
			Method:  "POST",
			URL:     rawURL,
			Query:   map[string]string{"q": "{{ name }}"},
			Headers: map[string]string{"Content-Type": header, "X-Fuzz": header},
			Body:    body,
			Auth:    &webhook.Auth{Type: webhook.AuthBearer, Token: "{{ secrets.TOKEN }}"},
		}
		var (
			req  *Request
			cerr error
			rerr error
		)
		withTimeout(t, "CompileWebhook and Render", func() {
			w, err := e.CompileWebhook(def)
			if err != nil {
				cerr = err
				return
			}
			req, rerr = w.Render(RequestVars(ev, Scope{Secrets: secrets}))
		})
		switch {
		case cerr != nil:
			checkRequestError(t, cerr)
		case rerr != nil:
			checkRequestError(t, rerr)
			if req != nil {
				t.Error("Render returned a request with its error")
			}
		default:
			checkFuzzRequest(t, req)
		}
	})
}

// fuzzName is the value of the query parameter q in FuzzRenderRequest.
const fuzzName = "Ann é\"<"

func checkRequestError(t *testing.T, err error) {
	t.Helper()
	checkPlainError(t, err)
	re, ok := err.(*Error)
	if !ok {
		t.Fatalf("error %T %v is not a *render.Error", err, err)
	}
	if re.Field == "" || re.Webhook != "fuzz" || !strings.Contains(err.Error(), `webhook "fuzz"`) {
		t.Errorf("error does not name the webhook and field: %v", err)
	}
	if strings.Contains(err.Error(), "tok-123") {
		t.Errorf("error holds the secret: %v", err)
	}
}

func checkFuzzRequest(t *testing.T, req *Request) {
	t.Helper()
	if req.Method != "POST" {
		t.Errorf("method %q", req.Method)
	}
	u, err := url.Parse(req.URL)
	if err != nil {
		t.Fatalf("rendered URL %q does not parse: %v", req.URL, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" || u.Hostname() == "" {
		t.Fatalf("rendered URL %q is not an absolute http(s) URL", req.URL)
	}
	if len(req.URL) > MaxURLLength {
		t.Errorf("URL of %d bytes", len(req.URL))
	}
	// The query parameter arrives as a parameter, not in the host, path
	// or fragment.
	if q, err := url.ParseQuery(u.RawQuery); err == nil {
		found := false
		for _, v := range q["q"] {
			found = found || v == fuzzName
		}
		if !found {
			t.Errorf("URL %q lost the query parameter q", req.URL)
		}
	}
	if u.Fragment != "" {
		t.Errorf("URL %q keeps a fragment after the query", req.URL)
	}
	for k, vs := range req.Header {
		for _, v := range vs {
			if strings.ContainsAny(v, "\r\n\x00") {
				t.Errorf("header %s value %q holds CR, LF or NUL", k, v)
			}
		}
	}
	if got := req.Header.Get("Authorization"); got != "Bearer tok-123" {
		t.Errorf("Authorization = %q", got)
	}
	ct := req.Header.Get("Content-Type")
	if len(req.Body) > 0 {
		if ct == "" {
			t.Error("body without Content-Type")
		}
		if receiverSeesJSON(ct) && !json.Valid(req.Body) {
			t.Errorf("Content-Type %q with a body that is not JSON: %q", ct, req.Body)
		}
	}
	red := req.Redacted()
	dump := red.URL + string(red.Body) + strings.Join(red.Header.Values("X-Fuzz"), "") + red.Header.Get("Authorization")
	if strings.Contains(dump, "tok-123") {
		t.Errorf("redacted request holds the secret: %s", dump)
	}
}

// receiverSeesJSON is how a lenient receiver reads a content type: the
// media type before any parameter, case-insensitive.
func receiverSeesJSON(ct string) bool {
	mt, _, _ := strings.Cut(ct, ";")
	mt = strings.ToLower(strings.TrimSpace(mt))
	return mt == "application/json" || strings.HasSuffix(mt, "+json")
}
