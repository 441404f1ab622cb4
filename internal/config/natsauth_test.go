package config

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestNATSSecurityEnv(t *testing.T) {
	env := map[string]string{
		"HOOKWORKER_NATS_USER":              "hook",
		"HOOKWORKER_NATS_PASSWORD":          "pw",
		"HOOKWORKER_NATS_TOKEN":             "tok",
		"HOOKWORKER_NATS_NKEY_SEED_FILE":    "/s/user.nk",
		"HOOKWORKER_NATS_CREDS_FILE":        "/s/user.creds",
		"HOOKWORKER_NATS_TLS_CA_FILE":       "/s/ca.pem",
		"HOOKWORKER_NATS_TLS_CERT_FILE":     "/s/client.pem",
		"HOOKWORKER_NATS_TLS_KEY_FILE":      "/s/client-key.pem",
		"HOOKWORKER_NATS_REPLICAS":          "3",
		"HOOKWORKER_EMBEDDED_TOKEN":         "etok",
		"HOOKWORKER_EMBEDDED_USER":          "euser",
		"HOOKWORKER_EMBEDDED_PASSWORD":      "epw",
		"HOOKWORKER_EMBEDDED_NKEYS":         "UA, UB",
		"HOOKWORKER_EMBEDDED_TLS_CERT_FILE": "/s/server.pem",
		"HOOKWORKER_EMBEDDED_TLS_KEY_FILE":  "/s/server-key.pem",
		"HOOKWORKER_EMBEDDED_TLS_CA_FILE":   "/s/clients-ca.pem",
	}
	cfg, err := loadEnv("", env)
	if err != nil {
		t.Fatal(err)
	}
	wantN := NATS{
		Name: "hookworker", Replicas: 3, User: "hook", Password: "pw", Token: "tok",
		NKeySeedFile: "/s/user.nk", CredsFile: "/s/user.creds",
		TLS: ClientTLS{CAFile: "/s/ca.pem", CertFile: "/s/client.pem", KeyFile: "/s/client-key.pem"},
	}
	wantE := Embedded{
		Enabled: true, Host: "127.0.0.1", Port: 4222, StoreDir: "./data",
		Token: "etok", User: "euser", Password: "epw", NKeys: []string{"UA", "UB"},
		TLS: ServerTLS{CertFile: "/s/server.pem", KeyFile: "/s/server-key.pem", CAFile: "/s/clients-ca.pem"},
	}
	if !reflect.DeepEqual(cfg.NATS, wantN) {
		t.Errorf("nats %+v, want %+v", cfg.NATS, wantN)
	}
	if !reflect.DeepEqual(cfg.Embedded, wantE) {
		t.Errorf("embedded %+v, want %+v", cfg.Embedded, wantE)
	}
}

func TestNATSSecurityYAML(t *testing.T) {
	p := filepath.Join(t.TempDir(), "c.yaml")
	body := "nats:\n  url: nats://n:4222\n  creds_file: /s/u.creds\n  tls:\n    ca_file: /s/ca.pem\n" +
		"embedded:\n  nkeys: [UA]\n  tls:\n    cert_file: /s/c.pem\n    key_file: /s/k.pem\n"
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := loadEnv(p, nil)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.NATS.CredsFile != "/s/u.creds" || cfg.NATS.TLS.CAFile != "/s/ca.pem" ||
		!reflect.DeepEqual(cfg.Embedded.NKeys, []string{"UA"}) || cfg.Embedded.TLS.KeyFile != "/s/k.pem" {
		t.Errorf("loaded %+v %+v", cfg.NATS, cfg.Embedded)
	}
}

func TestValidateNATSSecurity(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "f.pem")
	if err := os.WriteFile(file, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(dir, "missing.pem")
	const userKey = "UDXU4RCSJNZOIQHZNWXHXORDPRTGNJAHAHFRGZNEEJCPQTT2M7NLCNF4"
	remote := func(c *Config) { c.NATS.URL = "nats://nats:4222" }
	tests := []struct {
		name   string
		mutate func(*Config)
		field  string // "" for a valid configuration
	}{
		// Client.
		{"token", func(c *Config) { c.NATS.Token = "t" }, ""},
		{"user and password", func(c *Config) { c.NATS.User, c.NATS.Password = "u", "p" }, ""},
		{"nkey seed file", func(c *Config) { c.NATS.NKeySeedFile = file }, ""},
		{"creds file", func(c *Config) { c.NATS.CredsFile = file }, ""},
		{"TLS", func(c *Config) { c.NATS.TLS = ClientTLS{CAFile: file, CertFile: file, KeyFile: file} }, ""},
		{"token and user", func(c *Config) { c.NATS.Token, c.NATS.User, c.NATS.Password = "t", "u", "p" }, "nats"},
		{"nkey and creds", func(c *Config) { c.NATS.NKeySeedFile, c.NATS.CredsFile = file, file }, "nats"},
		{"password without user", func(c *Config) { c.NATS.Password = "p" }, "nats.user"},
		{"user without password", func(c *Config) { c.NATS.User = "u" }, "nats.password"},
		{"missing seed file", func(c *Config) { c.NATS.NKeySeedFile = missing }, "nats.nkey_seed_file"},
		{"seed file is a directory", func(c *Config) { c.NATS.NKeySeedFile = dir }, "nats.nkey_seed_file"},
		{"missing creds file", func(c *Config) { c.NATS.CredsFile = missing }, "nats.creds_file"},
		{"missing CA", func(c *Config) { c.NATS.TLS.CAFile = missing }, "nats.tls.ca_file"},
		{"cert without key", func(c *Config) { c.NATS.TLS.CertFile = file }, "nats.tls.key_file"},
		{"key without cert", func(c *Config) { c.NATS.TLS.KeyFile = file }, "nats.tls.cert_file"},
		{"missing cert", func(c *Config) { c.NATS.TLS.CertFile, c.NATS.TLS.KeyFile = missing, file }, "nats.tls.cert_file"},
		{"missing key", func(c *Config) { c.NATS.TLS.CertFile, c.NATS.TLS.KeyFile = file, missing }, "nats.tls.key_file"},
		// Embedded server.
		{"embedded token", func(c *Config) { c.Embedded.Token = "t" }, ""},
		{"embedded user", func(c *Config) { c.Embedded.User, c.Embedded.Password = "u", "p" }, ""},
		{"embedded user and nkeys", func(c *Config) {
			c.Embedded.User, c.Embedded.Password, c.Embedded.NKeys = "u", "p", []string{userKey}
		}, ""},
		{"embedded nkeys with a client seed", func(c *Config) {
			c.Embedded.NKeys, c.NATS.NKeySeedFile = []string{userKey}, file
		}, ""},
		{"embedded TLS", func(c *Config) { c.Embedded.TLS = ServerTLS{CertFile: file, KeyFile: file} }, ""},
		{"embedded TLS verifying clients", func(c *Config) {
			c.Embedded.TLS = ServerTLS{CertFile: file, KeyFile: file, CAFile: file}
			c.NATS.TLS = ClientTLS{CertFile: file, KeyFile: file}
		}, ""},
		{"embedded token and user", func(c *Config) { c.Embedded.Token, c.Embedded.User, c.Embedded.Password = "t", "u", "p" }, "embedded.token"},
		{"embedded token and nkeys", func(c *Config) { c.Embedded.Token, c.Embedded.NKeys = "t", []string{userKey} }, "embedded.token"},
		{"embedded password without user", func(c *Config) { c.Embedded.Password = "p" }, "embedded.user"},
		{"embedded bad nkey", func(c *Config) { c.Embedded.NKeys = []string{userKey, "SUXYZ"} }, "embedded.nkeys[1]"},
		{"embedded nkeys, no client key", func(c *Config) { c.Embedded.NKeys = []string{userKey} }, "nats.nkey_seed_file"},
		{"embedded cert without key", func(c *Config) { c.Embedded.TLS.CertFile = file }, "embedded.tls.key_file"},
		{"embedded CA without cert", func(c *Config) { c.Embedded.TLS.CAFile = file }, "embedded.tls.ca_file"},
		{"embedded missing cert", func(c *Config) { c.Embedded.TLS = ServerTLS{CertFile: missing, KeyFile: file} }, "embedded.tls.cert_file"},
		{"embedded verifies clients, no client cert", func(c *Config) {
			c.Embedded.TLS = ServerTLS{CertFile: file, KeyFile: file, CAFile: file}
		}, "nats.tls.cert_file"},
		// With nats.url the embedded section is not used, nor checked.
		{"remote server, embedded ignored", func(c *Config) {
			remote(c)
			c.Embedded.Token, c.Embedded.User, c.Embedded.TLS.CertFile = "t", "u", missing
		}, ""},
		{"remote server, client still checked", func(c *Config) { remote(c); c.NATS.CredsFile = missing }, "nats.creds_file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := Default()
			tt.mutate(&c)
			err := c.Validate()
			switch {
			case tt.field == "" && err != nil:
				t.Errorf("unexpected error: %v", err)
			case tt.field != "" && (err == nil || !strings.Contains(err.Error(), tt.field+":")):
				t.Errorf("err %v, want one naming %s", err, tt.field)
			}
			for _, secret := range []string{c.NATS.Password, c.NATS.Token, c.Embedded.Password, c.Embedded.Token} {
				if err != nil && len(secret) > 1 && strings.Contains(err.Error(), secret) {
					t.Errorf("err %q shows a secret", err)
				}
			}
		})
	}
}
