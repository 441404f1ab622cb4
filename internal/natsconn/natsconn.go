// Package natsconn connects to NATS with the security that config.NATS
// asks for: a user and password, a token, an NKey seed file or a .creds
// file, and TLS with a custom CA and a client certificate. Every hookworker
// command connects through it.
//
// Errors name the config key at fault and say what was tried (the kind of
// credentials, a user name, file names), never a password, token or seed.
package natsconn

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"

	"github.com/nats-io/jwt/v2"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nkeys"

	"github.com/hookworker/hookworker/internal/config"
)

// Options returns the nats.go options for c's credentials and TLS. The
// files c names are read now, so that a missing or malformed file is
// reported before connecting; the error names the config key.
func Options(c config.NATS) ([]nats.Option, error) {
	if m := c.AuthMethods(); len(m) > 1 {
		return nil, fmt.Errorf("nats: set at most one of user/password, token, nkey_seed_file and creds_file (found %s)", strings.Join(m, ", "))
	}
	type keyed struct {
		key string
		opt nats.Option
	}
	var opts []keyed
	switch {
	case c.User != "" || c.Password != "":
		if c.User == "" || c.Password == "" {
			return nil, errors.New("nats.user and nats.password: set both or neither")
		}
		opts = append(opts, keyed{"nats.user", nats.UserInfo(c.User, c.Password)})
	case c.Token != "":
		opts = append(opts, keyed{"nats.token", nats.Token(c.Token)})
	case c.NKeySeedFile != "":
		opt, err := nats.NkeyOptionFromSeed(c.NKeySeedFile)
		if err != nil {
			return nil, fmt.Errorf("nats.nkey_seed_file %s: %w", c.NKeySeedFile, err)
		}
		opts = append(opts, keyed{"nats.nkey_seed_file", opt})
	case c.CredsFile != "":
		if err := checkCreds(c.CredsFile); err != nil {
			return nil, fmt.Errorf("nats.creds_file %s: %w", c.CredsFile, err)
		}
		opts = append(opts, keyed{"nats.creds_file", nats.UserCredentials(c.CredsFile)})
	}
	t := c.TLS
	if (t.CertFile == "") != (t.KeyFile == "") {
		return nil, errors.New("nats.tls.cert_file and nats.tls.key_file: set both or neither")
	}
	if t.CAFile != "" {
		opts = append(opts, keyed{"nats.tls.ca_file", nats.RootCAs(t.CAFile)})
	}
	if t.CertFile != "" {
		opts = append(opts, keyed{"nats.tls.cert_file", nats.ClientCert(t.CertFile, t.KeyFile)})
	}
	if t.CAFile != "" || t.CertFile != "" {
		opts = append(opts, keyed{"nats.tls", nats.Secure()})
	}
	// Apply them once to a scratch copy: RootCAs and ClientCert load
	// their files then.
	scratch := nats.GetDefaultOptions()
	out := make([]nats.Option, 0, len(opts))
	for _, o := range opts {
		if err := o.opt(&scratch); err != nil {
			return nil, fmt.Errorf("%s: %w", o.key, err)
		}
		out = append(out, o.opt)
	}
	return out, nil
}

// checkCreds reads a .creds file as the connection will: a user JWT and a
// user seed.
func checkCreds(path string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	defer wipe(data)
	tok, err := nkeys.ParseDecoratedJWT(data)
	if err != nil {
		return err
	}
	if _, err := jwt.DecodeUserClaims(tok); err != nil {
		return errors.New("no valid user JWT (want a file as written by `nsc generate creds`)")
	}
	kp, err := nkeys.ParseDecoratedUserNKey(data)
	if err != nil {
		return fmt.Errorf("user seed: %w", err)
	}
	kp.Wipe()
	return nil
}

func wipe(b []byte) {
	for i := range b {
		b[i] = 'x'
	}
}

// Connect connects to url (one or more comma-separated server URLs) as
// the named client with c's credentials and TLS, then the extra options.
// Errors start "connect to NATS at <url>", say which credentials were
// tried, add a hint for refused credentials and untrusted certificates,
// and never contain a password, token or seed (nor credentials in url).
// An authorization failure is errors.Is nats.ErrAuthorization.
func Connect(c config.NATS, url, name string, extra ...nats.Option) (*nats.Conn, error) {
	opts, err := Options(c)
	if err != nil {
		return nil, scrub(c, url, fmt.Errorf("connect to NATS at %s: %w", RedactURL(url), &settingsError{err}))
	}
	all := make([]nats.Option, 0, 1+len(opts)+len(extra))
	all = append(all, nats.Name(name))
	all = append(all, opts...)
	all = append(all, extra...)
	nc, err := nats.Connect(url, all...)
	if err != nil {
		msg := fmt.Errorf("connect to NATS at %s (%s): %w", RedactURL(url), Describe(c), err)
		if h := hint(c, err); h != "" {
			msg = fmt.Errorf("%w; %s", msg, h)
		}
		return nil, scrub(c, url, msg)
	}
	return nc, nil
}

// ForEmbedded returns the client settings for the embedded server that e
// configures: c, completed where it is silent. Without credentials in c,
// the embedded server's token, or user and password, are used; without a
// CA in c, a server certificate of e is trusted as it is.
func ForEmbedded(c config.NATS, e config.Embedded) config.NATS {
	if len(c.AuthMethods()) == 0 {
		switch {
		case e.Token != "":
			c.Token = e.Token
		case e.User != "":
			c.User, c.Password = e.User, e.Password
		}
	}
	if c.TLS.CAFile == "" && e.TLS.CertFile != "" {
		c.TLS.CAFile = e.TLS.CertFile
	}
	return c
}

// Describe says how c authenticates and secures the connection, without
// secrets: "token", "user \"alice\" with password", "nkey seed file f",
// "creds file f", "no credentials", followed by the TLS files if any.
func Describe(c config.NATS) string {
	var parts []string
	switch {
	case c.User != "" || c.Password != "":
		parts = append(parts, fmt.Sprintf("user %q with password", c.User))
	case c.Token != "":
		parts = append(parts, "token")
	case c.NKeySeedFile != "":
		parts = append(parts, "nkey seed file "+c.NKeySeedFile)
	case c.CredsFile != "":
		parts = append(parts, "creds file "+c.CredsFile)
	default:
		parts = append(parts, "no credentials")
	}
	if t := c.TLS; t.CAFile != "" || t.CertFile != "" {
		s := "TLS"
		if t.CAFile != "" {
			s += " with CA " + t.CAFile
		}
		if t.CertFile != "" {
			s += " and client certificate " + t.CertFile
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, ", ")
}

// hint suggests what to change for common failures.
func hint(c config.NATS, err error) string {
	msg := err.Error()
	switch {
	case errors.Is(err, nats.ErrAuthorization) || errors.Is(err, nats.ErrAuthExpired) ||
		errors.Is(err, nats.ErrAuthRevoked) || errors.Is(err, nats.ErrAccountAuthExpired):
		if len(c.AuthMethods()) == 0 {
			return "the server requires credentials: set nats.user and nats.password, nats.token, nats.nkey_seed_file or nats.creds_file (or their HOOKWORKER_NATS_* variables)"
		}
		return "the server refused these credentials"
	case strings.Contains(msg, "certificate signed by unknown authority"):
		return "the server's certificate is not trusted: set nats.tls.ca_file (HOOKWORKER_NATS_TLS_CA_FILE) to the CA that signed it"
	case strings.Contains(msg, "certificate is valid for") || strings.Contains(msg, "doesn't contain any IP SANs"):
		return "the server's certificate does not name the host in the URL"
	case strings.Contains(msg, "certificate required") || strings.Contains(msg, "bad certificate") ||
		strings.Contains(msg, "unknown certificate authority") || strings.Contains(msg, "closed by remote after TLS handshake"):
		if c.TLS.CertFile == "" {
			return "the server may require a client certificate: set nats.tls.cert_file and nats.tls.key_file"
		}
		return "the server may not trust the client certificate (nats.tls.cert_file)"
	case errors.Is(err, nats.ErrSecureConnWanted):
		return "TLS is configured (nats.tls) but the server does not offer it"
	}
	return ""
}

// RedactURL hides the credentials of each comma-separated URL, for messages.
func RedactURL(s string) string {
	parts := strings.Split(s, ",")
	for i, p := range parts {
		p = strings.TrimSpace(p)
		u, err := url.Parse(p)
		switch {
		case err != nil:
			if strings.Contains(p, "@") {
				p = "<unparsable URL>"
			}
		case u.User != nil:
			u.User = url.User("REDACTED")
			p = u.String()
		}
		parts[i] = p
	}
	return strings.Join(parts, ",")
}

// settingsError is a Connect error found in the settings, before any
// connection was tried.
type settingsError struct{ err error }

func (e *settingsError) Error() string { return e.err.Error() }
func (e *settingsError) Unwrap() error { return e.err }

// secretError is an error whose message had secrets taken out; it still
// unwraps to the original.
type secretError struct {
	msg string
	err error
}

func (e *secretError) Error() string { return e.msg }
func (e *secretError) Unwrap() error { return e.err }

// scrub removes c's password and token, and any credentials in rawURL,
// from err's message, should a library error have quoted them.
func scrub(c config.NATS, rawURL string, err error) error {
	secrets := []string{c.Password, c.Token}
	for _, p := range strings.Split(rawURL, ",") {
		if u, perr := url.Parse(strings.TrimSpace(p)); perr == nil && u.User != nil {
			secrets = append(secrets, u.User.Username())
			if pw, ok := u.User.Password(); ok {
				secrets = append(secrets, pw)
			}
		}
	}
	msg := err.Error()
	for _, s := range secrets {
		// Shorter ones would mask ordinary text (and protect nothing).
		if len(s) >= 4 {
			msg = strings.ReplaceAll(msg, s, "REDACTED")
		}
	}
	return &secretError{msg: msg, err: err}
}
