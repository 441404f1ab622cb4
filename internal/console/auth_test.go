package console_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/hookworker/hookworker/internal/console"
)

// TestNoTokenRefused: without the token every page and endpoint is
// refused (pages send to the login form, the rest answer 401); a wrong
// Bearer token or a made-up cookie is refused too; the right Bearer token
// passes.
func TestNoTokenRefused(t *testing.T) {
	st := newStack(t)
	c := httpClient(t)
	for _, path := range []string{"/", "/letters", "/letters/1", "/registry", "/registry/x", "/test", "/replays/abc"} {
		code, h, _ := do(t, c, "GET", st.srv.URL+path, nil, nil)
		must(t, code == http.StatusSeeOther && strings.HasPrefix(h.Get("Location"), "/login?next="), "GET %s without a token: %d %q, want the login form", path, code, h.Get("Location"))
	}
	for _, path := range []string{"/overview.json", "/replays/abc/status"} {
		code, _, body := do(t, c, "GET", st.srv.URL+path, nil, map[string]string{"Accept": "application/json"})
		must(t, code == http.StatusUnauthorized && strings.Contains(body, `"error"`), "GET %s without a token: %d %s", path, code, body)
	}
	for _, path := range []string{"/replays", "/test/preview", "/test", "/logout"} {
		code, _, _ := do(t, c, "POST", st.srv.URL+path, url.Values{"seq": {"1"}}, nil)
		must(t, code == http.StatusUnauthorized, "POST %s without a token: %d, want 401", path, code)
	}
	code, h, _ := do(t, c, "GET", st.srv.URL+"/overview.json", nil, map[string]string{"Authorization": "Bearer wrong-token-wrong-token"})
	must(t, code == http.StatusUnauthorized && h.Get("WWW-Authenticate") != "", "wrong Bearer: %d", code)
	code, _, _ = do(t, c, "GET", st.srv.URL+"/overview.json", nil, map[string]string{"Cookie": "hookworker_session=" + strings.Repeat("a", 64)})
	must(t, code == http.StatusUnauthorized, "made-up cookie: %d", code)
	code, _, body := do(t, c, "GET", st.srv.URL+"/overview.json", nil, map[string]string{"Authorization": "Bearer " + token})
	var o console.Overview
	must(t, code == http.StatusOK && json.Unmarshal([]byte(body), &o) == nil && o.Stream == "CONNECTIONS", "Bearer: %d %s", code, body)

	// A wrong token at the login form: refused, no cookie.
	code, h, body = do(t, c, "POST", st.srv.URL+"/login", url.Values{"token": {"not-the-token-at-all"}}, nil)
	must(t, code == http.StatusUnauthorized && h.Get("Set-Cookie") == "" && strings.Contains(body, "not the console token"), "wrong login: %d %q", code, h.Get("Set-Cookie"))
	// The login form is served, with no session.
	code, _, body = do(t, c, "GET", st.srv.URL+"/login", nil, nil)
	must(t, code == http.StatusOK && strings.Contains(body, `<label for="token">`), "login form: %d", code)
}

// TestSessionCookie: the login sets an HttpOnly, SameSite=Strict session
// cookie (Secure, with the __Host- prefix, behind https), which opens the
// pages; logging out ends the session on the server.
func TestSessionCookie(t *testing.T) {
	st := newStack(t)
	c := httpClient(t)
	_, h, _ := do(t, c, "POST", st.srv.URL+"/login", url.Values{"token": {token}, "next": {"//evil.example/"}}, nil)
	ck := h.Get("Set-Cookie")
	must(t, strings.HasPrefix(ck, "hookworker_session=") && strings.Contains(ck, "HttpOnly") && strings.Contains(ck, "SameSite=Strict") &&
		strings.Contains(ck, "Path=/") && !strings.Contains(ck, "Secure"), "cookie over http: %q", ck)
	must(t, !strings.Contains(ck, token), "the cookie carries the token: %q", ck)
	must(t, h.Get("Location") == "/", "an off-site next %q was followed", h.Get("Location"))
	code, _, _ := do(t, c, "GET", st.srv.URL+"/letters", nil, nil)
	must(t, code == http.StatusOK, "with the cookie: %d", code)

	_, h, _ = do(t, httpClient(t), "POST", st.srv.URL+"/login", url.Values{"token": {token}}, map[string]string{"X-Forwarded-Proto": "https"})
	ck = h.Get("Set-Cookie")
	must(t, strings.HasPrefix(ck, "__Host-hookworker_session=") && strings.Contains(ck, "Secure") && strings.Contains(ck, "HttpOnly"), "cookie behind https: %q", ck)

	csrf := login(t, st, c)
	code, _, _ = do(t, c, "POST", st.srv.URL+"/logout", url.Values{"csrf": {csrf}}, nil)
	must(t, code == http.StatusSeeOther, "logout: %d", code)
	// The old cookie value is dead even if a client kept it.
	u, _ := url.Parse(st.srv.URL)
	for _, ck := range c.Jar.Cookies(u) {
		must(t, ck.Value == "", "cookie %s kept its value after logout", ck.Name)
	}
	code, _, _ = do(t, c, "GET", st.srv.URL+"/letters", nil, nil)
	must(t, code == http.StatusSeeOther, "after logout: %d", code)
}

// TestCrossSitePostRefused: a POST that a browser marks cross-site
// (Sec-Fetch-Site), or whose Origin is another site, is refused even with
// the session cookie and the right CSRF token; a same-origin POST without
// the CSRF token is refused; with it, it passes.
func TestCrossSitePostRefused(t *testing.T) {
	st := newStack(t)
	st.fail(t, "e-1", "shop-bot", "/orders/A-1")
	c := httpClient(t)
	csrf := login(t, st, c)
	form := url.Values{"csrf": {csrf}, "bot": {"shop-bot"}, "webhook": {"url: https://x.example/"}}
	for _, tt := range []struct {
		name   string
		header map[string]string
	}{
		{"Sec-Fetch-Site cross-site", map[string]string{"Sec-Fetch-Site": "cross-site"}},
		{"Sec-Fetch-Site same-site", map[string]string{"Sec-Fetch-Site": "same-site"}},
		{"Origin of another site", map[string]string{"Origin": "https://evil.example"}},
	} {
		for _, path := range []string{"/test/preview", "/replays", "/logout"} {
			code, _, _ := do(t, c, "POST", st.srv.URL+path, form, tt.header)
			must(t, code == http.StatusForbidden, "%s POST %s: %d, want 403", tt.name, path, code)
		}
	}
	// A cross-site login (login CSRF) is refused too.
	code, h, _ := do(t, httpClient(t), "POST", st.srv.URL+"/login", url.Values{"token": {token}}, map[string]string{"Sec-Fetch-Site": "cross-site"})
	must(t, code == http.StatusForbidden && h.Get("Set-Cookie") == "", "cross-site login: %d", code)

	noToken := url.Values{"bot": {"shop-bot"}, "webhook": {"url: https://x.example/"}}
	code, _, body := do(t, c, "POST", st.srv.URL+"/test/preview", noToken, map[string]string{"Sec-Fetch-Site": "same-origin"})
	must(t, code == http.StatusForbidden && strings.Contains(body, "CSRF"), "no CSRF token: %d %s", code, body)
	// Another token: its first character changed (a fixed "0" equals the
	// real one when the real one starts with it).
	other := "0"
	if csrf[0] == '0' {
		other = "1"
	}
	bad := url.Values{"csrf": {other + csrf[1:]}, "seq": {"1"}}
	code, _, _ = do(t, c, "POST", st.srv.URL+"/replays", bad, map[string]string{"Sec-Fetch-Site": "same-origin"})
	must(t, code == http.StatusForbidden, "wrong CSRF token: %d", code)

	code, _, body = do(t, c, "POST", st.srv.URL+"/test/preview", form, map[string]string{"Sec-Fetch-Site": "same-origin", "Origin": st.srv.URL})
	must(t, code == http.StatusOK && strings.Contains(body, `"valid":true`), "same-origin with the token: %d %s", code, body)
	code, _, body = do(t, c, "POST", st.srv.URL+"/test/preview", noToken, map[string]string{"X-CSRF-Token": csrf})
	must(t, code == http.StatusOK, "the token as a header: %d %s", code, body)
	// Bearer needs no CSRF token: a browser never adds that header itself.
	code, _, _ = do(t, httpClient(t), "POST", st.srv.URL+"/test/preview", noToken, map[string]string{"Authorization": "Bearer " + token})
	must(t, code == http.StatusOK, "Bearer POST: %d", code)
}

// TestSecurityHeaders: every response carries the CSP (scripts and styles
// from the console itself only), nosniff, no framing and no referrer;
// pages are not cached.
func TestSecurityHeaders(t *testing.T) {
	st := newStack(t)
	c := httpClient(t)
	login(t, st, c)
	for _, path := range []string{"/", "/login", "/static/console.css", "/static/console.js", "/letters", "/nope"} {
		_, h, _ := do(t, c, "GET", st.srv.URL+path, nil, nil)
		csp := h.Get("Content-Security-Policy")
		must(t, strings.Contains(csp, "default-src 'none'") && strings.Contains(csp, "script-src 'self'") && !strings.Contains(csp, "unsafe-inline") &&
			strings.Contains(csp, "frame-ancestors 'none'"), "%s: CSP %q", path, csp)
		must(t, h.Get("X-Content-Type-Options") == "nosniff" && h.Get("X-Frame-Options") == "DENY" && h.Get("Referrer-Policy") == "no-referrer", "%s: headers %v", path, h)
	}
	_, h, _ := do(t, c, "GET", st.srv.URL+"/letters", nil, nil)
	must(t, h.Get("Cache-Control") == "no-store", "page Cache-Control %q", h.Get("Cache-Control"))
	code, _, _ := do(t, c, "GET", st.srv.URL+"/static/", nil, nil)
	must(t, code == http.StatusNotFound, "directory listing of /static/: %d", code)
}

// TestTokenRequired: the console does not start with no token or a short
// one.
func TestTokenRequired(t *testing.T) {
	for _, tok := range []string{"", "short"} {
		if _, err := console.New(console.Config{Token: tok}, console.Deps{}); err == nil || !strings.Contains(err.Error(), "at least") {
			t.Errorf("token %q: %v", tok, err)
		}
	}
}
