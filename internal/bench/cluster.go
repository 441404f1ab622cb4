package bench

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"path/filepath"
	"strconv"
	"time"

	"github.com/nats-io/nats-server/v2/server"

	"github.com/hookworker/hookworker/internal/natsd"
)

// maxWorkers and maxCluster bound the scale-out options.
const (
	maxWorkers = 16
	maxCluster = 5
)

// startCluster starts n JetStream servers on loopback, routed to each
// other, and waits until they have elected a meta leader.
func startCluster(dir string, n int) ([]*natsd.Server, error) {
	ports := make([]int, n)
	for i := range ports {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		ports[i] = ln.Addr().(*net.TCPAddr).Port
		ln.Close()
	}
	nodes := make([]*natsd.Server, 0, n)
	fail := func(err error) ([]*natsd.Server, error) {
		for _, s := range nodes {
			s.Shutdown()
		}
		return nil, err
	}
	for i := range n {
		var routes []*url.URL
		for j, p := range ports {
			if j != i {
				routes = append(routes, &url.URL{Scheme: "nats", Host: net.JoinHostPort("127.0.0.1", strconv.Itoa(p))})
			}
		}
		s, err := natsd.Start(natsd.Options{
			Host: "127.0.0.1", Port: -1, StoreDir: filepath.Join(dir, "jetstream-n"+strconv.Itoa(i+1)),
			ServerName: "hookbench-n" + strconv.Itoa(i+1),
			Configure: func(o *server.Options) {
				o.Cluster = server.ClusterOpts{Name: "hookbench", Host: "127.0.0.1", Port: ports[i]}
				o.Routes = routes
			},
		})
		if err != nil {
			return fail(fmt.Errorf("cluster node %d: %w", i+1, err))
		}
		nodes = append(nodes, s)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := natsd.WaitCluster(ctx, nodes); err != nil {
		return fail(err)
	}
	return nodes, nil
}

// replicas is the replica count of the run's streams.
func (h *harness) replicas() int { return max(1, h.o.Cluster) }

// nodeURL is the client URL of node i (round robin over the cluster).
func (h *harness) nodeURL(i int) string {
	if len(h.cluster) == 0 {
		return h.srv.ClientURL()
	}
	return h.cluster[i%len(h.cluster)].ClientURL()
}

// workers are every worker process of the run.
func (h *harness) workers() []*workerProc {
	if h.worker == nil {
		return nil
	}
	return append([]*workerProc{h.worker}, h.more...)
}

// workersCPU is the CPU time all workers have used so far.
func (h *harness) workersCPU() (time.Duration, bool) {
	var sum time.Duration
	for _, p := range h.workers() {
		d, ok := p.cpu()
		if !ok {
			return 0, false
		}
		sum += d
	}
	return sum, h.worker != nil
}

// workersPeakRSS is the largest peak RSS of the workers, in bytes.
func (h *harness) workersPeakRSS() (int64, bool) {
	var peak int64
	ok := false
	for _, p := range h.workers() {
		if rss, good := p.peakRSS(); good {
			peak, ok = max(peak, rss), true
		} else if rss, good := p.maxRSSAfterExit(); good {
			peak, ok = max(peak, rss), true
		}
	}
	return peak, ok
}

// stopWorkers stops every worker process.
func (h *harness) stopWorkers() {
	for _, p := range h.workers() {
		p.stop()
	}
}
