package natsconn

import (
	"context"
	"crypto/x509"
	"errors"
	"strings"
	"time"

	"github.com/cenkalti/backoff/v4"
	"github.com/nats-io/nats.go"

	"github.com/hookworker/hookworker/internal/config"
)

// Attempt describes one failed connection attempt of ConnectRetry.
type Attempt struct {
	// N counts attempts from 1.
	N int
	// Err is why it failed (as Connect reports it: no secrets).
	Err error
	// Next is the wait before the next attempt.
	Next time.Duration
}

// Retry paces ConnectRetry: the first wait, the longest, and how much of
// each is random; zero values take 500ms, 30s and 20%.
type Retry struct {
	Initial, Max time.Duration
	Jitter       float64
}

// ConnectRetry connects like Connect, and while the server cannot be
// reached (nothing listens, a timeout, a server still starting) tries
// again with exponential backoff until ctx ends, telling failed about each
// attempt before it waits. Errors that waiting does not cure (refused
// credentials, an untrusted certificate, a bad option) are returned at
// once, as is ctx's error (wrapping the last attempt's).
func ConnectRetry(ctx context.Context, c config.NATS, url, name string, r Retry, failed func(Attempt), extra ...nats.Option) (*nats.Conn, error) {
	bo := backoff.NewExponentialBackOff()
	bo.InitialInterval = cmpOr(r.Initial, 500*time.Millisecond)
	bo.MaxInterval = cmpOr(r.Max, 30*time.Second)
	bo.RandomizationFactor = r.Jitter
	if r.Jitter == 0 {
		bo.RandomizationFactor = 0.2
	}
	bo.MaxElapsedTime = 0 // until ctx ends
	bo.Reset()
	for n := 1; ; n++ {
		nc, err := Connect(c, url, name, extra...)
		if err == nil {
			return nc, nil
		}
		if !Unreachable(err) {
			return nil, err
		}
		wait := bo.NextBackOff()
		if failed != nil {
			failed(Attempt{N: n, Err: err, Next: wait})
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, errors.Join(ctx.Err(), err)
		case <-t.C:
		}
	}
}

func cmpOr(d, def time.Duration) time.Duration {
	if d > 0 {
		return d
	}
	return def
}

// Unreachable reports whether a Connect error means the server could not
// be reached (so trying again later may work), as opposed to a server
// that refused the credentials or the certificate, or a bad setting.
func Unreachable(err error) bool {
	var ui x509.UnknownAuthorityError
	var hn x509.HostnameError
	var ci x509.CertificateInvalidError
	switch {
	case err == nil:
		return false
	case errors.Is(err, nats.ErrAuthorization), errors.Is(err, nats.ErrAuthExpired), errors.Is(err, nats.ErrAuthRevoked),
		errors.Is(err, nats.ErrAccountAuthExpired), errors.Is(err, nats.ErrSecureConnWanted), errors.Is(err, nats.ErrSecureConnRequired),
		errors.As(err, &ui), errors.As(err, &hn), errors.As(err, &ci):
		return false
	case errors.As(err, new(*settingsError)):
		return false // a bad file or option: nothing was tried
	}
	msg := err.Error()
	for _, refused := range []string{"certificate", "tls:", "authorization", "authentication"} {
		if strings.Contains(msg, refused) {
			return false
		}
	}
	return true
}
