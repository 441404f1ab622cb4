package egress

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"syscall"
	"time"
)

// Transport returns a clone of base (nil: http.DefaultTransport) whose
// connections are all made by a dialer with [Policy.Control] as its
// Control hook and [Policy.Resolver] as its resolver. The clone keeps
// base's transport settings (TLS, idle and keep-alive pool, timeouts);
// its dialer uses net/http's default connect timeout and TCP keep-alive
// (30s each), since those of base's dial function cannot be read.
//
// Dial, DialTLS and DialTLSContext are cleared, so that https connections
// go through the guarded dialer too. No proxy is ever used: Proxy is a hook
// that names none and refuses requests [Policy.CheckURL] refuses, so that
// HTTPSOnly holds even for a caller that did not call CheckURL.
func (p Policy) Transport(base *http.Transport) *http.Transport {
	if base == nil {
		base, _ = http.DefaultTransport.(*http.Transport)
		if base == nil {
			base = &http.Transport{}
		}
	}
	t := base.Clone()
	t.Dial = nil
	t.DialTLS = nil
	t.DialTLSContext = nil
	t.DialContext = p.DialContext
	t.Proxy = func(req *http.Request) (*url.URL, error) { return nil, p.CheckURL(req.URL) }
	t.ProxyConnectHeader = nil
	t.GetProxyConnectHeader = nil
	t.OnProxyConnectResponse = nil
	return t
}

// DialContext makes a connection to address as every request of the
// guard does: each address the name resolves to (through
// [Policy.Resolver]) is checked in the dialer's Control hook, with the
// URL's host name for the allow rules that name hosts, on the very address
// the socket is about to connect to. It uses net/http's default connect
// timeout and TCP keep-alive (30s each); ctx bounds it too.
func (p Policy) DialContext(ctx context.Context, network, address string) (net.Conn, error) {
	name, _ := hostPort(address)
	if _, err := netip.ParseAddr(name); err == nil {
		name = ""
	}
	d := &net.Dialer{
		Timeout:   30 * time.Second,
		KeepAlive: 30 * time.Second,
		Resolver:  p.Resolver,
		Control: func(network, address string, _ syscall.RawConn) error {
			return p.control(name, network, address)
		},
	}
	return d.DialContext(ctx, network, address)
}

// CheckRedirect is for http.Client.CheckRedirect. With MaxRedirects 0 it
// returns http.ErrUseLastResponse: the 3xx is the answer. Otherwise it
// refuses hop MaxRedirects+1 and any hop [Policy.CheckURL] refuses; the
// hop's address is checked by the dialer like any other. A hop to another
// origin (scheme, host or port) than the first request's carries no body
// and no header but Accept, Accept-Language, User-Agent and
// Idempotency-Key.
func (p Policy) CheckRedirect(req *http.Request, via []*http.Request) error {
	if p.MaxRedirects <= 0 {
		return http.ErrUseLastResponse
	}
	if len(via) > p.MaxRedirects {
		return fmt.Errorf("%w: more than %d redirects", ErrBlocked, p.MaxRedirects)
	}
	if err := p.CheckURL(req.URL); err != nil {
		return err
	}
	if len(via) > 0 && !sameOrigin(req.URL, via[0].URL) {
		strip(req)
	}
	return nil
}

// keptAcrossOrigins are the only headers a hop to another origin carries:
// every other one may be a credential the definition set (Authorization,
// X-Api-Key, a signature, a cookie).
var keptAcrossOrigins = map[string]bool{
	"Accept": true, "Accept-Language": true, "User-Agent": true, "Idempotency-Key": true,
}

// strip leaves a request for another origin than the first one without
// its credentials and its body.
func strip(req *http.Request) {
	for k := range req.Header {
		if !keptAcrossOrigins[http.CanonicalHeaderKey(k)] {
			delete(req.Header, k)
		}
	}
	if req.Body != nil && req.Body != http.NoBody {
		req.Body.Close()
	}
	req.Body, req.GetBody, req.ContentLength = http.NoBody, nil, 0
}

// sameOrigin: the same scheme, host name and port.
func sameOrigin(a, b *url.URL) bool {
	return strings.EqualFold(a.Scheme, b.Scheme) && strings.EqualFold(a.Hostname(), b.Hostname()) && urlPort(a) == urlPort(b)
}

// CheckURL refuses a URL whose scheme is not http or https, a plain http
// one when HTTPSOnly, one without a host, and one whose host is an address
// [Policy.Check] refuses. It is an early, clear error: the address dialled
// is checked whatever CheckURL said.
func (p Policy) CheckURL(u *url.URL) error {
	if u == nil {
		return fmt.Errorf("%w: no URL", ErrBlocked)
	}
	switch {
	case strings.EqualFold(u.Scheme, "https"):
	case strings.EqualFold(u.Scheme, "http"):
		if p.HTTPSOnly {
			return fmt.Errorf("%w: plain http to %s (https only)", ErrBlocked, u.Host)
		}
	default:
		return fmt.Errorf("%w: scheme %q is not http or https", ErrBlocked, u.Scheme)
	}
	host := u.Hostname()
	if host == "" {
		return fmt.Errorf("%w: URL has no host", ErrBlocked)
	}
	if a, err := netip.ParseAddr(host); err == nil {
		return p.CheckDial("", a, urlPort(u))
	}
	return nil
}

// urlPort is the port a URL is dialled on.
func urlPort(u *url.URL) uint16 {
	if _, port := hostPort(u.Host); port != 0 {
		return port
	}
	if strings.EqualFold(u.Scheme, "https") {
		return 443
	}
	return 80
}
