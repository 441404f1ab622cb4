package main

import (
	"errors"
	"net"
	"strconv"

	"github.com/nats-io/nats.go"

	"github.com/hookworker/hookworker/internal/config"
	"github.com/hookworker/hookworker/internal/natsconn"
	"github.com/hookworker/hookworker/internal/natsd"
)

// connectNATS connects as name to nats.url with the nats.* credentials
// and TLS or, when nats.url is empty, to the embedded server's address,
// completing the client settings with the embedded server's (see
// natsconn.ForEmbedded). It returns the URL, credentials redacted, for
// messages.
func connectNATS(cfg config.Config, name string, extra ...nats.Option) (*nats.Conn, string, error) {
	if err := needNATSURL(cfg); err != nil {
		return nil, "", err
	}
	url, client := cfg.NATS.URL, cfg.NATS
	if url == "" {
		url = "nats://" + net.JoinHostPort(cfg.Embedded.Host, strconv.Itoa(cfg.Embedded.Port))
		client = natsconn.ForEmbedded(cfg.NATS, cfg.Embedded)
	}
	nc, err := natsconn.Connect(client, url, name, extra...)
	return nc, natsconn.RedactURL(url), err
}

// embeddedOptions maps the embedded section onto the embedded server's
// options (the caller adds the logger).
func embeddedOptions(e config.Embedded) natsd.Options {
	return natsd.Options{
		Host:     e.Host,
		Port:     e.Port,
		StoreDir: e.StoreDir,
		Token:    e.Token,
		User:     e.User,
		Password: e.Password,
		NKeys:    e.NKeys,
		TLS:      natsd.TLS{CertFile: e.TLS.CertFile, KeyFile: e.TLS.KeyFile, CAFile: e.TLS.CAFile},
	}
}

// errNoNATSURL: no server to connect to, and no embedded one allowed.
var errNoNATSURL = errors.New("no NATS server configured and embedded.enabled is false: " +
	"set nats.url (NATS_URL, HOOKWORKER_NATS_URL or --server) or a nats context (NATS_CONTEXT or --context)")

// needNATSURL refuses an empty nats.url when the embedded server is off.
func needNATSURL(cfg config.Config) error {
	if cfg.NATS.URL == "" && !cfg.Embedded.Enabled {
		return errNoNATSURL
	}
	return nil
}
