package natsconn

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/jwt/v2"
	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nkeys"

	"github.com/hookworker/hookworker/internal/config"
	"github.com/hookworker/hookworker/internal/natsd"
)

// start starts an embedded server on a free loopback port.
func start(t *testing.T, o natsd.Options) *natsd.Server {
	t.Helper()
	o.Host, o.Port, o.StoreDir = "127.0.0.1", -1, t.TempDir()
	s, err := natsd.Start(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Shutdown)
	return s
}

// mustConnect connects with c and checks a request/reply round trip.
func mustConnect(t *testing.T, c config.NATS, url string) {
	t.Helper()
	nc, err := Connect(c, url, "test")
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	defer nc.Close()
	sub, err := nc.Subscribe("svc.echo", func(m *nats.Msg) { _ = m.Respond(append([]byte("re: "), m.Data...)) })
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Unsubscribe()
	reply, err := nc.Request("svc.echo", []byte("hi"), 5*time.Second)
	if err != nil {
		t.Fatalf("request: %v", err)
	}
	if string(reply.Data) != "re: hi" {
		t.Errorf("reply %q", reply.Data)
	}
}

// mustFail connects with c, expecting an error that mentions each of want
// and none of secrets.
func mustFail(t *testing.T, c config.NATS, url string, want []string, secrets ...string) error {
	t.Helper()
	nc, err := Connect(c, url, "test", nats.Timeout(5*time.Second))
	if err == nil {
		nc.Close()
		t.Fatal("connected")
	}
	t.Log(err)
	for _, w := range want {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q does not mention %q", err, w)
		}
	}
	for _, s := range secrets {
		if s != "" && strings.Contains(err.Error(), s) {
			t.Errorf("error %q contains the secret %q", err, s)
		}
	}
	return err
}

func TestToken(t *testing.T) {
	const token = "s3cret-token-1234"
	s := start(t, natsd.Options{Token: token})
	mustConnect(t, config.NATS{Token: token}, s.ClientURL())

	err := mustFail(t, config.NATS{Token: "wrong-token-5678"}, s.ClientURL(),
		[]string{"connect to NATS at " + s.ClientURL(), "(token)", "refused"}, token, "wrong-token-5678")
	if !errors.Is(err, nats.ErrAuthorization) {
		t.Errorf("wrong token: %v is not nats.ErrAuthorization", err)
	}
	err = mustFail(t, config.NATS{}, s.ClientURL(), []string{"no credentials", "nats.token"}, token)
	if !errors.Is(err, nats.ErrAuthorization) {
		t.Errorf("no token: %v is not nats.ErrAuthorization", err)
	}
	// A token in the URL is not repeated either.
	u := strings.Replace(s.ClientURL(), "nats://", "nats://url-token-9999@", 1)
	mustFail(t, config.NATS{}, u, []string{"REDACTED@"}, "url-token-9999")
}

func TestUserPassword(t *testing.T) {
	s := start(t, natsd.Options{User: "hook", Password: "pa55-word-xyz"})
	mustConnect(t, config.NATS{User: "hook", Password: "pa55-word-xyz"}, s.ClientURL())
	err := mustFail(t, config.NATS{User: "hook", Password: "not-it-at-all"}, s.ClientURL(),
		[]string{`user "hook" with password`}, "pa55-word-xyz", "not-it-at-all")
	if !errors.Is(err, nats.ErrAuthorization) {
		t.Errorf("wrong password: %v is not nats.ErrAuthorization", err)
	}
	mustFail(t, config.NATS{}, s.ClientURL(), []string{"Authorization Violation"})
}

func writeFile(t *testing.T, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func newUserKey(t *testing.T) (pub string, seed []byte) {
	t.Helper()
	kp, err := nkeys.CreateUser()
	if err != nil {
		t.Fatal(err)
	}
	pub, err = kp.PublicKey()
	if err != nil {
		t.Fatal(err)
	}
	seed, err = kp.Seed()
	if err != nil {
		t.Fatal(err)
	}
	return pub, seed
}

func TestNKey(t *testing.T) {
	pub, seed := newUserKey(t)
	s := start(t, natsd.Options{NKeys: []string{pub}})
	mustConnect(t, config.NATS{NKeySeedFile: writeFile(t, "user.nk", seed)}, s.ClientURL())

	_, other := newUserKey(t)
	otherFile := writeFile(t, "other.nk", other)
	err := mustFail(t, config.NATS{NKeySeedFile: otherFile}, s.ClientURL(),
		[]string{"nkey seed file " + otherFile}, string(seed), string(other))
	if !errors.Is(err, nats.ErrAuthorization) {
		t.Errorf("unknown key: %v is not nats.ErrAuthorization", err)
	}
}

// TestCredsFile runs a server in operator mode: operator, system and
// application accounts in a memory resolver, a user JWT signed by the
// application account, written as a .creds file.
func TestCredsFile(t *testing.T) {
	okp, _ := nkeys.CreateOperator()
	opub, _ := okp.PublicKey()
	sysKP, _ := nkeys.CreateAccount()
	sysPub, _ := sysKP.PublicKey()
	akp, _ := nkeys.CreateAccount()
	apub, _ := akp.PublicKey()

	oc := jwt.NewOperatorClaims(opub)
	oc.SystemAccount = sysPub
	ojwt, err := oc.Encode(okp)
	if err != nil {
		t.Fatal(err)
	}
	operator, err := jwt.DecodeOperatorClaims(ojwt)
	if err != nil {
		t.Fatal(err)
	}
	resolver := &server.MemAccResolver{}
	for _, a := range []struct {
		pub  string
		name string
	}{{sysPub, "SYS"}, {apub, "APP"}} {
		ac := jwt.NewAccountClaims(a.pub)
		ac.Name = a.name
		ajwt, err := ac.Encode(okp)
		if err != nil {
			t.Fatal(err)
		}
		if err := resolver.Store(a.pub, ajwt); err != nil {
			t.Fatal(err)
		}
	}
	s := start(t, natsd.Options{Configure: func(o *server.Options) {
		o.TrustedOperators = []*jwt.OperatorClaims{operator}
		o.AccountResolver = resolver
		o.SystemAccount = sysPub
	}})

	creds := func(signer nkeys.KeyPair) (string, []byte) {
		ukp, _ := nkeys.CreateUser()
		upub, _ := ukp.PublicKey()
		useed, _ := ukp.Seed()
		uc := jwt.NewUserClaims(upub)
		uc.Name = "worker"
		ujwt, err := uc.Encode(signer)
		if err != nil {
			t.Fatal(err)
		}
		data, err := jwt.FormatUserConfig(ujwt, useed)
		if err != nil {
			t.Fatal(err)
		}
		return writeFile(t, "user.creds", data), useed
	}
	good, _ := creds(akp)
	mustConnect(t, config.NATS{CredsFile: good}, s.ClientURL())

	// A user of an account the operator does not know.
	strangerKP, _ := nkeys.CreateAccount()
	bad, badSeed := creds(strangerKP)
	mustFail(t, config.NATS{CredsFile: bad}, s.ClientURL(), []string{"creds file " + bad}, string(badSeed))
	mustFail(t, config.NATS{}, s.ClientURL(), []string{"requires credentials"})
}

// pki is a test CA with a server certificate for 127.0.0.1 and localhost
// and a client certificate, as PEM files.
type pki struct {
	caFile, serverCert, serverKey, clientCert, clientKey string
}

func newPKI(t *testing.T) pki {
	t.Helper()
	dir := t.TempDir()
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	caTmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "hookworker test CA"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(caDER)
	write := func(name, typ string, der []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	leaf := func(name string, serial int64, usage x509.ExtKeyUsage) (string, string) {
		key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		tmpl := &x509.Certificate{
			SerialNumber: big.NewInt(serial),
			Subject:      pkix.Name{CommonName: name},
			NotBefore:    time.Now().Add(-time.Hour),
			NotAfter:     time.Now().Add(time.Hour),
			KeyUsage:     x509.KeyUsageDigitalSignature,
			ExtKeyUsage:  []x509.ExtKeyUsage{usage},
			IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
			DNSNames:     []string{"localhost"},
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
		if err != nil {
			t.Fatal(err)
		}
		keyDER, err := x509.MarshalECPrivateKey(key)
		if err != nil {
			t.Fatal(err)
		}
		return write(name+".pem", "CERTIFICATE", der), write(name+"-key.pem", "EC PRIVATE KEY", keyDER)
	}
	p := pki{caFile: write("ca.pem", "CERTIFICATE", caDER)}
	p.serverCert, p.serverKey = leaf("server", 2, x509.ExtKeyUsageServerAuth)
	p.clientCert, p.clientKey = leaf("client", 3, x509.ExtKeyUsageClientAuth)
	return p
}

func TestTLS(t *testing.T) {
	p := newPKI(t)
	s := start(t, natsd.Options{TLS: natsd.TLS{CertFile: p.serverCert, KeyFile: p.serverKey}})
	url := s.ClientURL()
	if !strings.HasPrefix(url, "tls://") {
		t.Errorf("ClientURL %s", url)
	}
	mustConnect(t, config.NATS{TLS: config.ClientTLS{CAFile: p.caFile}}, url)
	// nats:// too: the client requires TLS once it is configured.
	mustConnect(t, config.NATS{TLS: config.ClientTLS{CAFile: p.caFile}}, strings.Replace(url, "tls://", "nats://", 1))
	mustFail(t, config.NATS{}, url, []string{"certificate signed by unknown authority", "nats.tls.ca_file"})

	t.Run("pinned server certificate", func(t *testing.T) {
		// What run does without nats.tls.ca_file: trust the embedded
		// server's own certificate.
		c := ForEmbedded(config.NATS{}, config.Embedded{TLS: config.ServerTLS{CertFile: p.serverCert, KeyFile: p.serverKey}})
		if c.TLS.CAFile != p.serverCert {
			t.Fatalf("ForEmbedded TLS %+v", c.TLS)
		}
		mustConnect(t, c, url)
	})

	t.Run("client certificates", func(t *testing.T) {
		s := start(t, natsd.Options{TLS: natsd.TLS{CertFile: p.serverCert, KeyFile: p.serverKey, CAFile: p.caFile}})
		mustConnect(t, config.NATS{TLS: config.ClientTLS{CAFile: p.caFile, CertFile: p.clientCert, KeyFile: p.clientKey}}, s.ClientURL())
		mustFail(t, config.NATS{TLS: config.ClientTLS{CAFile: p.caFile}}, s.ClientURL(), []string{"set nats.tls.cert_file"})
		// A client certificate from another CA.
		other := newPKI(t)
		mustFail(t, config.NATS{TLS: config.ClientTLS{CAFile: p.caFile, CertFile: other.clientCert, KeyFile: other.clientKey}},
			s.ClientURL(), []string{"may not trust the client certificate"})
	})

	t.Run("TLS with a token", func(t *testing.T) {
		s := start(t, natsd.Options{Token: "tls-and-token", TLS: natsd.TLS{CertFile: p.serverCert, KeyFile: p.serverKey}})
		mustConnect(t, config.NATS{Token: "tls-and-token", TLS: config.ClientTLS{CAFile: p.caFile}}, s.ClientURL())
		mustFail(t, config.NATS{TLS: config.ClientTLS{CAFile: p.caFile}}, s.ClientURL(), []string{"Authorization Violation"})
	})

	t.Run("server without TLS", func(t *testing.T) {
		plain := start(t, natsd.Options{})
		mustFail(t, config.NATS{TLS: config.ClientTLS{CAFile: p.caFile}}, plain.ClientURL(), []string{"does not offer it"})
	})
}

func TestForEmbedded(t *testing.T) {
	tests := []struct {
		name string
		c    config.NATS
		e    config.Embedded
		want config.NATS
	}{
		{"nothing", config.NATS{Name: "n"}, config.Embedded{}, config.NATS{Name: "n"}},
		{"token", config.NATS{}, config.Embedded{Token: "t"}, config.NATS{Token: "t"}},
		{"user", config.NATS{}, config.Embedded{User: "u", Password: "p", NKeys: []string{"U..."}}, config.NATS{User: "u", Password: "p"}},
		{"client credentials win", config.NATS{NKeySeedFile: "f"}, config.Embedded{User: "u", Password: "p"}, config.NATS{NKeySeedFile: "f"}},
		{"client token wins", config.NATS{Token: "mine"}, config.Embedded{Token: "t"}, config.NATS{Token: "mine"}},
		{"pinned cert", config.NATS{}, config.Embedded{TLS: config.ServerTLS{CertFile: "c", KeyFile: "k"}}, config.NATS{TLS: config.ClientTLS{CAFile: "c"}}},
		{"client CA wins", config.NATS{TLS: config.ClientTLS{CAFile: "ca"}}, config.Embedded{TLS: config.ServerTLS{CertFile: "c"}}, config.NATS{TLS: config.ClientTLS{CAFile: "ca"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ForEmbedded(tt.c, tt.e); got != tt.want {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestOptionsErrors(t *testing.T) {
	dir := t.TempDir()
	_, seed := newUserKey(t)
	garbage := writeFile(t, "garbage", []byte("SUNOTAREALSEEDATALLBUTLOOKSLIKEONE\n"))
	seedAsCreds := writeFile(t, "seed.creds", seed)
	missing := filepath.Join(dir, "missing")
	tests := []struct {
		name string
		c    config.NATS
		want string
	}{
		{"two methods", config.NATS{Token: "t", CredsFile: "f"}, "at most one"},
		{"user without password", config.NATS{User: "u"}, "nats.user and nats.password"},
		{"missing seed file", config.NATS{NKeySeedFile: missing}, "nats.nkey_seed_file " + missing},
		{"bad seed file", config.NATS{NKeySeedFile: garbage}, "nats.nkey_seed_file " + garbage},
		{"missing creds file", config.NATS{CredsFile: missing}, "nats.creds_file " + missing},
		{"creds without JWT", config.NATS{CredsFile: seedAsCreds}, "no valid user JWT"},
		{"missing CA", config.NATS{TLS: config.ClientTLS{CAFile: missing}}, "nats.tls.ca_file"},
		{"CA not PEM", config.NATS{TLS: config.ClientTLS{CAFile: garbage}}, "nats.tls.ca_file"},
		{"cert without key", config.NATS{TLS: config.ClientTLS{CertFile: garbage}}, "nats.tls.cert_file and nats.tls.key_file"},
		{"bad key pair", config.NATS{TLS: config.ClientTLS{CertFile: garbage, KeyFile: garbage}}, "nats.tls.cert_file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Options(tt.c)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err %v, want one mentioning %q", err, tt.want)
			}
			if strings.Contains(err.Error(), string(seed)) || strings.Contains(err.Error(), "SUNOTAREAL") {
				t.Errorf("err %q shows file content", err)
			}
			_, err = Connect(tt.c, "nats://127.0.0.1:1", "test")
			if err == nil || !strings.HasPrefix(err.Error(), "connect to NATS at nats://127.0.0.1:1: ") || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Connect: %v", err)
			}
		})
	}
	if opts, err := Options(config.NATS{Name: "x"}); err != nil || len(opts) != 0 {
		t.Errorf("no security: %d options, %v", len(opts), err)
	}
}

func TestRedactURL(t *testing.T) {
	for in, want := range map[string]string{
		"nats://127.0.0.1:4222":                          "nats://127.0.0.1:4222",
		"nats://u:p@h:4222":                              "nats://REDACTED@h:4222",
		"nats://tok@h:4222, tls://a:b@g:4223,nats://h:1": "nats://REDACTED@h:4222,tls://REDACTED@g:4223,nats://h:1",
		"nats://x y@h:%zz":                               "<unparsable URL>",
	} {
		if got := RedactURL(in); got != want {
			t.Errorf("RedactURL(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestDescribe(t *testing.T) {
	for _, tt := range []struct {
		c    config.NATS
		want string
	}{
		{config.NATS{}, "no credentials"},
		{config.NATS{User: "alice", Password: "pw"}, `user "alice" with password`},
		{config.NATS{Token: "tok"}, "token"},
		{config.NATS{CredsFile: "a.creds", TLS: config.ClientTLS{CAFile: "ca.pem", CertFile: "c.pem", KeyFile: "k.pem"}},
			"creds file a.creds, TLS with CA ca.pem and client certificate c.pem"},
	} {
		if got := Describe(tt.c); got != tt.want {
			t.Errorf("Describe(%+v) = %q, want %q", tt.c, got, tt.want)
		}
	}
}
