package egress_test

import (
	"context"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hookworker/hookworker/internal/egress"
)

func TestTransportKeepsBase(t *testing.T) {
	base := &http.Transport{
		MaxIdleConns:        100,
		MaxIdleConnsPerHost: 17,
		IdleConnTimeout:     42 * time.Second,
		TLSHandshakeTimeout: 7 * time.Second,
		DisableKeepAlives:   true,
		ForceAttemptHTTP2:   true,
		Proxy:               http.ProxyFromEnvironment,
		DialTLSContext: func(context.Context, string, string) (net.Conn, error) {
			return nil, errors.New("unguarded TLS dial")
		},
	}
	got := egress.Policy{}.Transport(base)
	if got == base {
		t.Fatal("Transport returned base itself")
	}
	if got.MaxIdleConns != 100 || got.MaxIdleConnsPerHost != 17 || got.IdleConnTimeout != 42*time.Second ||
		got.TLSHandshakeTimeout != 7*time.Second || !got.DisableKeepAlives || !got.ForceAttemptHTTP2 {
		t.Errorf("settings of base lost: %+v", got)
	}
	if got.DialTLSContext != nil || got.DialTLS != nil || got.Dial != nil || got.DialContext == nil {
		t.Error("dial functions: want only DialContext")
	}
	if base.DialTLSContext == nil || base.Proxy == nil {
		t.Error("base was modified")
	}
	// The proxy hook never names a proxy, even with HTTPS_PROXY set.
	t.Setenv("HTTP_PROXY", "http://127.0.0.1:1")
	t.Setenv("HTTPS_PROXY", "http://127.0.0.1:1")
	r, _ := http.NewRequest("GET", "https://example.com/", nil)
	if u, err := got.Proxy(r); u != nil || err != nil {
		t.Errorf("Proxy = %v, %v; want none", u, err)
	}
	if (egress.Policy{}).Transport(nil) == http.DefaultTransport {
		t.Error("Transport(nil) returned the default transport itself")
	}
}

// dnsServer is a tiny DNS responder on 127.0.0.1 UDP answering A and AAAA
// queries from a table the test changes at will.
type dnsServer struct {
	conn    net.PacketConn
	mu      sync.Mutex
	names   map[string][]netip.Addr // lower-case, no trailing dot
	queries atomic.Int64
}

func newDNSServer(t *testing.T) *dnsServer {
	t.Helper()
	c, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &dnsServer{conn: c, names: map[string][]netip.Addr{}}
	done := make(chan struct{})
	go func() {
		defer close(done)
		buf := make([]byte, 1500)
		for {
			n, from, err := c.ReadFrom(buf)
			if err != nil {
				return
			}
			if resp := s.answer(buf[:n]); resp != nil {
				c.WriteTo(resp, from)
			}
		}
	}()
	t.Cleanup(func() { c.Close(); <-done })
	return s
}

func (s *dnsServer) set(name string, addrs ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var as []netip.Addr
	for _, a := range addrs {
		as = append(as, netip.MustParseAddr(a))
	}
	s.names[name] = as
}

// resolver sends every query to s, whatever resolv.conf names.
func (s *dnsServer) resolver() *net.Resolver {
	return &net.Resolver{
		PreferGo: true,
		Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "udp", s.conn.LocalAddr().String())
		},
	}
}

func (s *dnsServer) answer(q []byte) []byte {
	if len(q) < 12 || binary.BigEndian.Uint16(q[4:]) != 1 {
		return nil
	}
	// The question: labels, then type and class.
	var labels []string
	i := 12
	for {
		if i >= len(q) {
			return nil
		}
		l := int(q[i])
		i++
		if l == 0 {
			break
		}
		if l > 63 || i+l > len(q) {
			return nil
		}
		labels = append(labels, string(q[i:i+l]))
		i += l
	}
	if i+4 > len(q) {
		return nil
	}
	qtype := binary.BigEndian.Uint16(q[i:])
	question := q[12 : i+4]
	s.queries.Add(1)

	s.mu.Lock()
	addrs, known := s.names[strings.ToLower(strings.Join(labels, "."))]
	s.mu.Unlock()
	var answers [][]byte
	for _, a := range addrs {
		switch {
		case qtype == 1 && a.Is4():
			b := a.As4()
			answers = append(answers, b[:])
		case qtype == 28 && a.Is6():
			b := a.As16()
			answers = append(answers, b[:])
		}
	}
	flags := uint16(0x8000) | binary.BigEndian.Uint16(q[2:])&0x7900 | 0x0080 // QR, opcode and RD copied, RA
	if !known {
		flags |= 3 // NXDOMAIN
	}
	resp := binary.BigEndian.AppendUint16(nil, binary.BigEndian.Uint16(q))
	resp = binary.BigEndian.AppendUint16(resp, flags)
	resp = binary.BigEndian.AppendUint16(resp, 1)
	resp = binary.BigEndian.AppendUint16(resp, uint16(len(answers)))
	resp = append(resp, 0, 0, 0, 0)
	resp = append(resp, question...)
	for _, rdata := range answers {
		resp = append(resp, 0xc0, 12) // the name: a pointer to the question's
		resp = binary.BigEndian.AppendUint16(resp, qtype)
		resp = binary.BigEndian.AppendUint16(resp, 1) // IN
		resp = binary.BigEndian.AppendUint32(resp, 0) // TTL
		resp = binary.BigEndian.AppendUint16(resp, uint16(len(rdata)))
		resp = append(resp, rdata...)
	}
	return resp
}

// target is an httptest server on a loopback address that counts requests.
type target struct {
	*httptest.Server
	hits atomic.Int64
	port string
}

func newTarget(t *testing.T, ip string, tls bool, h http.HandlerFunc) *target {
	t.Helper()
	tg := &target{}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tg.hits.Add(1)
		if h == nil {
			io.WriteString(w, "ok")
			return
		}
		h(w, r)
	}))
	l, err := net.Listen("tcp", ip+":0")
	if err != nil {
		t.Fatalf("listen on %s: %v", ip, err)
	}
	srv.Listener.Close()
	srv.Listener = l
	if tls {
		srv.StartTLS()
	} else {
		srv.Start()
	}
	t.Cleanup(srv.Close)
	tg.Server = srv
	_, tg.port, _ = net.SplitHostPort(l.Addr().String())
	return tg
}

func client(p egress.Policy, base *http.Transport) *http.Client {
	if base == nil {
		base = &http.Transport{}
	}
	return &http.Client{Transport: p.Transport(base), CheckRedirect: p.CheckRedirect, Timeout: 10 * time.Second}
}

func get(c *http.Client, u string) (*http.Response, error) {
	resp, err := c.Get(u)
	if resp != nil {
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	return resp, err
}

// wantBlocked checks err is a refusal of addr as http.Client.Do returns it.
func wantBlocked(t *testing.T, err error, addr string, dial bool) {
	t.Helper()
	if !errors.Is(err, egress.ErrBlocked) {
		t.Fatalf("err = %v, want ErrBlocked", err)
	}
	var ue *url.Error
	if !errors.As(err, &ue) {
		t.Errorf("err = %T, want a *url.Error", err)
	}
	if addr == "" {
		return
	}
	var be *egress.BlockedError
	if !errors.As(err, &be) {
		t.Fatalf("err = %v, want a *BlockedError inside", err)
	}
	if be.Addr != netip.MustParseAddr(addr) {
		t.Errorf("refused %s, want %s", be.Addr, addr)
	}
	var oe *net.OpError
	if dial && !errors.As(err, &oe) {
		t.Errorf("err = %v, want a *net.OpError inside (refused by the dialer)", err)
	}
}

func TestLoopbackLiteralRefusedByDialer(t *testing.T) {
	srv := newTarget(t, "127.0.0.1", false, nil)
	c := client(egress.Policy{}, nil)
	_, err := get(c, srv.URL)
	wantBlocked(t, err, "127.0.0.1", false) // the proxy hook's CheckURL sees the literal first

	// The dialer's own refusal, with the URL check out of the way.
	tr := egress.Policy{}.Transport(&http.Transport{})
	tr.Proxy = nil
	_, err = get(&http.Client{Transport: tr}, srv.URL)
	wantBlocked(t, err, "127.0.0.1", true)
	t.Logf("error through Client.Do: %v", err)

	if n := srv.hits.Load(); n != 0 {
		t.Errorf("target got %d requests", n)
	}
	// Allow-listed, the same request goes through.
	_, err = get(client(egress.Policy{Allow: prefixes(t, "127.0.0.0/8")}, nil), srv.URL)
	if err != nil || srv.hits.Load() != 1 {
		t.Errorf("allowed request: %v, %d hits", err, srv.hits.Load())
	}
}

func prefixes(t *testing.T, ss ...string) []netip.Prefix {
	t.Helper()
	p, err := egress.ParsePrefixes(ss)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestNameResolvingToLoopback(t *testing.T) {
	dns := newDNSServer(t)
	dns.set("hook.example.test", "127.0.0.1")
	srv := newTarget(t, "127.0.0.1", false, nil)
	u := "http://hook.example.test:" + srv.port + "/"

	_, err := get(client(egress.Policy{Resolver: dns.resolver()}, nil), u)
	wantBlocked(t, err, "127.0.0.1", true)
	if srv.hits.Load() != 0 {
		t.Fatal("the refused request reached the target")
	}
	if dns.queries.Load() == 0 {
		t.Fatal("the test resolver was not used")
	}

	resp, err := get(client(egress.Policy{Resolver: dns.resolver(), Allow: prefixes(t, "127.0.0.0/8")}, nil), u)
	if err != nil || resp.StatusCode != 200 || srv.hits.Load() != 1 {
		t.Fatalf("allow-listed: %v, %v, %d hits", resp, err, srv.hits.Load())
	}

	// A name resolving to several addresses: refused ones are skipped.
	dns.set("mixed.example.test", "10.0.0.1", "127.0.0.1")
	_, err = get(client(egress.Policy{Resolver: dns.resolver(), Allow: prefixes(t, "127.0.0.1")}, nil),
		"http://mixed.example.test:"+srv.port+"/")
	if err != nil || srv.hits.Load() != 2 {
		t.Fatalf("mixed: %v, %d hits", err, srv.hits.Load())
	}
}

func TestRebinding(t *testing.T) {
	dns := newDNSServer(t)
	dns.set("rebind.example.test", "127.0.0.2")
	srv := newTarget(t, "127.0.0.2", false, nil)
	p := egress.Policy{Resolver: dns.resolver(), Allow: prefixes(t, "127.0.0.2/32")}
	c := client(p, &http.Transport{DisableKeepAlives: true})
	u := "http://rebind.example.test:" + srv.port + "/"

	if _, err := get(c, u); err != nil || srv.hits.Load() != 1 {
		t.Fatalf("first request: %v, %d hits", err, srv.hits.Load())
	}
	dns.set("rebind.example.test", "127.0.0.1")
	_, err := get(c, u)
	wantBlocked(t, err, "127.0.0.1", true)
	if srv.hits.Load() != 1 {
		t.Errorf("target got %d requests, want 1", srv.hits.Load())
	}
}

func TestRedirects(t *testing.T) {
	dns := newDNSServer(t)
	internal := newTarget(t, "127.0.0.1", false, nil)
	dns.set("internal.example.test", "127.0.0.1")
	redirectTo := func(loc string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, loc, http.StatusFound) }
	}
	allow2 := prefixes(t, "127.0.0.2/32")

	t.Run("off: the 302 is the answer", func(t *testing.T) {
		public := newTarget(t, "127.0.0.2", false, redirectTo(internal.URL))
		resp, err := get(client(egress.Policy{Allow: allow2}, nil), public.URL)
		if err != nil || resp.StatusCode != http.StatusFound {
			t.Fatalf("%v, %v", resp, err)
		}
	})
	t.Run("to a refused literal", func(t *testing.T) {
		public := newTarget(t, "127.0.0.2", false, redirectTo(internal.URL+"/admin"))
		_, err := get(client(egress.Policy{Allow: allow2, MaxRedirects: 3}, nil), public.URL)
		wantBlocked(t, err, "127.0.0.1", false)
		if public.hits.Load() != 1 {
			t.Errorf("first hop: %d hits", public.hits.Load())
		}
	})
	t.Run("to a name of a refused address", func(t *testing.T) {
		public := newTarget(t, "127.0.0.2", false,
			redirectTo("http://internal.example.test:"+internal.port+"/admin"))
		_, err := get(client(egress.Policy{Allow: allow2, MaxRedirects: 3, Resolver: dns.resolver()}, nil), public.URL)
		wantBlocked(t, err, "127.0.0.1", true)
	})
	t.Run("allowed hops are followed", func(t *testing.T) {
		public := newTarget(t, "127.0.0.2", false, redirectTo(internal.URL+"/fine"))
		resp, err := get(client(egress.Policy{Allow: prefixes(t, "127.0.0.0/8"), MaxRedirects: 1}, nil), public.URL)
		if err != nil || resp.StatusCode != 200 || resp.Request.URL.Path != "/fine" {
			t.Fatalf("%v, %v", resp, err)
		}
	})
	t.Run("more hops than MaxRedirects", func(t *testing.T) {
		var loop *target
		loop = newTarget(t, "127.0.0.2", false, func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, loop.URL+"/again", http.StatusFound)
		})
		_, err := get(client(egress.Policy{Allow: allow2, MaxRedirects: 3}, nil), loop.URL)
		if !errors.Is(err, egress.ErrBlocked) || !strings.Contains(err.Error(), "more than 3 redirects") {
			t.Fatalf("err = %v", err)
		}
		if n := loop.hits.Load(); n != 4 {
			t.Errorf("%d requests, want 4 (the first and 3 hops)", n)
		}
	})

	// https: the httptest certificate is valid for example.com, which the
	// test resolver maps to 127.0.0.2.
	dns.set("example.com", "127.0.0.2")
	var tlsSrv *target
	tlsSrv = newTarget(t, "127.0.0.2", true, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/to-http":
			http.Redirect(w, r, "http://example.com:"+tlsSrv.port+"/", http.StatusFound)
		case "/to-https":
			http.Redirect(w, r, "https://example.com:"+tlsSrv.port+"/", http.StatusFound)
		default:
			io.WriteString(w, "ok")
		}
	})
	tlsBase := tlsSrv.Client().Transport.(*http.Transport) // trusts the test certificate
	https := "https://example.com:" + tlsSrv.port
	hp := egress.Policy{Allow: allow2, MaxRedirects: 3, HTTPSOnly: true, Resolver: dns.resolver()}

	t.Run("https only: https is dialled through the guard", func(t *testing.T) {
		resp, err := get(client(hp, tlsBase), https+"/to-https")
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("%v, %v", resp, err)
		}
		dns.set("example.com", "127.0.0.1")
		defer dns.set("example.com", "127.0.0.2")
		_, err = get(client(hp, tlsBase), https+"/")
		wantBlocked(t, err, "127.0.0.1", true)
	})
	t.Run("https only refuses an http hop", func(t *testing.T) {
		before := tlsSrv.hits.Load()
		_, err := get(client(hp, tlsBase), https+"/to-http")
		wantBlocked(t, err, "", false)
		if !strings.Contains(err.Error(), "https only") {
			t.Errorf("err = %v", err)
		}
		if n := tlsSrv.hits.Load() - before; n != 1 {
			t.Errorf("%d requests, want 1", n)
		}
	})
	t.Run("https only refuses an http URL", func(t *testing.T) {
		before := tlsSrv.hits.Load()
		_, err := get(client(hp, tlsBase), "http://example.com:"+tlsSrv.port+"/")
		wantBlocked(t, err, "", false)
		if !strings.Contains(err.Error(), "https only") || tlsSrv.hits.Load() != before {
			t.Errorf("err = %v", err)
		}
	})
}
