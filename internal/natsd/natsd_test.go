package natsd

import (
	"errors"
	"github.com/hookworker/hookworker/internal/testcert"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nkeys"
)

func start(t *testing.T, o Options) *Server {
	t.Helper()
	o.Host, o.Port, o.StoreDir = "127.0.0.1", -1, t.TempDir()
	s, err := Start(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Shutdown)
	return s
}

func connect(url string, opts ...nats.Option) error {
	nc, err := nats.Connect(url, append(opts, nats.Timeout(5*time.Second))...)
	if err != nil {
		return err
	}
	defer nc.Close()
	return nc.Flush()
}

func TestNoAuth(t *testing.T) {
	s := start(t, Options{})
	nc, err := nats.Connect(s.ClientURL())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	if nc.AuthRequired() || nc.TLSRequired() {
		t.Errorf("auth required %v, TLS required %v", nc.AuthRequired(), nc.TLSRequired())
	}
}

func TestToken(t *testing.T) {
	s := start(t, Options{Token: "embedded-token"})
	if err := connect(s.ClientURL(), nats.Token("embedded-token")); err != nil {
		t.Fatal(err)
	}
	for _, opts := range [][]nats.Option{nil, {nats.Token("other")}, {nats.UserInfo("embedded-token", "")}} {
		if err := connect(s.ClientURL(), opts...); !errors.Is(err, nats.ErrAuthorization) {
			t.Errorf("err %v, want an authorization violation", err)
		}
	}
}

// TestUserAndNKeys: a user and NKey users together; either gets in.
func TestUserAndNKeys(t *testing.T) {
	kp, _ := nkeys.CreateUser()
	pub, _ := kp.PublicKey()
	seed, _ := kp.Seed()
	seedFile := filepath.Join(t.TempDir(), "user.nk")
	if err := os.WriteFile(seedFile, seed, 0o600); err != nil {
		t.Fatal(err)
	}
	s := start(t, Options{User: "hook", Password: "pw", NKeys: []string{pub}})
	if err := connect(s.ClientURL(), nats.UserInfo("hook", "pw")); err != nil {
		t.Errorf("user: %v", err)
	}
	nkeyOpt, err := nats.NkeyOptionFromSeed(seedFile)
	if err != nil {
		t.Fatal(err)
	}
	if err := connect(s.ClientURL(), nkeyOpt); err != nil {
		t.Errorf("nkey: %v", err)
	}
	for _, opts := range [][]nats.Option{nil, {nats.UserInfo("hook", "nope")}, {nats.Token("pw")}} {
		if err := connect(s.ClientURL(), opts...); !errors.Is(err, nats.ErrAuthorization) {
			t.Errorf("err %v, want an authorization violation", err)
		}
	}
}

func TestTLS(t *testing.T) {
	cert, key := testcert.SelfSigned(t)
	s := start(t, Options{TLS: TLS{CertFile: cert, KeyFile: key}})
	if !strings.HasPrefix(s.ClientURL(), "tls://") {
		t.Errorf("ClientURL %s", s.ClientURL())
	}
	nc, err := nats.Connect(s.ClientURL(), nats.RootCAs(cert))
	if err != nil {
		t.Fatal(err)
	}
	if !nc.TLSRequired() || nc.AuthRequired() {
		t.Errorf("TLS required %v, auth required %v", nc.TLSRequired(), nc.AuthRequired())
	}
	nc.Close()
	if err := connect(s.ClientURL()); err == nil || !strings.Contains(err.Error(), "unknown authority") {
		t.Errorf("without the CA: %v", err)
	}

	// The certificate is its own CA: it also signs the client certificate.
	s = start(t, Options{TLS: TLS{CertFile: cert, KeyFile: key, CAFile: cert}})
	if err := connect(s.ClientURL(), nats.RootCAs(cert), nats.ClientCert(cert, key)); err != nil {
		t.Fatalf("with a client certificate: %v", err)
	}
	if err := connect(s.ClientURL(), nats.RootCAs(cert)); err == nil {
		t.Error("connected without a client certificate")
	}
}

func TestInvalidOptions(t *testing.T) {
	cert, key := testcert.SelfSigned(t)
	missing := filepath.Join(t.TempDir(), "missing.pem")
	tests := []struct {
		name string
		o    Options
		want string
	}{
		{"token and user", Options{Token: "t", User: "u", Password: "p"}, "token cannot be combined"},
		{"token and nkeys", Options{Token: "t", NKeys: []string{"UA"}}, "token cannot be combined"},
		{"user without password", Options{User: "u"}, "user and password"},
		{"bad nkey", Options{NKeys: []string{"SUAAAA"}}, "not a user public key"},
		{"CA without cert", Options{TLS: TLS{CAFile: cert}}, "needs a certificate"},
		{"cert without key", Options{TLS: TLS{CertFile: cert}}, "go together"},
		{"missing cert", Options{TLS: TLS{CertFile: missing, KeyFile: key}}, "missing.pem"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.o.Host, tt.o.Port, tt.o.StoreDir = "127.0.0.1", -1, t.TempDir()
			s, err := Start(tt.o)
			if err == nil {
				s.Shutdown()
				t.Fatal("started")
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err %v, want one mentioning %q", err, tt.want)
			}
		})
	}
}

// TestRefusesOpenListenerWithoutAuth: beyond loopback, no authentication
// means no server (the refusal comes before anything listens).
func TestRefusesOpenListenerWithoutAuth(t *testing.T) {
	for _, host := range []string{"0.0.0.0", "::", "10.1.2.3", "hooks.example.com", "[::]"} {
		t.Run(host, func(t *testing.T) {
			s, err := Start(Options{Host: host, Port: -1, StoreDir: t.TempDir()})
			if err == nil {
				s.Shutdown()
				t.Fatal("started without authentication")
			}
			if !strings.Contains(err.Error(), "beyond loopback, without authentication") {
				t.Errorf("err %v", err)
			}
		})
	}
	for _, tt := range []struct {
		host string
		want bool
	}{{"127.0.0.1", true}, {"127.8.0.1", true}, {"::1", true}, {"[::1]", true}, {"localhost", true}, {"LocalHost", true},
		{"", false}, {"0.0.0.0", false}, {"::", false}, {"192.168.1.1", false}, {"localhost.example.com", false}} {
		if got := LoopbackHost(tt.host); got != tt.want {
			t.Errorf("LoopbackHost(%q) = %v", tt.host, got)
		}
	}
	// On loopback, no authentication is fine.
	s, err := Start(Options{Host: "127.0.0.1", Port: -1, StoreDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	s.Shutdown()
}
