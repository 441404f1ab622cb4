// Package testport hands tests loopback TCP ports to tell a server to
// listen on later. A port is free when handed out, outside Linux's
// ephemeral range (32768-60999), so no connection's local end takes it
// meanwhile, and never handed out twice in one process: two ports taken
// one after the other (a NATS server's and an ops listener's) are
// distinct. Imported by tests only.
package testport

import (
	"math/rand/v2"
	"net"
	"strconv"
	"sync"
	"testing"
)

// Low and High bound the ports handed out (High excluded).
const (
	Low  = 20000
	High = 32000
)

var (
	mu    sync.Mutex
	given = map[int]bool{}
)

// Free returns a loopback port that was free a moment ago and that no
// earlier call in this process returned.
func Free(t testing.TB) int {
	t.Helper()
	mu.Lock()
	defer mu.Unlock()
	for range 1000 {
		p := Low + rand.IntN(High-Low)
		if given[p] {
			continue
		}
		ln, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(p))
		if err != nil {
			continue
		}
		ln.Close()
		given[p] = true
		return p
	}
	t.Fatalf("testport: no free loopback port in %d-%d", Low, High-1)
	return 0
}
