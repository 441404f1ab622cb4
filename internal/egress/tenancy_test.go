package egress_test

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/hookworker/hookworker/internal/egress"
)

func rules(t *testing.T, ss ...string) []egress.Rule {
	t.Helper()
	r, err := egress.ParseAllow(ss)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestParseAllow(t *testing.T) {
	tests := []struct {
		in, want, err string
	}{
		{in: "127.0.0.1", want: "127.0.0.1"},
		{in: "127.0.0.1:8090", want: "127.0.0.1:8090"},
		{in: "10.0.0.0/8:443", want: "10.0.0.0/8:443"},
		{in: "::1", want: "::1"},
		{in: "[::1]:8090", want: "[::1]:8090"},
		{in: "[fd00::/8]:443", want: "[fd00::/8]:443"},
		{in: "fd00::/8", want: "fd00::/8"},
		{in: "API.Example.com:8443", want: "api.example.com:8443"},
		{in: "*.example.com:443", want: "*.example.com:443"},
		{in: "*.example.com", want: "*.example.com"},
		{in: "127.0.0.1:0", err: `allow[0] "127.0.0.1:0" has port "0"`},
		{in: "127.0.0.1:70000", err: "not a port 1-65535"},
		{in: "localhost", err: "is not a CIDR, an address or a host name"},
		{in: "*.com", err: "is not a CIDR, an address or a host name"},
		{in: "a.*.example.com", err: "is not a CIDR, an address or a host name"},
		{in: "exa mple.com", err: "is not a CIDR, an address or a host name"},
		{in: "10.0.0.0/33:443", err: "is not a CIDR"},
		{in: ":443", err: "is empty"},
		{in: "fe80::1%eth0", err: "has a zone"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			r, err := egress.ParseAllow([]string{tt.in})
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err = %v, want one containing %q", err, tt.err)
				}
				return
			}
			if err != nil || len(r) != 1 || r[0].String() != tt.want {
				t.Fatalf("ParseAllow(%q) = %v, %v; want %s", tt.in, r, err, tt.want)
			}
		})
	}
}

func TestAllowPorts(t *testing.T) {
	tests := []struct {
		allow []string
		name  string
		addr  string
		port  uint16
		ok    bool
	}{
		{[]string{"127.0.0.1:8090"}, "", "127.0.0.1", 8090, true},
		{[]string{"127.0.0.1:8090"}, "", "127.0.0.1", 4222, false},
		{[]string{"127.0.0.0/8:8090"}, "", "127.9.9.9", 8090, true},
		{[]string{"127.0.0.0/8:8090"}, "", "127.9.9.9", 9464, false},
		{[]string{"127.0.0.0/8"}, "", "127.9.9.9", 9464, true},
		{[]string{"[::1]:8090"}, "", "::1", 8090, true},
		{[]string{"[::1]:8090"}, "", "::1", 8091, false},
		{[]string{"api.example.com:8443"}, "api.example.com", "10.1.2.3", 8443, true},
		{[]string{"api.example.com:8443"}, "api.example.com", "10.1.2.3", 443, false},
		{[]string{"api.example.com:8443"}, "evil.example.com", "10.1.2.3", 8443, false},
		{[]string{"api.example.com:8443"}, "", "10.1.2.3", 8443, false},
		{[]string{"*.example.com:443"}, "a.b.example.com", "10.1.2.3", 443, true},
		{[]string{"*.example.com:443"}, "example.com", "10.1.2.3", 443, false},
		{[]string{"*.example.com:443"}, "a.example.com.evil.test", "10.1.2.3", 443, false},
		{[]string{"*.example.com:443"}, "a.example.com", "10.1.2.3", 80, false},
		{[]string{"*.example.com"}, "x.example.com", "169.254.169.254", 80, true},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.allow, ",")+" "+tt.name+" "+tt.addr, func(t *testing.T) {
			p := egress.Policy{Rules: rules(t, tt.allow...)}
			err := p.CheckDial(tt.name, netip.MustParseAddr(tt.addr), tt.port)
			if (err == nil) != tt.ok {
				t.Errorf("CheckDial(%q, %s, %d) = %v, want allowed %v", tt.name, tt.addr, tt.port, err, tt.ok)
			}
		})
	}
	// Check (any port) ignores port-limited rules.
	p := egress.Policy{Rules: rules(t, "127.0.0.1:8090")}
	if p.Check(netip.MustParseAddr("127.0.0.1")) == nil {
		t.Error("Check allowed an address whose only rule names a port")
	}
}

// TestAllowPortThroughTransport: a rule with a port lets requests reach
// that port of a refused address, and no other, through the dialer; a
// host rule matches the URL's name, resolved or not.
func TestAllowPortThroughTransport(t *testing.T) {
	open := newTarget(t, "127.0.0.1", false, nil)
	closed := newTarget(t, "127.0.0.1", false, nil)
	dns := newDNSServer(t)
	dns.set("svc.internal.test", "127.0.0.1")
	p := egress.Policy{Resolver: dns.resolver(), Rules: rules(t, "127.0.0.1:"+open.port, "svc.internal.test:"+closed.port)}
	c := client(p, nil)
	if _, err := get(c, open.URL); err != nil {
		t.Fatalf("allowed port: %v", err)
	}
	_, err := get(c, closed.URL)
	wantBlocked(t, err, "127.0.0.1", false)
	if _, err := get(c, "http://svc.internal.test:"+closed.port+"/"); err != nil {
		t.Fatalf("allowed host name and port: %v", err)
	}
	third := newTarget(t, "127.0.0.1", false, nil)
	_, err = get(c, "http://svc.internal.test:"+third.port+"/")
	wantBlocked(t, err, "127.0.0.1", true)
	if open.hits.Load() != 1 || closed.hits.Load() != 1 || third.hits.Load() != 0 {
		t.Errorf("hits %d, %d; want 1, 1", open.hits.Load(), closed.hits.Load())
	}
}

// TestRedirectToAnotherOrigin: a hop to another host carries none of the
// definition's headers (credentials of any name) and no body; a hop to the
// same origin keeps them.
func TestRedirectToAnotherOrigin(t *testing.T) {
	type seen struct {
		header http.Header
		body   string
		method string
	}
	got := make(chan seen, 4)
	record := func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got <- seen{r.Header.Clone(), string(b), r.Method}
		io.WriteString(w, "ok")
	}
	other := newTarget(t, "127.0.0.2", false, record)
	var first *target
	first = newTarget(t, "127.0.0.1", false, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/away":
			http.Redirect(w, r, other.URL+"/landed", http.StatusTemporaryRedirect)
		case "/here":
			http.Redirect(w, r, first.URL+"/landed", http.StatusPermanentRedirect)
		default:
			record(w, r)
		}
	})
	c := client(egress.Policy{Rules: rules(t, "127.0.0.0/8"), MaxRedirects: 2}, nil)
	send := func(path string) seen {
		t.Helper()
		req, _ := http.NewRequest(http.MethodPost, first.URL+path, strings.NewReader(`{"card":"4242"}`))
		req.Header.Set("X-Api-Key", "key-123")
		req.Header.Set("Authorization", "Bearer tok")
		req.Header.Set("Webhook-Signature", "v1,abc")
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Idempotency-Key", "evt-1")
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		select {
		case s := <-got:
			return s
		case <-time.After(5 * time.Second):
			t.Fatal("no request arrived")
		}
		return seen{}
	}
	s := send("/away")
	for _, h := range []string{"X-Api-Key", "Authorization", "Webhook-Signature", "Content-Type"} {
		if v := s.header.Get(h); v != "" {
			t.Errorf("another host got %s: %q", h, v)
		}
	}
	if s.body != "" {
		t.Errorf("another host got the body %q", s.body)
	}
	if s.header.Get("Idempotency-Key") != "evt-1" {
		t.Errorf("Idempotency-Key not kept: %v", s.header)
	}
	s = send("/here")
	if s.header.Get("X-Api-Key") != "key-123" || s.body != `{"card":"4242"}` || s.method != http.MethodPost {
		t.Errorf("same origin: %v %q %s; want the headers and body kept", s.header, s.body, s.method)
	}
}

// rawTarget answers every connection with what answer writes.
func rawTarget(t *testing.T, answer string) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			conn, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer conn.Close()
				br := bufio.NewReader(conn)
				if _, err := http.ReadRequest(br); err != nil {
					return
				}
				io.WriteString(conn, answer)
				// Hold the connection, as a protocol switch would.
				conn.SetReadDeadline(time.Now().Add(30 * time.Second))
				io.Copy(io.Discard, conn)
			}()
		}
	}()
	return "http://" + l.Addr().String() + "/"
}

// TestInformationalEndsTheRequest: 101 and 102 end the request at once
// with their status; 103 before a final answer is passed over.
func TestInformationalEndsTheRequest(t *testing.T) {
	tests := []struct {
		name, answer string
		status       int
		body         string
	}{
		{"101", "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n", 101, ""},
		{"102", "HTTP/1.1 102 Processing\r\n\r\n", 102, ""},
		{"199", "HTTP/1.1 199 Whatever\r\n\r\n", 199, ""},
		{"103 then 200", "HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", 200, "ok"},
		{"100 then 200", "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", 200, "ok"},
		{"too many 103", strings.Repeat("HTTP/1.1 103 Early Hints\r\n\r\n", 8) + "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", 103, ""},
	}
	p := egress.Policy{Rules: rules(t, "127.0.0.0/8")}
	c := &http.Client{Transport: egress.EndInformational(p.Transport(nil)), Timeout: 20 * time.Second}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u := rawTarget(t, tt.answer)
			start := time.Now()
			resp, err := c.Get(u)
			if err != nil {
				t.Fatal(err)
			}
			b, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if took := time.Since(start); took > 5*time.Second {
				t.Errorf("took %s: the answer held the request", took)
			}
			if err != nil || resp.StatusCode != tt.status || string(b) != tt.body {
				t.Errorf("status %d body %q err %v; want %d %q", resp.StatusCode, b, err, tt.status, tt.body)
			}
		})
	}
}
