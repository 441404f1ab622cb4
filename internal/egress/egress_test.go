package egress_test

import (
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"testing"

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
