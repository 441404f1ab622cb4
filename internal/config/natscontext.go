package config

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/nats-io/jsm.go/natscontext"
)

// loadContext reads a context of the nats CLI with the NATS project's own
// library (github.com/nats-io/jsm.go/natscontext): name is a context name,
// looked up under $XDG_CONFIG_HOME/nats/context (or ~/.config/nats/context)
// as env has them, or a path to a context file (it has a "/" or ends in
// .json). It returns the settings the context gives, by key. A context
// that sets what hookworker cannot honour (a SOCKS proxy, a JetStream
// domain or prefix, an inbox prefix, inline JWTs, credentials by
// reference such as op://) is refused rather than half used.
func loadContext(name string, env map[string]string) (map[string]string, error) {
	var c *natscontext.Context
	var err error
	if strings.Contains(name, "/") || strings.HasSuffix(name, ".json") {
		c, err = natscontext.NewFromFile(name)
	} else {
		root := env["XDG_CONFIG_HOME"]
		if root == "" {
			home := env["HOME"]
			if home == "" {
				return nil, fmt.Errorf("neither XDG_CONFIG_HOME nor HOME is set to find it")
			}
			root = filepath.Join(home, ".config")
		}
		c, err = natscontext.NewRegistry(natscontext.NewFileBackendAt(root)).Load(context.Background(), name)
	}
	if err != nil {
		return nil, err
	}
	for setting, v := range map[string]string{
		"socks_proxy": c.SocksProxy(), "jetstream_domain": c.JSDomain(), "jetstream_api_prefix": c.JSAPIPrefix(),
		"jetstream_event_prefix": c.JSEventPrefix(), "inbox_prefix": c.InboxPrefix(), "user_jwt": c.UserJWT(),
		"user_seed": c.UserSeed(), "nsc": c.NscURL(),
	} {
		if v != "" {
			return nil, fmt.Errorf("it sets %s, which hookworker does not support", setting)
		}
	}
	if c.TLSHandshakeFirst() {
		return nil, fmt.Errorf("it sets tls_first, which hookworker does not support")
	}
	out := map[string]string{}
	add := func(key, setting, v string, path bool) error {
		if v == "" {
			return nil
		}
		if path {
			v = strings.TrimPrefix(v, "file://")
		}
		if i := strings.Index(v, "://"); i > 0 && !strings.Contains(v[:i], "/") && key != "nats.url" {
			return fmt.Errorf("its %s is a reference (%s://...), which hookworker does not resolve: give a file path or a value", setting, v[:i])
		}
		out[key] = v
		return nil
	}
	for _, a := range []struct {
		key, setting, value string
		path                bool
	}{
		{"nats.url", "url", c.ServerURL(), false},
		{"nats.user", "user", c.User(), false},
		{"nats.password", "password", c.Password(), false},
		{"nats.token", "token", c.Token(), false},
		{"nats.creds_file", "creds", c.Creds(), true},
		{"nats.nkey_seed_file", "nkey", c.NKey(), true},
		{"nats.tls.cert_file", "cert", c.Certificate(), true},
		{"nats.tls.key_file", "key", c.Key(), true},
		{"nats.tls.ca_file", "ca", c.CA(), true},
	} {
		if err := add(a.key, a.setting, a.value, a.path); err != nil {
			return nil, err
		}
	}
	return out, nil
}
