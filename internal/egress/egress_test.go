package egress_test

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
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

// Tests never send a packet to a non-loopback address: decisions about
// other ranges are made on Check and Control directly, and every real dial
// (DNS included) goes to a server of the test on 127.0.0.1 or 127.0.0.2.

func TestCheck(t *testing.T) {
	tests := []struct {
		addr   string
		reason string // "": allowed
	}{
		// Allowed public examples.
		{"8.8.8.8", ""},
		{"1.1.1.1", ""},
		{"93.184.216.34", ""},
		{"2606:4700::1111", ""},
		{"2a00:1450:4001:80b::200e", ""},
		{"::ffff:8.8.8.8", ""},
		{"64:ff9b::808:808", ""},                     // NAT64 of 8.8.8.8
		{"64:ff9b:1::101:101", ""},                   // local-use NAT64 /96 of 1.1.1.1
		{"2002:808:808::1", ""},                      // 6to4 of 8.8.8.8
		{"2001:0:4136:e378:8000:63bf:f7f7:f7f7", ""}, // Teredo, server 65.54.227.120, client 8.8.8.8
		{"100.63.255.255", ""},
		{"100.128.0.0", ""},
		{"172.15.255.255", ""},
		{"172.32.0.0", ""},
		{"192.0.1.1", ""},
		{"198.17.255.255", ""},
		{"198.20.0.0", ""},
		{"223.255.255.255", ""},

		// IPv4.
		{"127.0.0.1", "loopback"},
		{"127.0.0.2", "loopback"},
		{"127.255.255.254", "loopback"},
		{"10.0.0.1", "private (RFC 1918)"},
		{"10.255.255.255", "private (RFC 1918)"},
		{"172.16.0.1", "private (RFC 1918)"},
		{"172.31.255.255", "private (RFC 1918)"},
		{"192.168.1.1", "private (RFC 1918)"},
		{"100.64.0.1", "carrier-grade NAT"},
		{"100.127.255.255", "carrier-grade NAT"},
		{"169.254.169.254", "link-local (cloud metadata)"},
		{"169.254.1.1", "link-local"},
		{"224.0.0.1", "multicast"},
		{"239.255.255.250", "multicast"},
		{"0.0.0.0", "unspecified"},
		{"0.1.2.3", "unspecified"},
		{"255.255.255.255", "broadcast"},
		{"240.0.0.1", "reserved"},
		{"198.18.0.1", "benchmarking"},
		{"198.19.255.255", "benchmarking"},
		{"192.0.0.8", "IETF protocol assignments"},
		{"192.0.2.1", "documentation"},
		{"198.51.100.7", "documentation"},
		{"203.0.113.9", "documentation"},
		{"192.88.99.1", "6to4 relay anycast"},

		// IPv6.
		{"::1", "loopback"},
		{"::", "unspecified"},
		{"fe80::1", "link-local"},
		{"fe80::1%eth0", "link-local"},
		{"febf::1", "link-local"},
		{"ff02::1", "multicast"},
		{"ff05::1:3", "multicast"},
		{"fc00::1", "unique local (ULA)"},
		{"fd00:ec2::254", "unique local (ULA)"}, // AWS metadata over IPv6
		{"2001:db8::1", "documentation"},
		{"3fff::1", "documentation"},
		{"2001:2::1", "benchmarking"},
		{"fec0::1", "site-local (deprecated)"},
		{"100::1", "discard-only"},
		{"4000::1", "reserved (not global unicast)"},
		{"5f00::1", "reserved (not global unicast)"},

		// IPv4-mapped: judged as IPv4.
		{"::ffff:127.0.0.1", "loopback"},
		{"::ffff:10.0.0.1", "private (RFC 1918)"},
		{"::ffff:169.254.169.254", "link-local (cloud metadata)"},
		{"::ffff:0.0.0.0", "unspecified"},
		// IPv4-compatible and IPv4-translated.
		{"::127.0.0.1", "IPv4-compatible form of 127.0.0.1, loopback"},
		{"::8.8.8.8", "IPv4-compatible (deprecated)"},
		{"::ffff:0:127.0.0.1", "IPv4-translated form of 127.0.0.1, loopback"},
		{"::ffff:0:8.8.8.8", "IPv4-translated"},
		// NAT64.
		{"64:ff9b::127.0.0.1", "NAT64 form of 127.0.0.1, loopback"},
		{"64:ff9b::a9fe:a9fe", "NAT64 form of 169.254.169.254, link-local (cloud metadata)"},
		{"64:ff9b::c0a8:101", "NAT64 form of 192.168.1.1, private (RFC 1918)"},
		{"64:ff9b:1::7f00:1", "NAT64 form of 127.0.0.1, loopback"},
		{"64:ff9b:1:7f00:0:100::", "NAT64 form of 127.0.0.1, loopback"},        // /48 reading
		{"64:ff9b:1:ab0a:0:1::", "NAT64 form of 10.0.0.1, private (RFC 1918)"}, // /56 reading
		{"64:ff9b:1:ab00:7f:0:100:0", "NAT64 form of 127.0.0.1, loopback"},     // /64 reading; the /96 one is 1.0.0.0
		{"64:ff9b:1:ab00:8:808:800:0", ""},                                     // /64 reading 8.8.8.8, /96 one 8.0.0.0
		// 6to4.
		{"2002:7f00:1::1", "6to4 form of 127.0.0.1, loopback"},
		{"2002:a9fe:a9fe::", "6to4 form of 169.254.169.254, link-local (cloud metadata)"},
		{"2002:a00:1::", "6to4 form of 10.0.0.1, private (RFC 1918)"},
		// Teredo: the client address is stored inverted.
		{"2001:0:4136:e378:8000:63bf:80ff:fffe", "Teredo form of 127.0.0.1, loopback"},
		{"2001:0:4136:e378:8000:63bf:f5ff:fffe", "Teredo form of 10.0.0.1, private (RFC 1918)"},
		{"2001:0:a00:1:8000:63bf:f7f7:f7f7", "Teredo server form of 10.0.0.1, private (RFC 1918)"},
	}
	var p egress.Policy
	for _, tt := range tests {
		t.Run(tt.addr, func(t *testing.T) {
			a := netip.MustParseAddr(tt.addr)
			checkDecision(t, "Check", p.Check(a), a, tt.reason)
			hostport := netip.AddrPortFrom(a, 443).String()
			checkDecision(t, "Control", p.Control("tcp", hostport, nil), a, tt.reason)
			if a.Is4() {
				checkDecision(t, "Control tcp6", p.Control("tcp6", "[::ffff:"+tt.addr+"]:80", nil),
					netip.MustParseAddr("::ffff:"+tt.addr), tt.reason)
			}
		})
	}
}

func checkDecision(t *testing.T, what string, err error, a netip.Addr, reason string) {
	t.Helper()
	if reason == "" {
		if err != nil {
			t.Errorf("%s(%s) = %v, want allowed", what, a, err)
		}
		return
	}
	var be *egress.BlockedError
	switch {
	case err == nil:
		t.Errorf("%s(%s) allowed, want refused: %s", what, a, reason)
	case !errors.Is(err, egress.ErrBlocked):
		t.Errorf("%s(%s) = %v, not ErrBlocked", what, a, err)
	case !errors.As(err, &be):
		t.Errorf("%s(%s) = %v, not a *BlockedError", what, a, err)
	case be.Reason != reason || be.Addr != a:
		t.Errorf("%s(%s) = {%s, %q}, want {%s, %q}", what, a, be.Addr, be.Reason, a, reason)
	}
}

func TestAllow(t *testing.T) {
	tests := []struct {
		allow []string
		addr  string
		ok    bool
	}{
		{nil, "127.0.0.1", false},
		{[]string{"127.0.0.0/8"}, "127.0.0.1", true},
		{[]string{"127.0.0.0/8"}, "127.3.4.5", true},
		{[]string{"127.0.0.0/8"}, "::ffff:127.0.0.1", true},
		{[]string{"127.0.0.0/8"}, "::1", false},
		{[]string{"127.0.0.0/8"}, "64:ff9b::7f00:1", false}, // the list does not reach into NAT64
		{[]string{"127.0.0.0/8", "::1"}, "::1", true},
		{[]string{"127.0.0.2"}, "127.0.0.2", true},
		{[]string{"127.0.0.2"}, "127.0.0.1", false},
		{[]string{"10.1.0.0/16"}, "10.1.2.3", true},
		{[]string{"10.1.0.0/16"}, "10.2.0.1", false},
		{[]string{"fe80::/10"}, "fe80::1%eth0", true},
		{[]string{"::ffff:192.168.0.0/112"}, "192.168.7.7", true},
		{[]string{"169.254.0.0/16"}, "169.254.169.254", true},
		{[]string{"10.0.0.0/8"}, "8.8.8.8", true},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.allow, tt.addr), func(t *testing.T) {
			allow, err := egress.ParsePrefixes(tt.allow)
			if err != nil {
				t.Fatal(err)
			}
			p := egress.Policy{Allow: allow}
			a := netip.MustParseAddr(tt.addr)
			err = p.Check(a)
			if (err == nil) != tt.ok {
				t.Errorf("Check(%s) = %v, want allowed %v", a, err, tt.ok)
			}
			err = p.Control("tcp", netip.AddrPortFrom(a, 80).String(), nil)
			if (err == nil) != tt.ok {
				t.Errorf("Control(%s) = %v, want allowed %v", a, err, tt.ok)
			}
		})
	}
	// A prefix put in Allow directly, unnormalized, works too.
	p := egress.Policy{Allow: []netip.Prefix{netip.MustParsePrefix("::ffff:127.0.0.0/104")}}
	if err := p.Check(netip.MustParseAddr("127.0.0.1")); err != nil {
		t.Errorf("IPv4-mapped allow prefix: %v", err)
	}
}

func TestControlRefusesWhatItCannotParse(t *testing.T) {
	for _, tt := range []struct{ network, address string }{
		{"tcp", "localhost:80"},
		{"tcp", "127.0.0.1"},
		{"tcp", ""},
		{"unix", "/run/docker.sock"},
		{"tcp", "[::1]"},
	} {
		err := egress.Policy{}.Control(tt.network, tt.address, nil)
		if !errors.Is(err, egress.ErrBlocked) {
			t.Errorf("Control(%q, %q) = %v, want ErrBlocked", tt.network, tt.address, err)
		}
	}
	if err := (egress.Policy{}).Check(netip.Addr{}); !errors.Is(err, egress.ErrBlocked) {
		t.Errorf("Check(zero Addr) = %v, want ErrBlocked", err)
	}
}

func TestErrorMessage(t *testing.T) {
	for _, tt := range []struct{ addr, want string }{
		{"127.0.0.1", "egress to 127.0.0.1 refused: loopback"},
		{"169.254.169.254", "egress to 169.254.169.254 refused: link-local (cloud metadata)"},
		{"64:ff9b::a00:1", "egress to 64:ff9b::a00:1 refused: NAT64 form of 10.0.0.1, private (RFC 1918)"},
	} {
		err := egress.Policy{}.Check(netip.MustParseAddr(tt.addr))
		if err == nil || err.Error() != tt.want {
			t.Errorf("Check(%s) = %v, want %q", tt.addr, err, tt.want)
		}
	}
	err := egress.Policy{}.Control("tcp", "localhost:80", nil)
	if want := `egress refused: tcp address "localhost:80" is not IP:port`; err == nil || err.Error() != want {
		t.Errorf("Control: %v, want %q", err, want)
	}
}

func TestParsePrefixes(t *testing.T) {
	good := []struct {
		in   []string
		want string
	}{
		{nil, "[]"},
		{[]string{"10.0.0.0/8"}, "[10.0.0.0/8]"},
		{[]string{"127.0.0.1"}, "[127.0.0.1/32]"},
		{[]string{"::1"}, "[::1/128]"},
		{[]string{" 192.168.0.0/16 ", "2001:db8::/32"}, "[192.168.0.0/16 2001:db8::/32]"},
		{[]string{"10.1.2.3/8"}, "[10.0.0.0/8]"},
		{[]string{"::ffff:127.0.0.0/104"}, "[127.0.0.0/8]"},
		{[]string{"::ffff:127.0.0.2"}, "[127.0.0.2/32]"},
	}
	for _, tt := range good {
		got, err := egress.ParsePrefixes(tt.in)
		if err != nil {
			t.Errorf("ParsePrefixes(%q): %v", tt.in, err)
			continue
		}
		if s := fmt.Sprint(got); s != tt.want {
			t.Errorf("ParsePrefixes(%q) = %s, want %s", tt.in, s, tt.want)
		}
	}
	bad := []struct {
		in   []string
		want string // in the error
	}{
		{[]string{"10.0.0.0/33"}, `allow[0] "10.0.0.0/33"`},
		{[]string{"127.0.0.0/8", "localhost"}, `allow[1] "localhost"`},
		{[]string{"10.0.0.0/8", ""}, `allow[1] ""`},
		{[]string{"1.2.3.4/x"}, `allow[0] "1.2.3.4/x"`},
		{[]string{"fe80::1%eth0"}, `allow[0] "fe80::1%eth0"`},
		{[]string{"300.1.1.1"}, `allow[0] "300.1.1.1"`},
	}
	for _, tt := range bad {
		_, err := egress.ParsePrefixes(tt.in)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("ParsePrefixes(%q) = %v, want an error naming %s", tt.in, err, tt.want)
		}
	}
}

func TestCheckURL(t *testing.T) {
	tests := []struct {
		url       string
		httpsOnly bool
		allow     []string
		want      string // "": allowed; else in the error
	}{
		{"https://example.com/hook", false, nil, ""},
		{"http://example.com/hook", false, nil, ""},
		{"HTTPS://example.com/hook", true, nil, ""},
		{"http://example.com/hook", true, nil, "plain http to example.com (https only)"},
		{"ftp://example.com/", false, nil, `scheme "ftp"`},
		{"file:///etc/passwd", false, nil, `scheme "file"`},
		{"gopher://127.0.0.1:6379/", false, nil, `scheme "gopher"`},
		{"http:///nohost", false, nil, "no host"},
		{"http://127.0.0.1:8080/", false, nil, "egress to 127.0.0.1 refused: loopback"},
		{"http://127.0.0.1:8080/", false, []string{"127.0.0.0/8"}, ""},
		{"https://[::1]/", false, nil, "refused: loopback"},
		{"https://[fe80::1%25eth0]/", false, nil, "refused: link-local"},
		{"http://169.254.169.254/latest/meta-data/", false, nil, "cloud metadata"},
		{"http://[::ffff:a9fe:a9fe]/", false, nil, "cloud metadata"},
		{"https://8.8.8.8/", false, nil, ""},
		// Not IP literals: left to the dialer, which sees the address.
		{"http://localhost/", false, nil, ""},
		{"http://2130706433/", false, nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			allow, err := egress.ParsePrefixes(tt.allow)
			if err != nil {
				t.Fatal(err)
			}
			u, err := url.Parse(tt.url)
			if err != nil {
				t.Fatal(err)
			}
			err = egress.Policy{HTTPSOnly: tt.httpsOnly, Allow: allow}.CheckURL(u)
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("CheckURL = %v, want allowed", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Errorf("CheckURL = %v, want an error with %q", err, tt.want)
			case err != nil && !errors.Is(err, egress.ErrBlocked):
				t.Errorf("CheckURL = %v, not ErrBlocked", err)
			}
		})
	}
	if err := (egress.Policy{}).CheckURL(nil); !errors.Is(err, egress.ErrBlocked) {
		t.Errorf("CheckURL(nil) = %v", err)
	}
}

func TestCheckRedirectUnit(t *testing.T) {
	req := func(s string) *http.Request {
		r, err := http.NewRequest("GET", s, nil)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	via := func(n int) []*http.Request {
		out := make([]*http.Request, n)
		for i := range out {
			out[i] = req("https://example.com/")
		}
		return out
	}
	tests := []struct {
		name string
		p    egress.Policy
		to   string
		hops int
		want error // nil, http.ErrUseLastResponse or egress.ErrBlocked
	}{
		{"off", egress.Policy{}, "https://example.com/", 1, http.ErrUseLastResponse},
		{"first of 3", egress.Policy{MaxRedirects: 3}, "https://example.com/", 1, nil},
		{"third of 3", egress.Policy{MaxRedirects: 3}, "https://example.com/", 3, nil},
		{"fourth of 3", egress.Policy{MaxRedirects: 3}, "https://example.com/", 4, egress.ErrBlocked},
		{"to loopback literal", egress.Policy{MaxRedirects: 3}, "http://127.0.0.1/", 1, egress.ErrBlocked},
		{"to metadata", egress.Policy{MaxRedirects: 3}, "http://169.254.169.254/", 1, egress.ErrBlocked},
		{"http hop, https only", egress.Policy{MaxRedirects: 3, HTTPSOnly: true}, "http://example.com/", 1, egress.ErrBlocked},
		{"https hop, https only", egress.Policy{MaxRedirects: 3, HTTPSOnly: true}, "https://example.com/", 1, nil},
		{"to file", egress.Policy{MaxRedirects: 3}, "file:///etc/passwd", 1, egress.ErrBlocked},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.p.CheckRedirect(req(tt.to), via(tt.hops))
			if !errors.Is(err, tt.want) || (tt.want == nil && err != nil) {
				t.Errorf("CheckRedirect = %v, want %v", err, tt.want)
			}
		})
	}
}

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
