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
