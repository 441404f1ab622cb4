// Package natsd runs an in-process NATS server with JetStream, so that
// `hookworker run` works on a machine with nothing but Go, and tests run
// against a real server instead of a mock.
//
// A [Server] listens on the host and port it is given (port -1 picks a free
// one), stores JetStream data under its store directory, and logs through zap
// when a logger is given. Shutdown waits until the server has stopped.
//
// The server can require a token, a user and password, NKey users, and
// TLS with optional client-certificate verification (see [Options]). It
// refuses to listen beyond loopback (0.0.0.0, ::, another interface's
// address, a host name other than localhost) unless clients must
// authenticate.
package natsd

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nkeys"
	"go.uber.org/zap"
)

// Options configures an embedded server.
type Options struct {
	// Host to listen on; default 127.0.0.1.
	Host string
	// Port to listen on; -1 picks a free port; 0 means 4222.
	Port int
	// StoreDir holds JetStream data (file storage).
	StoreDir string
	// ServerName names the server; default "hookworker-embedded".
	ServerName string
	// Logger receives the server's log lines; nil means silent.
	Logger *zap.Logger

	// Token, when set, is required of every client. It cannot be combined
	// with User or NKeys.
	Token string
	// User and Password, when set, are required of every client (or one
	// of NKeys, when both are set).
	User, Password string
	// NKeys are user public keys (U...) that may connect by signing the
	// server's challenge with their seed.
	NKeys []string
	// TLS, when its CertFile is set, makes the server require TLS.
	TLS TLS

	// Configure, when set, can adjust the nats-server options before start
	// (authentication, TLS, clustering), after the fields above applied.
	Configure func(*server.Options)
}

// TLS is the server's TLS.
type TLS struct {
	// CertFile and KeyFile are the server certificate and key (PEM).
	CertFile, KeyFile string
	// CAFile, when set, makes the server require client certificates
	// signed by these CA certificates (PEM).
	CAFile string
}

// apply sets o's authentication and TLS on opts.
func (o Options) apply(opts *server.Options) error {
	if o.Token != "" && (o.User != "" || len(o.NKeys) > 0) {
		return errors.New("natsd: a token cannot be combined with a user or nkeys")
	}
	if (o.User == "") != (o.Password == "") {
		return errors.New("natsd: user and password go together")
	}
	opts.Authorization = o.Token
	if o.User != "" {
		// A user list rather than Username, which the server ignores when
		// nkeys are configured too.
		opts.Users = []*server.User{{Username: o.User, Password: o.Password}}
	}
	for _, k := range o.NKeys {
		if !nkeys.IsValidPublicUserKey(k) {
			return fmt.Errorf("natsd: %q is not a user public key", k)
		}
		opts.Nkeys = append(opts.Nkeys, &server.NkeyUser{Nkey: k})
	}
	t := o.TLS
	if t.CertFile == "" && t.KeyFile == "" {
		if t.CAFile != "" {
			return errors.New("natsd: a TLS CA file (client verification) needs a certificate and key")
		}
		return nil
	}
	if t.CertFile == "" || t.KeyFile == "" {
		return errors.New("natsd: TLS certificate and key go together")
	}
	tc, err := server.GenTLSConfig(&server.TLSConfigOpts{
		CertFile: t.CertFile, KeyFile: t.KeyFile, CaFile: t.CAFile, Verify: t.CAFile != "",
	})
	if err != nil {
		return fmt.Errorf("natsd: TLS: %w", err)
	}
	opts.TLSConfig = tc
	opts.TLS = true
	opts.TLSVerify = t.CAFile != ""
	opts.TLSTimeout = 2 // seconds
	return nil
}

// Server is a running embedded server.
type Server struct {
	srv *server.Server
}

// Start starts the server and waits until it accepts connections.
func Start(o Options) (*Server, error) {
	if o.StoreDir == "" {
		return nil, errors.New("natsd: StoreDir is required")
	}
	if o.Host == "" {
		o.Host = "127.0.0.1"
	}
	if o.Port == 0 {
		o.Port = 4222
	}
	if o.ServerName == "" {
		o.ServerName = "hookworker-embedded"
	}
	opts := &server.Options{
		ServerName: o.ServerName,
		Host:       o.Host,
		Port:       o.Port,
		JetStream:  true,
		StoreDir:   o.StoreDir,
		NoSigs:     true,
		NoLog:      o.Logger == nil,
		// Results and events are small; keep the default 1 MiB event cap
		// reachable with headroom for headers.
		MaxPayload: 2 << 20,
	}
	if err := o.apply(opts); err != nil {
		return nil, err
	}
	if o.Configure != nil {
		o.Configure(opts)
	}
	if !LoopbackHost(opts.Host) && !requiresAuth(opts) {
		return nil, fmt.Errorf("natsd: refusing to listen on %q, beyond loopback, without authentication: set a token, a user and password or nkeys, or listen on 127.0.0.1", opts.Host)
	}
	srv, err := server.NewServer(opts)
	if err != nil {
		return nil, fmt.Errorf("natsd: %w", err)
	}
	if o.Logger != nil {
		srv.SetLoggerV2(zapLogger{o.Logger.Sugar()}, false, false, false)
	}
	go srv.Start()
	if !srv.ReadyForConnections(10 * time.Second) {
		srv.Shutdown()
		return nil, fmt.Errorf("natsd: server on %s:%d not ready after 10s", o.Host, o.Port)
	}
	return &Server{srv: srv}, nil
}

// ClientURL is the URL clients connect to.
func (s *Server) ClientURL() string { return s.srv.ClientURL() }

// Shutdown stops the server and waits for it.
func (s *Server) Shutdown() {
	s.srv.Shutdown()
	s.srv.WaitForShutdown()
}

// Raw returns the underlying nats-server, for tests that inspect it.
func (s *Server) Raw() *server.Server { return s.srv }

type zapLogger struct{ l *zap.SugaredLogger }

func (z zapLogger) Noticef(format string, v ...any) { z.l.Infof(format, v...) }
func (z zapLogger) Warnf(format string, v ...any)   { z.l.Warnf(format, v...) }
func (z zapLogger) Fatalf(format string, v ...any)  { z.l.Errorf(format, v...) }
func (z zapLogger) Errorf(format string, v ...any)  { z.l.Errorf(format, v...) }
func (z zapLogger) Debugf(format string, v ...any)  { z.l.Debugf(format, v...) }
func (z zapLogger) Tracef(format string, v ...any)  { z.l.Debugf(format, v...) }

// LoopbackHost reports whether host names only this machine's loopback
// interface: "localhost", or an address in 127.0.0.0/8 or ::1 ("" and
// 0.0.0.0 listen everywhere).
func LoopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	a, err := netip.ParseAddr(strings.Trim(host, "[]"))
	return err == nil && a.Unmap().IsLoopback()
}

// requiresAuth reports whether opts make every client authenticate.
func requiresAuth(o *server.Options) bool {
	return o.Authorization != "" || o.Username != "" || len(o.Users) > 0 || len(o.Nkeys) > 0 ||
		len(o.TrustedOperators) > 0 || len(o.TrustedKeys) > 0 || o.CustomClientAuthentication != nil || o.AuthCallout != nil
}
