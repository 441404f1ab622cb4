package console

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/jonboulle/clockwork"
	"golang.org/x/time/rate"
)

// Cookie names: with TLS the __Host- prefix binds the cookie to this
// origin (Secure, Path=/, no Domain).
const (
	cookieName       = "hookworker_session"
	secureCookieName = "__Host-hookworker_session"
)

// maxSessions bounds the logins kept; the oldest goes first.
const maxSessions = 1000

// session is one login.
type session struct {
	id      string
	csrf    string
	expires time.Time
}

// sessions are the logins, by id.
type sessions struct {
	ttl   time.Duration
	clock clockwork.Clock
	mu    sync.Mutex
	byID  map[string]*session
	order []string // ids, oldest first
}

func newSessions(ttl time.Duration, clock clockwork.Clock) *sessions {
	return &sessions{ttl: ttl, clock: clock, byID: map[string]*session{}}
}

func (ss *sessions) create() *session {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	for len(ss.order) >= maxSessions {
		delete(ss.byID, ss.order[0])
		ss.order = ss.order[1:]
	}
	s := &session{id: randomID() + randomID(), csrf: randomID() + randomID(), expires: ss.clock.Now().Add(ss.ttl)}
	ss.byID[s.id] = s
	ss.order = append(ss.order, s.id)
	return s
}

func (ss *sessions) get(id string) *session {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	s := ss.byID[id]
	if s == nil {
		return nil
	}
	if !ss.clock.Now().Before(s.expires) {
		ss.remove(id)
		return nil
	}
	return s
}

func (ss *sessions) delete(id string) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	ss.remove(id)
}

func (ss *sessions) remove(id string) {
	delete(ss.byID, id)
	for i, o := range ss.order {
		if o == id {
			ss.order = append(ss.order[:i], ss.order[i+1:]...)
			break
		}
	}
}

// tokenOK compares a presented token with the console's in constant time
// (over their digests, so the length does not show either).
func (s *Server) tokenOK(presented string) bool {
	a := sha256.Sum256([]byte(presented))
	b := sha256.Sum256([]byte(s.cfg.Token))
	return subtle.ConstantTimeCompare(a[:], b[:]) == 1
}

type ctxKey int

const sessionKey ctxKey = iota

// authed lets through a request with the token as a Bearer header or a
// live session cookie; others are sent to the login form (pages) or
// refused with 401 (everything else).
func (s *Server) authed(h http.Handler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if auth := r.Header.Get("Authorization"); auth != "" {
			token, ok := strings.CutPrefix(auth, "Bearer ")
			if !ok || !s.tokenOK(token) {
				w.Header().Set("WWW-Authenticate", `Bearer realm="hookworker console"`)
				s.fail(w, r, http.StatusUnauthorized, "wrong token")
				return
			}
			h.ServeHTTP(w, r)
			return
		}
		if sess := s.sessionOf(r); sess != nil {
			h.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), sessionKey, sess)))
			return
		}
		if r.Method == http.MethodGet && !wantsJSON(r) && acceptsHTML(r) {
			http.Redirect(w, r, "/login?next="+safeNext(r.URL.RequestURI()), http.StatusSeeOther)
			return
		}
		w.Header().Set("WWW-Authenticate", `Bearer realm="hookworker console"`)
		s.fail(w, r, http.StatusUnauthorized, "log in first: the console token is required")
	}
}

func (s *Server) sessionOf(r *http.Request) *session {
	for _, name := range []string{secureCookieName, cookieName} {
		if c, err := r.Cookie(name); err == nil {
			if sess := s.sessions.get(c.Value); sess != nil {
				return sess
			}
		}
	}
	return nil
}

// csrf requires the session's CSRF token (form field csrf, or the
// X-CSRF-Token header) of a request authenticated by its cookie. A
// request with the Bearer header needs none: browsers do not add it by
// themselves.
func (s *Server) csrf(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		sess, _ := r.Context().Value(sessionKey).(*session)
		if sess == nil {
			h(w, r)
			return
		}
		got := r.Header.Get("X-CSRF-Token")
		if got == "" {
			got = r.PostFormValue("csrf")
		}
		if subtle.ConstantTimeCompare([]byte(got), []byte(sess.csrf)) != 1 {
			s.fail(w, r, http.StatusForbidden, "missing or wrong CSRF token: reload the page")
			return
		}
		h(w, r)
	}
}

// maxFormBytes bounds a POST's body.
const maxFormBytes = 2 << 20

// limitBody bounds the body of h's requests.
func limitBody(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
		h(w, r)
	}
}

// newLoginLimit is the budget failed logins share: beyond it each waits
// a second, which slows guessing down.
func newLoginLimit() *rate.Limiter { return rate.NewLimiter(rate.Limit(5), 10) }

func (s *Server) loginPage(w http.ResponseWriter, r *http.Request) {
	s.render(w, r, http.StatusOK, "login", map[string]any{"Next": safeNext(r.URL.Query().Get("next"))})
}

func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	next := safeNext(r.PostFormValue("next"))
	if !s.tokenOK(r.PostFormValue("token")) {
		if !s.logins.Allow() {
			time.Sleep(time.Second)
		}
		s.render(w, r, http.StatusUnauthorized, "login", map[string]any{"Next": next, "Error": "That is not the console token."})
		return
	}
	sess := s.sessions.create()
	http.SetCookie(w, s.cookie(r, sess.id, int(s.cfg.SessionTTL.Seconds())))
	http.Redirect(w, r, next, http.StatusSeeOther)
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request) {
	if sess, _ := r.Context().Value(sessionKey).(*session); sess != nil {
		s.sessions.delete(sess.id)
	}
	http.SetCookie(w, s.cookie(r, "", -1))
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}

// cookie is the session cookie: HttpOnly, SameSite=Strict, and Secure
// (with the __Host- prefix) when the console is reached over TLS or
// behind a proxy that says https.
func (s *Server) cookie(r *http.Request, value string, maxAge int) *http.Cookie {
	c := &http.Cookie{Name: cookieName, Value: value, Path: "/", MaxAge: maxAge, HttpOnly: true, SameSite: http.SameSiteStrictMode}
	if overTLS(r) {
		c.Name, c.Secure = secureCookieName, true
	}
	return c
}

func overTLS(r *http.Request) bool {
	return r.TLS != nil || strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https")
}

// safeNext keeps a redirect target on this console: a path, not a URL.
func safeNext(next string) string {
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") || strings.HasPrefix(next, "/login") {
		return "/"
	}
	return next
}

func acceptsHTML(r *http.Request) bool {
	a := r.Header.Get("Accept")
	return a == "" || strings.Contains(a, "text/html") || strings.Contains(a, "*/*")
}

// csrfToken is the request's session CSRF token ("" with Bearer auth).
func csrfToken(r *http.Request) string {
	if sess, _ := r.Context().Value(sessionKey).(*session); sess != nil {
		return sess.csrf
	}
	return ""
}
