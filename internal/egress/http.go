package egress

import (
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
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
	d := &net.Dialer{
		Timeout:   30 * time.Second,
		KeepAlive: 30 * time.Second,
		Resolver:  p.Resolver,
		Control:   p.Control,
	}
	t.Dial = nil
	t.DialTLS = nil
	t.DialTLSContext = nil
	t.DialContext = d.DialContext
	t.Proxy = func(req *http.Request) (*url.URL, error) { return nil, p.CheckURL(req.URL) }
	t.ProxyConnectHeader = nil
	t.GetProxyConnectHeader = nil
	t.OnProxyConnectResponse = nil
	return t
}

// CheckRedirect is for http.Client.CheckRedirect. With MaxRedirects 0 it
// returns http.ErrUseLastResponse: the 3xx is the answer. Otherwise it
// refuses hop MaxRedirects+1 and any hop [Policy.CheckURL] refuses; the
// hop's address is checked by the dialer like any other.
func (p Policy) CheckRedirect(req *http.Request, via []*http.Request) error {
	if p.MaxRedirects <= 0 {
		return http.ErrUseLastResponse
	}
	if len(via) > p.MaxRedirects {
		return fmt.Errorf("%w: more than %d redirects", ErrBlocked, p.MaxRedirects)
	}
	return p.CheckURL(req.URL)
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
		return p.Check(a)
	}
	return nil
}
