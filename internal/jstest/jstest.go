// Package jstest gives tests a real NATS JetStream server: an in-process
// nats-server on a free loopback port with its store in the test's temporary
// directory, shut down when the test ends (a cluster of them, or one on a
// fixed port to restart).
package jstest

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/hookworker/hookworker/internal/natsd"
	"github.com/hookworker/hookworker/internal/testport"
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

// Cluster starts an n-node JetStream cluster for the test on loopback:
// nodes named n1..nN in cluster "jstest", each with its own client port,
// cluster port and file store in a temporary directory, routed to each
// other. It returns once the nodes are routed and a JetStream meta leader
// is elected. Every node is shut down when the test ends (Shutdown may be
// called before that; it is idempotent).
func Cluster(t testing.TB, n int) []*natsd.Server {
	t.Helper()
	if n < 1 {
		t.Fatalf("cluster of %d nodes", n)
	}
	// Cluster ports must be known in advance for the routes: take free
	// ones (a port taken in between makes a node fail to start).
	ports := make([]int, n)
	for i := range ports {
		ports[i] = testport.Free(t)
	}
	nodes := make([]*natsd.Server, n)
	for i := range nodes {
		var routes []*url.URL
		for j, p := range ports {
			if j != i {
				routes = append(routes, &url.URL{Scheme: "nats", Host: net.JoinHostPort("127.0.0.1", strconv.Itoa(p))})
			}
		}
		s, err := natsd.Start(natsd.Options{
			Host:       "127.0.0.1",
			Port:       -1,
			StoreDir:   t.TempDir(),
			ServerName: fmt.Sprintf("n%d", i+1),
			Configure: func(o *server.Options) {
				o.Cluster = server.ClusterOpts{Name: "jstest", Host: "127.0.0.1", Port: ports[i]}
				o.Routes = routes
			},
		})
		if err != nil {
			t.Fatalf("start cluster node n%d: %v", i+1, err)
		}
		t.Cleanup(s.Shutdown)
		nodes[i] = s
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := natsd.WaitCluster(ctx, nodes); err != nil {
		t.Fatal(err)
	}
	return nodes
}

// ClientURLs is the comma-separated client URL list of nodes, as
// nats.Connect and HOOKWORKER_NATS_URL take it.
func ClientURLs(nodes []*natsd.Server) string {
	urls := make([]string, len(nodes))
	for i, s := range nodes {
		urls[i] = s.ClientURL()
	}
	return strings.Join(urls, ",")
}
