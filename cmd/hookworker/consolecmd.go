package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/spf13/cobra"
	"go.uber.org/zap"

	"github.com/hookworker/hookworker/internal/api"
	"github.com/hookworker/hookworker/internal/console"
)

// consoleTokenEnv holds the console's token.
const consoleTokenEnv = "HOOKWORKER_CONSOLE_TOKEN"

type consoleFlags struct {
	listen, tlsCert, tlsKey string
	replayRate              float64
}

func (a *app) consoleCmd() *cobra.Command {
	var f consoleFlags
	cmd := &cobra.Command{
		Use:   "console",
		Short: "Serve the web console: overview, dead letters and replay, registry, the Test page",
		Long: `Serve the web console on --listen (default 127.0.0.1:8484) over the same NATS
connection settings as every command (config, NATS_URL, --server, --context,
credentials). Every page requires the token in HOOKWORKER_CONSOLE_TOKEN (at
least 16 characters): an "Authorization: Bearer <token>" header, or the login
form, which sets a session cookie.

The console reads the trigger stream, its consumers and the dead letters
from JetStream, and renders, validates, lists and replays through the
service API that every "hookworker run" serves: without a worker running,
the overview still shows the streams, and the other pages say that no
worker answers. With --tls-cert and --tls-key it serves HTTPS (and its
cookie is Secure); behind a proxy that terminates TLS, the proxy's
X-Forwarded-Proto: https does the same. See docs/console.md.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return a.console(cmd.Context(), f) },
	}
	cmd.Flags().StringVar(&f.listen, "listen", "127.0.0.1:8484", "address to serve the console on")
	cmd.Flags().StringVar(&f.tlsCert, "tls-cert", "", "TLS certificate file (PEM), to serve HTTPS")
	cmd.Flags().StringVar(&f.tlsKey, "tls-key", "", "TLS key file (PEM)")
	cmd.Flags().Float64Var(&f.replayRate, "replay-rate", 10, "default replay rate, events a second")
	return cmd
}

func (a *app) console(ctx context.Context, f consoleFlags) error {
	token := a.getenv(consoleTokenEnv)
	if token == "" {
		return fmt.Errorf("%s is not set: the console needs a token (at least %d characters; e.g. openssl rand -hex 24)", consoleTokenEnv, console.MinTokenLen)
	}
	if (f.tlsCert == "") != (f.tlsKey == "") {
		return errors.New("--tls-cert and --tls-key go together")
	}
	cfg, err := a.config()
	if err != nil {
		return err
	}
	log, err := newLogger(cfg.Log, a.io.err)
	if err != nil {
		return err
	}
	defer func() { _ = log.Sync() }()
	nc, url, err := connectNATS(cfg, "hookworker-console", nats.MaxReconnects(-1), nats.ReconnectWait(time.Second))
	if err != nil {
		return fmt.Errorf("connect to NATS at %s: %w", url, err)
	}
	defer nc.Close()
	state, err := console.NewNATS(nc, cfg)
	if err != nil {
		return err
	}
	srv, err := console.New(console.Config{Token: token, ReplayRate: f.replayRate}, console.Deps{
		Service: api.NewClient(nc), Fleet: state, Definitions: state, Results: state, Logger: log.Named("console"),
	})
	if err != nil {
		return err
	}
	defer srv.Close()
	ln, err := net.Listen("tcp", f.listen)
	if err != nil {
		return fmt.Errorf("console: %w", err)
	}
	scheme := "http"
	if f.tlsCert != "" {
		scheme = "https"
	}
	hs := &http.Server{Handler: srv, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: time.Minute,
		WriteTimeout: 2 * time.Minute, IdleTimeout: 2 * time.Minute, MaxHeaderBytes: 64 << 10}
	if host, _, _ := net.SplitHostPort(ln.Addr().String()); scheme == "http" && !net.ParseIP(host).IsLoopback() {
		log.Warn("the console serves plain HTTP beyond loopback: the token and the session cookie travel in clear; use --tls-cert/--tls-key or a TLS proxy")
	}
	fmt.Fprintf(a.io.out, "console listening on %s://%s (NATS %s)\n", scheme, ln.Addr(), url)
	errc := make(chan error, 1)
	go func() {
		if f.tlsCert != "" {
			errc <- hs.ServeTLS(ln, f.tlsCert, f.tlsKey)
		} else {
			errc <- hs.Serve(ln)
		}
	}()
	select {
	case err := <-errc:
		return fmt.Errorf("console: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := hs.Shutdown(sctx); err != nil {
		log.Warn("console shutdown", zap.Error(err))
	}
	return nil
}
