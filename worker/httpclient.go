package worker

import (
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/hookworker/hookworker/internal/config"
	"github.com/hookworker/hookworker/internal/egress"
	"github.com/hookworker/hookworker/internal/h1"
)

// This file builds the worker's HTTP clients: net/http's, and, when
// redirects are off, package h1's beside it for the requests it takes
// (every http and https URL with an ASCII host and no user info), which
// costs about half as much CPU per request. Both dial only through the
// egress guard.

// fastClient is package h1's client with the egress guard's URL check.
type fastClient struct {
	*h1.Client
	checkURL func(*url.URL) error
}

// httpPolicy is the egress guard of c.
func httpPolicy(c config.HTTP) (egress.Policy, error) {
	allow, err := egress.ParseAllow(c.Allow)
	if err != nil {
		return egress.Policy{}, fmt.Errorf("http.allow: %w", err)
	}
	return egress.Policy{Rules: allow, HTTPSOnly: c.HTTPSOnly, MaxRedirects: c.MaxRedirects}, nil
}

// The limits both clients keep to.
const (
	idleConnTimeout     = 90 * time.Second
	tlsHandshakeTimeout = 10 * time.Second
	maxHeaderBytes      = 64 << 10 // an answer's header block
)

// idleConns is how many idle connections a client keeps per host, and
// for all.
func idleConns(c config.HTTP, concurrency int) (perHost, all int) {
	perHost = max(c.MaxIdleConnsPerHost, concurrency)
	return perHost, perHost * 4
}

// NewHTTPClient is the shared keep-alive client, behind the egress
// guard: every dialled address is checked against the policy (so DNS
// rebinding and redirects cannot reach a refused range), redirects are
// followed only as configured, each hop checked (a hop to another origin
// without the definition's headers and body), and an informational answer
// other than 100 and 103 ends the attempt. There is no client-wide
// timeout: each attempt has its own.
func NewHTTPClient(c config.HTTP, concurrency int) (*http.Client, error) {
	policy, err := httpPolicy(c)
	if err != nil {
		return nil, err
	}
	return newHTTPClient(policy, c, concurrency), nil
}

func newHTTPClient(policy egress.Policy, c config.HTTP, concurrency int) *http.Client {
	base := http.DefaultTransport.(*http.Transport).Clone()
	base.MaxIdleConnsPerHost, base.MaxIdleConns = idleConns(c, concurrency)
	base.IdleConnTimeout = idleConnTimeout
	base.TLSHandshakeTimeout = tlsHandshakeTimeout
	base.MaxResponseHeaderBytes = maxHeaderBytes
	return &http.Client{
		Transport:     egress.EndInformational(policy.Transport(base)),
		CheckRedirect: policy.CheckRedirect,
	}
}

// ownHTTP gives w its own clients: net/http's, and with redirects off
// (http.max_redirects 0, the default: a 3xx is the answer) its direct
// transport and package h1's client, with the same limits.
func (w *Worker) ownHTTP(c config.HTTP, concurrency int) error {
	policy, err := httpPolicy(c)
	if err != nil {
		return err
	}
	w.http = newHTTPClient(policy, c, concurrency)
	if c.MaxRedirects > 0 {
		return nil
	}
	w.direct = w.http.Transport // see send
	perHost, all := idleConns(c, concurrency)
	fast, err := h1.New(h1.Config{
		Dial:           policy.DialContext,
		MaxIdlePerHost: perHost, MaxIdle: all,
		IdleTimeout: idleConnTimeout, MaxHeaderBytes: maxHeaderBytes, TLSHandshakeTimeout: tlsHandshakeTimeout,
	})
	if err != nil {
		return err
	}
	w.fast = &fastClient{Client: fast, checkURL: policy.CheckURL}
	return nil
}
