package chaos

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// natsNode is one nats-server process with a fixed port and store, so it
// can be killed and started again as the same server.
type natsNode struct {
	t      *testing.T
	name   string
	port   int
	conf   string
	dir    string
	p      *proc
	starts int
}

// natsOptions shape a node's configuration file.
type natsOptions struct {
	maxFileStore string // jetstream max_file_store, e.g. "64MB"; "" for the default
	maxPayload   string // max_payload, e.g. "1MB"; "" for the default
	port         int    // client port of a single node; 0: a free one
}

// startNATS starts one JetStream server on a free loopback port.
func startNATS(t *testing.T, o natsOptions) *natsNode {
	t.Helper()
	nodes := startNodes(t, 1, o)
	return nodes[0]
}

// startCluster starts an n-node JetStream cluster on loopback and waits
// for a meta leader.
func startCluster(t *testing.T, n int, o natsOptions) []*natsNode {
	t.Helper()
	return startNodes(t, n, o)
}

func startNodes(t *testing.T, n int, o natsOptions) []*natsNode {
	t.Helper()
	root := t.TempDir()
	nodes := make([]*natsNode, n)
	routePorts := make([]int, n)
	for i := range nodes {
		nodes[i] = &natsNode{t: t, name: fmt.Sprintf("n%d", i+1), port: freePort(t), dir: filepath.Join(root, fmt.Sprintf("n%d", i+1))}
		if n == 1 && o.port != 0 {
			nodes[i].port = o.port
		}
		routePorts[i] = freePort(t)
	}
	for i, nd := range nodes {
		var b strings.Builder
		fmt.Fprintf(&b, "server_name: %s\nlisten: \"127.0.0.1:%d\"\n", nd.name, nd.port)
		if o.maxPayload != "" {
			fmt.Fprintf(&b, "max_payload: %s\n", o.maxPayload)
		}
		fmt.Fprintf(&b, "jetstream {\n  store_dir: %q\n  max_memory_store: 64MB\n", nd.dir)
		if o.maxFileStore != "" {
			fmt.Fprintf(&b, "  max_file_store: %s\n", o.maxFileStore)
		} else {
			b.WriteString("  max_file_store: 1GB\n")
		}
		b.WriteString("}\n")
		if n > 1 {
			var routes []string
			for j, p := range routePorts {
				if j != i {
					routes = append(routes, fmt.Sprintf("\"nats://127.0.0.1:%d\"", p))
				}
			}
			fmt.Fprintf(&b, "cluster {\n  name: chaos\n  listen: \"127.0.0.1:%d\"\n  routes: [%s]\n}\n", routePorts[i], strings.Join(routes, ", "))
		}
		if err := os.MkdirAll(nd.dir, 0o755); err != nil {
			t.Fatal(err)
		}
		nd.conf = filepath.Join(root, nd.name+".conf")
		if err := os.WriteFile(nd.conf, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, nd := range nodes {
		nd.start()
	}
	url := clusterURL(nodes)
	waitJetStream(t, url, 30*time.Second)
	return nodes
}

// url is the node's client URL.
func (nd *natsNode) url() string { return fmt.Sprintf("nats://127.0.0.1:%d", nd.port) }

// start runs the server process (again).
func (nd *natsNode) start() {
	nd.t.Helper()
	nd.starts++
	b := bins(nd.t)
	nd.p = startProc(nd.t, fmt.Sprintf("nats-server %s#%d", nd.name, nd.starts), b.natsServer, nd.dir, []string{"-c", nd.conf}, childEnv())
	if !nd.p.waitLog("Server is ready", 20*time.Second) {
		nd.t.Fatalf("nats-server %s not ready within 20s:\n%s", nd.name, nd.p.tail(30))
	}
}

// kill SIGKILLs the server.
func (nd *natsNode) kill() {
	nd.p.signal(syscall.SIGKILL)
	if !nd.p.wait(10 * time.Second) {
		nd.t.Fatalf("nats-server %s did not die", nd.name)
	}
}

func clusterURL(nodes []*natsNode) string {
	urls := make([]string, len(nodes))
	for i, nd := range nodes {
		urls[i] = nd.url()
	}
	return strings.Join(urls, ",")
}

// waitJetStream waits until JetStream answers an account info request at
// url (in a cluster: a meta leader is elected).
func waitJetStream(t *testing.T, url string, d time.Duration) {
	t.Helper()
	deadline := time.Now().Add(d)
	var last error
	for time.Now().Before(deadline) {
		nc, err := nats.Connect(url, nats.Timeout(time.Second))
		if err == nil {
			js, _ := jetstream.New(nc)
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			_, err = js.AccountInfo(ctx)
			cancel()
			nc.Close()
			if err == nil {
				return
			}
		}
		last = err
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("JetStream at %s not ready within %s: %v", url, d, last)
}

// client is the test's own connection (the engine's and the operator's),
// reconnecting forever.
type client struct {
	nc *nats.Conn
	js jetstream.JetStream
}

func connect(t *testing.T, url string) *client {
	t.Helper()
	nc, err := nats.Connect(url, nats.MaxReconnects(-1), nats.ReconnectWait(100*time.Millisecond),
		nats.RetryOnFailedConnect(true), nats.Name("chaos-test"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	return &client{nc: nc, js: js}
}

// retry runs f until it succeeds or d passes, returning its last error.
func retry(d time.Duration, f func(ctx context.Context) error) error {
	deadline := time.Now().Add(d)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		err := f(ctx)
		cancel()
		if err == nil || time.Now().After(deadline) {
			return err
		}
		time.Sleep(100 * time.Millisecond)
	}
}
