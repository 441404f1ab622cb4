// Package console is hookworker's web console for operators and bot
// builders: an overview of the fleet, the dead letters (filter, a letter's
// attempts, replay with live progress and outcomes), the webhook registry
// (definitions, revisions, a diff of two) and the builder's Test page.
//
// The promises:
//
//   - Every page and endpoint but the login form and the static assets
//     requires the console token: an `Authorization: Bearer` header, or a
//     session cookie the login form sets after a constant-time comparison.
//   - State-changing requests are POSTs, refused when cross-site (the
//     Sec-Fetch-Site and Origin checks of net/http.CrossOriginProtection)
//     and without the session's CSRF token. Cookies are HttpOnly,
//     SameSite=Strict, and Secure when the console is reached over TLS.
//   - Server-rendered html/template pages that work without JavaScript; a
//     little JavaScript (embedded, no inline script) refreshes the
//     overview, follows replays and previews the Test page as one types.
//     Everything is embedded (go:embed): no external asset, and a Content
//     Security Policy that allows only the console's own scripts and
//     styles.
//   - It reads through small interfaces: the service API (Service, which
//     *api.Client implements) for rendering, validation and dead letters,
//     and Fleet, Definitions and Results for the JetStream state (NewNATS
//     implements them over a connection).
package console

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/jonboulle/clockwork"
	"go.uber.org/zap"
	"golang.org/x/time/rate"

	"github.com/hookworker/hookworker/internal/api"
)

// MinTokenLen is the shortest console token accepted.
const MinTokenLen = 16

// Config configures a console.
type Config struct {
	// Token is the console token (HOOKWORKER_CONSOLE_TOKEN), at least
	// MinTokenLen bytes.
	Token string
	// SessionTTL is how long a login lasts; 12 hours when zero.
	SessionTTL time.Duration
	// ReplayRate is the default replay rate, events a second; 10 when zero.
	ReplayRate float64
}

// Service is the service API as the console uses it (*api.Client).
type Service interface {
	Render(ctx context.Context, r *api.RenderRequest) (*api.RenderReply, error)
	Validate(ctx context.Context, r *api.ValidateRequest) (*api.ValidateReply, error)
	List(ctx context.Context, r *api.DLQListRequest) (*api.DLQListReply, error)
	Show(ctx context.Context, seq uint64) (*api.Letter, error)
	Replay(ctx context.Context, r *api.ReplayRequest) (*api.ReplayReply, error)
	Instances(ctx context.Context, wait time.Duration) ([]api.Instance, error)
}

// Deps is what the console reads from.
type Deps struct {
	Service     Service
	Fleet       Fleet
	Definitions Definitions
	Results     Results
	Logger      *zap.Logger
	// Clock is the wall clock (clockwork.NewRealClock when nil).
	Clock clockwork.Clock
}

// Server is the console's HTTP handler.
type Server struct {
	cfg      Config
	deps     Deps
	log      *zap.Logger
	clock    clockwork.Clock
	pages    *pages
	sessions *sessions
	logins   *rate.Limiter
	replays  *replays
	rates    rateSampler
	mux      *http.ServeMux

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// New builds a console. Close stops its replay jobs.
func New(cfg Config, deps Deps) (*Server, error) {
	if len(cfg.Token) < MinTokenLen {
		return nil, fmt.Errorf("console: the token (HOOKWORKER_CONSOLE_TOKEN) must be at least %d characters", MinTokenLen)
	}
	if deps.Service == nil || deps.Fleet == nil || deps.Definitions == nil || deps.Results == nil {
		return nil, errors.New("console: Service, Fleet, Definitions and Results are required")
	}
	if cfg.SessionTTL <= 0 {
		cfg.SessionTTL = 12 * time.Hour
	}
	if cfg.ReplayRate <= 0 {
		cfg.ReplayRate = 10
	}
	if deps.Logger == nil {
		deps.Logger = zap.NewNop()
	}
	if deps.Clock == nil {
		deps.Clock = clockwork.NewRealClock()
	}
	p, err := parsePages()
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &Server{cfg: cfg, deps: deps, log: deps.Logger, clock: deps.Clock, pages: p,
		sessions: newSessions(cfg.SessionTTL, deps.Clock), logins: newLoginLimit(), replays: newReplays(), ctx: ctx, cancel: cancel}
	s.routes()
	return s, nil
}

// Close cancels the running replay jobs and waits for them.
func (s *Server) Close() {
	s.cancel()
	s.wg.Wait()
}

// ServeHTTP serves the console.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	secureHeaders(w.Header())
	s.mux.ServeHTTP(w, r)
}

func (s *Server) routes() {
	m := http.NewServeMux()
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.fail(w, r, http.StatusForbidden, "cross-origin request refused")
	}))
	// Every POST is checked for its origin first; GETs change nothing.
	post := func(h http.HandlerFunc) http.Handler { return cop.Handler(s.authed(limitBody(s.csrf(h)))) }
	get := func(h http.HandlerFunc) http.Handler { return s.authed(h) }

	m.Handle("GET /static/", staticHandler())
	m.HandleFunc("GET /login", s.loginPage)
	m.Handle("POST /login", cop.Handler(http.HandlerFunc(s.login)))
	m.Handle("POST /logout", post(s.logout))

	m.Handle("GET /{$}", get(s.overview))
	m.Handle("GET /overview.json", get(s.overviewJSON))
	m.Handle("GET /letters", get(s.letters))
	m.Handle("GET /letters/{seq}", get(s.letter))
	m.Handle("POST /replays", post(s.startReplay))
	m.Handle("GET /replays/{id}", get(s.replayPage))
	m.Handle("GET /replays/{id}/status", get(s.replayJSON))
	m.Handle("GET /registry", get(s.registry))
	m.Handle("GET /registry/{id}", get(s.definition))
	m.Handle("GET /test", get(s.testPage))
	m.Handle("POST /test", post(s.testSubmit))
	m.Handle("POST /test/preview", post(s.testPreview))
	m.Handle("/", get(func(w http.ResponseWriter, r *http.Request) {
		s.fail(w, r, http.StatusNotFound, "no such page")
	}))
	s.mux = m
}

// secureHeaders are set on every response.
func secureHeaders(h http.Header) {
	h.Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "+
		"connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
	h.Set("Cross-Origin-Resource-Policy", "same-origin")
	h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()")
}

// randomID is 16 random bytes in hex.
func randomID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b) // never fails (crypto/rand)
	return hex.EncodeToString(b)
}

// requestTimeout bounds one page's calls to NATS.
const requestTimeout = 10 * time.Second
