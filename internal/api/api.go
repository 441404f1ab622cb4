// Package api is hookworker's service API: a NATS micro service named
// "hookworker" that every `hookworker run` process serves, so that a bot
// builder's backend in any language, the `nats` CLI and the web console
// reach the builder's and the operator's functions without the Go binary.
//
// The promises:
//
//   - The contract's endpoints and JSON shapes: hookworker.api.render,
//     .validate, .dlq.list, .dlq.show and .replay (and .status, this
//     instance's state), discoverable with $SRV.PING/INFO/STATS.hookworker.
//     Every process joins the same service, so requests are balanced over
//     the fleet through the micro queue group.
//   - Errors are micro errors: the Nats-Service-Error and
//     Nats-Service-Error-Code headers, and the JSON body
//     {"error": {"code", "message"}} (with "field" where one is at fault).
//   - Bot-scoped and side-effect free rendering: a render for bot B reads
//     only the secrets Deps.Secrets gives B, masks them in the request and
//     in the CVars it would set, and never sends anything.
//   - Bounded like events: a request is at most MaxRequestSize bytes, its
//     event part goes through the event decoder (depth, sizes, names), and
//     rendering runs in an environment with the engine's budgets and a
//     compiled-template cache of its own, so builders typing cannot evict
//     the worker's templates.
package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"sync"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/micro"
	"go.uber.org/zap"

	"github.com/hookworker/hookworker/internal/deadletter"
	"github.com/hookworker/hookworker/render"
	"github.com/hookworker/hookworker/trigger"
	"github.com/hookworker/hookworker/trigger/webhook"
)

// Name is the micro service's name.
const Name = "hookworker"

// Prefix starts every endpoint's subject.
const Prefix = "hookworker.api"

// Endpoint subjects.
const (
	SubjectRender   = Prefix + ".render"
	SubjectValidate = Prefix + ".validate"
	SubjectDLQList  = Prefix + ".dlq.list"
	SubjectDLQShow  = Prefix + ".dlq.show"
	SubjectReplay   = Prefix + ".replay"
	SubjectStatus   = Prefix + ".status"
)

// MaxRequestSize bounds a request, as events are bounded.
const MaxRequestSize = trigger.MaxEventSize

// MaxConcurrentReplays is how many replays one process runs at once;
// another is refused with 503 (the caller retries, maybe on another
// process).
const MaxConcurrentReplays = 2

// Definitions looks a registry definition up (internal/registry), its
// Webhook Template resolved: the latest when revision is 0.
type Definitions func(ctx context.Context, id string, revision uint64) (*webhook.Definition, error)

// Templates resolves a definition's `uses` (internal/marketplace).
type Templates interface {
	Resolve(d *webhook.Definition) (*webhook.Definition, error)
}

// Secrets returns the secrets the templates of botID's events may read.
type Secrets func(botID string) render.SecretSource

// DeadLetters is the dead-letter store (internal/deadletter.Store).
type DeadLetters interface {
	List(ctx context.Context, f deadletter.Filter) ([]*deadletter.Letter, error)
	Get(ctx context.Context, seq uint64) (*deadletter.Letter, error)
	Replay(ctx context.Context, l *deadletter.Letter) (int, error)
}

// Deps is what the service works with. Every field but Logger and Status
// is required.
type Deps struct {
	Definitions Definitions
	Templates   Templates
	Secrets     Secrets
	DeadLetters DeadLetters
	// Status reports this process's state (the status endpoint, and the
	// data of its STATS entry); nil reports the identity only.
	Status func() InstanceStatus
	Logger *zap.Logger
}

// Options tune the service.
type Options struct {
	// Version is the service's SemVer version; "0.0.0" when empty.
	Version string
	// Limits are the rendering budgets; zero fields take
	// render.DefaultLimits, except the cache (MaxCacheEntries 1,000).
	Limits render.Limits
	// Metadata annotates the service in INFO and PING replies.
	Metadata map[string]string
	// ResultPrefix is where Results of events without reply_to go
	// (names.result_prefix); trigger.DefaultResultPrefix when empty.
	ResultPrefix string
}

// Service is one process's instance of the service.
type Service struct {
	svc          micro.Service
	deps         Deps
	env          *render.Env
	log          *zap.Logger
	replays      chan struct{} // semaphore of running replays
	resultPrefix string
	ctx          context.Context
	cancel       context.CancelFunc
	inflight     sync.WaitGroup
}

// Start adds the service on nc and its endpoints. Stop it with Stop (or by
// closing nc).
func Start(nc *nats.Conn, o Options, deps Deps) (*Service, error) {
	if deps.Definitions == nil || deps.Templates == nil || deps.Secrets == nil || deps.DeadLetters == nil {
		return nil, errors.New("api: Definitions, Templates, Secrets and DeadLetters are required")
	}
	if deps.Logger == nil {
		deps.Logger = zap.NewNop()
	}
	if o.Version == "" {
		o.Version = "0.0.0"
	}
	if o.Limits.MaxCacheEntries == 0 {
		o.Limits.MaxCacheEntries = 1000
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &Service{deps: deps, env: render.NewEnv(o.Limits), log: deps.Logger,
		replays: make(chan struct{}, MaxConcurrentReplays), resultPrefix: o.ResultPrefix, ctx: ctx, cancel: cancel}
	svc, err := micro.AddService(nc, micro.Config{
		Name:        Name,
		Version:     o.Version,
		Description: "hookworker's service API: render and validate webhooks, list, show and replay dead letters",
		Metadata:    o.Metadata,
		StatsHandler: func(e *micro.Endpoint) any {
			if e.Name != "status" {
				return nil
			}
			return s.status()
		},
		ErrorHandler: func(_ micro.Service, err *micro.NATSError) {
			s.log.Warn("service API", zap.String("subject", err.Subject), zap.String("error", err.Description))
		},
	})
	if err != nil {
		cancel()
		return nil, fmt.Errorf("api: %w", err)
	}
	s.svc = svc
	endpoints := []struct {
		name, subject string
		h             func(micro.Request)
	}{
		{"render", SubjectRender, s.handleRender},
		{"validate", SubjectValidate, s.handleValidate},
		{"dlq-list", SubjectDLQList, s.handleDLQList},
		{"dlq-show", SubjectDLQShow, s.handleDLQShow},
		{"replay", SubjectReplay, s.handleReplay},
		{"status", SubjectStatus, s.handleStatus},
	}
	for _, e := range endpoints {
		h := s.bounded(e.h)
		if err := svc.AddEndpoint(e.name, micro.HandlerFunc(h), micro.WithEndpointSubject(e.subject)); err != nil {
			_ = svc.Stop()
			cancel()
			return nil, fmt.Errorf("api: endpoint %s: %w", e.subject, err)
		}
	}
	return s, nil
}

// Stop stops taking requests, cancels running replays and waits for them.
func (s *Service) Stop() error {
	err := s.svc.Stop()
	s.cancel()
	s.inflight.Wait()
	return err
}

// ID is this instance's id (as $SRV.PING shows it).
func (s *Service) ID() string { return s.svc.Info().ID }

// bounded refuses requests over MaxRequestSize before h reads them, and
// turns a panic into a 500 reply, never a crash.
func (s *Service) bounded(h func(micro.Request)) func(micro.Request) {
	return func(req micro.Request) {
		defer func() {
			if r := recover(); r != nil {
				s.log.Error("service API handler panicked", zap.String("subject", req.Subject()), zap.Any("panic", r))
				respondError(req, &Error{Code: 500, Message: "internal error"})
			}
		}()
		if n := len(req.Data()); n > MaxRequestSize {
			respondError(req, &Error{Code: 413, Message: fmt.Sprintf("request of %d bytes, over the limit of %d", n, MaxRequestSize)})
			return
		}
		h(req)
	}
}

// Error is an error reply's body, {"error": Error}.
type Error struct {
	// Code is HTTP-like: 400 bad request, 404 not found, 413 too large,
	// 422 the webhook does not render or map, 500 and 503.
	Code    int    `json:"code"`
	Message string `json:"message"`
	// Field names what is at fault ("webhook.url", "cvars[0].mapper",
	// "filter.since"), when one is.
	Field string `json:"field,omitempty"`
}

func (e *Error) Error() string {
	if e.Field != "" && !hasPrefix(e.Message, e.Field+": ") {
		return fmt.Sprintf("%d %s: %s", e.Code, e.Field, e.Message)
	}
	return fmt.Sprintf("%d %s", e.Code, e.Message)
}

func hasPrefix(s, p string) bool { return len(s) >= len(p) && s[:len(p)] == p }

// errorBody is the JSON body of an error reply.
type errorBody struct {
	Error *Error `json:"error"`
}

func respondError(req micro.Request, e *Error) {
	body, _ := json.Marshal(errorBody{Error: e})
	_ = req.Error(strconv.Itoa(e.Code), e.Message, body)
}

func respondJSON(req micro.Request, v any) {
	data, err := json.Marshal(v)
	if err != nil {
		respondError(req, &Error{Code: 500, Message: "encode reply: " + err.Error()})
		return
	}
	_ = req.Respond(data)
}

// badRequest is a 400 naming the field.
func badRequest(field, format string, args ...any) *Error {
	return &Error{Code: 400, Field: field, Message: fmt.Sprintf(format, args...)}
}
