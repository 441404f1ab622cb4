// Package jstest gives tests a real NATS JetStream server: an in-process
// nats-server on a free loopback port with its store in the test's temporary
// directory, shut down when the test ends.
package jstest

import (
	"testing"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/hookworker/hookworker/natsd"
)

// Server starts an embedded JetStream server for the test.
func Server(t testing.TB) *natsd.Server {
	t.Helper()
	s, err := natsd.Start(natsd.Options{Host: "127.0.0.1", Port: -1, StoreDir: t.TempDir()})
	if err != nil {
		t.Fatalf("start embedded nats: %v", err)
	}
	t.Cleanup(s.Shutdown)
	return s
}

// Connect connects to s; the connection is closed when the test ends.
func Connect(t testing.TB, s *natsd.Server) (*nats.Conn, jetstream.JetStream) {
	t.Helper()
	nc, err := nats.Connect(s.ClientURL())
	if err != nil {
		t.Fatalf("connect to embedded nats: %v", err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatalf("jetstream: %v", err)
	}
	return nc, js
}

// ServerAt starts an embedded JetStream server for the test on the fixed
// loopback port with its file store in storeDir, so that a test can shut it
// down and start another on the same port and store: the new server
// recovers the streams and consumers from the store, and clients reconnect
// to it. The server is shut down when the test ends (Shutdown may be
// called before that; it is idempotent).
func ServerAt(t testing.TB, port int, storeDir string) *natsd.Server {
	t.Helper()
	s, err := natsd.Start(natsd.Options{Host: "127.0.0.1", Port: port, StoreDir: storeDir})
	if err != nil {
		t.Fatalf("start embedded nats on port %d: %v", port, err)
	}
	t.Cleanup(s.Shutdown)
	return s
}
