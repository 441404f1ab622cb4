package metrics

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/pprof"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.uber.org/zap"
)

// ReadyFunc reports whether the process is ready to take work: nil when
// it is, else why not.
type ReadyFunc func(context.Context) error

// Server is the operations HTTP listener:
//
//	GET /metrics   Prometheus text exposition of the registry
//	GET /healthz   200 "ok" while the process is alive
//	GET /readyz    200 "ready", or 503 and the reason, from the ReadyFunc (given 2s)
//	/debug/pprof/  Go's profiles, only WithPprof
type Server struct {
	srv *http.Server
	ln  net.Listener
	log *zap.Logger
	err chan error
}

// An Option adds endpoints to the listener.
type Option func(*http.ServeMux)

// WithPprof serves Go's profiles under /debug/pprof/ (net/http/pprof):
// CPU, heap, allocations, goroutines, mutex and block profiles, and the
// execution trace. For diagnosis on a listener only operators reach. The
// mutex and block profiles are empty unless the process samples them
// (runtime.SetMutexProfileFraction, SetBlockProfileRate).
func WithPprof() Option {
	return func(mux *http.ServeMux) {
		mux.HandleFunc("/debug/pprof/", pprof.Index)
		mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
		mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
		mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
		mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	}
}

// Handler serves the three endpoints, and those of opts; ready nil means
// always ready.
func Handler(m *Metrics, ready ReadyFunc, opts ...Option) http.Handler {
	mux := http.NewServeMux()
	for _, o := range opts {
		o(mux)
	}
	mux.Handle("GET /metrics", promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{
		Registry:            m.reg, // counts promhttp's own errors
		ErrorHandling:       promhttp.ContinueOnError,
		MaxRequestsInFlight: 4,
		Timeout:             10 * time.Second,
	}))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		plain(w, http.StatusOK, "ok")
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		if ready != nil {
			ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
			defer cancel()
			if err := ready(ctx); err != nil {
				plain(w, http.StatusServiceUnavailable, "not ready: "+err.Error())
				return
			}
		}
		plain(w, http.StatusOK, "ready")
	})
	return mux
}

func plain(w http.ResponseWriter, code int, body string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	_, _ = fmt.Fprintln(w, body)
}

// Listen binds addr (host:port; port 0 picks a free one) and serves
// Handler(m, ready, opts...) until Shutdown. log may be nil.
func Listen(addr string, m *Metrics, ready ReadyFunc, log *zap.Logger, opts ...Option) (*Server, error) {
	if log == nil {
		log = zap.NewNop()
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("ops listener: %w", err)
	}
	s := &Server{
		ln:  ln,
		log: log,
		err: make(chan error, 1),
		srv: &http.Server{
			Handler:           Handler(m, ready, opts...),
			ReadHeaderTimeout: 5 * time.Second,
			ReadTimeout:       10 * time.Second,
			WriteTimeout:      30 * time.Second,
			IdleTimeout:       2 * time.Minute,
			MaxHeaderBytes:    16 << 10,
			ErrorLog:          zap.NewStdLog(log),
		},
	}
	go func() {
		err := s.srv.Serve(ln)
		if errors.Is(err, http.ErrServerClosed) {
			err = nil
		} else {
			log.Error("ops listener stopped", zap.Error(err))
		}
		s.err <- err
	}()
	return s, nil
}

// Addr is the address the listener is bound to.
func (s *Server) Addr() string { return s.ln.Addr().String() }

// URL is http://Addr.
func (s *Server) URL() string { return "http://" + s.Addr() }

// Shutdown stops the listener, letting requests in progress finish until
// ctx ends.
func (s *Server) Shutdown(ctx context.Context) error {
	err := s.srv.Shutdown(ctx)
	if err != nil {
		_ = s.srv.Close()
	}
	if serr := <-s.err; err == nil {
		err = serr
	}
	return err
}
