package render

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/url"
	"reflect"
	"strings"
	"testing"

	"github.com/hookworker/hookworker/trigger"
	"github.com/hookworker/hookworker/trigger/webhook"
)

// A secret is masked in every form a target can echo it in: verbatim,
// URL-escaped, JSON-escaped and base64-encoded at any offset and in
// either alphabet, inside longer text.
func TestRedactEchoedForms(t *testing.T) {
	const secret = "tok/en+Ünï'<>&-0123456789"
	red := NewRedactor([]string{secret})
	jsonQuoted, _ := json.Marshal(secret)
	forms := map[string]string{
		"verbatim":     secret,
		"query":        url.QueryEscape(secret),
		"path":         url.PathEscape(secret),
		"json":         string(jsonQuoted[1 : len(jsonQuoted)-1]),
		"jinja tojson": asciiJSON(string(jsonQuoted[1 : len(jsonQuoted)-1])),
	}
	for pre := range 3 {
		for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding, base64.RawStdEncoding} {
			prefix := strings.Repeat("u", pre) + "ser:"
			forms["base64 "+prefix] = enc.EncodeToString([]byte(prefix + secret + ":trailing"))
		}
	}
	for name, form := range forms {
		text := `{"echo": "before ` + form + ` after"}`
		got := red.Redact(text)
		if strings.Contains(got, form) {
			t.Errorf("%s: not masked: %s", name, got)
		}
		if !strings.Contains(got, Mask) {
			t.Errorf("%s: no mask in %s", name, got)
		}
	}
}

// Short secrets are masked verbatim but their shifted base64 forms, too
// short to tell from ordinary text, are not looked for.
func TestBase64FormsOfShortSecrets(t *testing.T) {
	if f := base64Forms("abc"); len(f) != 0 {
		t.Errorf("forms of a 3-byte secret: %q", f)
	}
	for _, f := range base64Forms("abcdef") {
		if len(f) < MinMaskedLen {
			t.Errorf("form %q shorter than MinMaskedLen", f)
		}
	}
}

// Value masks a CVar built from an echoed secret, however deep and in
// whatever part (keys, numbers), and leaves values without one as they
// are (the same map, not a copy).
func TestRedactValue(t *testing.T) {
	red := NewRedactor([]string{"s3cr3t-token", "987654321"})
	in := map[string]any{
		"headers":      map[string]any{"authorization": []any{"Bearer s3cr3t-token"}, "x": "y"},
		"echo":         base64.StdEncoding.EncodeToString([]byte("user:s3cr3t-token")),
		"pin":          json.Number("987654321"),
		"pinint":       int64(987654321),
		"s3cr3t-token": "as a key",
		"fine":         []any{"a", 1.5, true, nil},
	}
	got := red.Value(in).(map[string]any)
	want := map[string]any{
		"headers": map[string]any{"authorization": []any{"Bearer " + Mask}, "x": "y"},
		"echo":    got["echo"],
		"pin":     Mask,
		"pinint":  Mask,
		Mask:      "as a key",
		"fine":    []any{"a", 1.5, true, nil},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got  %v\nwant %v", got, want)
	}
	if e := got["echo"].(string); strings.Contains(e, base64.StdEncoding.EncodeToString([]byte("s3cr3t-token"))[:8]) || !strings.Contains(e, Mask) {
		t.Errorf("echo %q", e)
	}
	if in["pin"] != json.Number("987654321") {
		t.Error("Value changed its argument")
	}
	clean := map[string]any{"a": []any{"b"}}
	if out := red.Value(clean).(map[string]any); reflect.ValueOf(out).Pointer() != reflect.ValueOf(clean).Pointer() {
		t.Error("a value without secrets was copied")
	}
	if (*Redactor)(nil).Value("x") != "x" || NewRedactor(nil).Value("s3cr3t-token") != "s3cr3t-token" {
		t.Error("no redactor must change nothing")
	}
}

// A Basic credential, a bearer token and an api_key value are masked as
// the credential sent, whatever they were rendered from (a secret, or a
// literal).
func TestCredentialsAreSecrets(t *testing.T) {
	env := NewEnv(Limits{})
	for _, a := range []*webhook.Auth{
		{Type: webhook.AuthBasic, Username: "{{ secrets.USER }}", Password: "literal-password"},
		{Type: webhook.AuthBearer, Token: "literal-bearer-token"},
		{Type: webhook.AuthAPIKey, In: "header", Name: "X-Api-Key", Value: "literal-api-key"},
	} {
		w, err := env.CompileWebhook(&webhook.Definition{URL: "https://api.example/x", Auth: a})
		if err != nil {
			t.Fatal(err)
		}
		req, err := w.Render(RequestVars(&trigger.Event{ID: "e", BotID: "b", ConversationID: "c"}, Scope{Secrets: Secrets{"USER": "agent"}}))
		if err != nil {
			t.Fatal(err)
		}
		red := NewRedactor(req.Secrets)
		for _, vs := range req.Header {
			for _, v := range vs {
				if _, cred, _ := strings.Cut(v, " "); v != "" && strings.Contains(red.Redact(v), strings.TrimSpace(cred)) && cred != "" {
					t.Errorf("%s: header value %q not masked: %q", a.Type, v, red.Redact(v))
				}
			}
		}
		if got := red.Redact(req.Header.Get("X-Api-Key")); req.Header.Get("X-Api-Key") != "" && got != Mask {
			t.Errorf("api key masked as %q", got)
		}
	}
}

// Hop-by-hop and proxy headers cannot be set by a definition: a render
// error naming the header, before any request.
func TestHopByHopHeadersRefused(t *testing.T) {
	env := NewEnv(Limits{})
	for _, h := range []string{"Connection", "upgrade", "TE", "Expect", "Keep-Alive", "Proxy-Authorization", "Proxy-Connection", "Transfer-Encoding", "Trailer", "Host", "Content-Length"} {
		_, err := env.CompileWebhook(&webhook.Definition{URL: "https://x/", Headers: map[string]string{h: "v"}})
		var re *Error
		if !errors.As(err, &re) || re.Field != "headers."+h || !strings.Contains(err.Error(), "hop-by-hop") {
			t.Errorf("header %s: %v", h, err)
		}
	}
	_, err := env.CompileWebhook(&webhook.Definition{URL: "https://x/", Auth: &webhook.Auth{Type: webhook.AuthAPIKey, In: "header", Name: "Upgrade", Value: "v"}})
	if err == nil || !strings.Contains(err.Error(), "auth.name") {
		t.Errorf("api_key header Upgrade: %v", err)
	}
	for _, h := range []string{"X-Api-Key", "Accept", "Content-Type", "Authorization", "Idempotency-Key"} {
		if _, err := env.CompileWebhook(&webhook.Definition{URL: "https://x/", Headers: map[string]string{h: "v"}}); err != nil {
			t.Errorf("header %s refused: %v", h, err)
		}
	}
}
