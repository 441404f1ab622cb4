package testport

import (
	"net"
	"strconv"
	"testing"
)

// TestFreeDistinct: ports handed out one after the other differ, lie in
// range and can be listened on.
func TestFreeDistinct(t *testing.T) {
	seen := map[int]bool{}
	for range 200 {
		p := Free(t)
		if p < Low || p >= High {
			t.Fatalf("port %d outside %d-%d", p, Low, High-1)
		}
		if seen[p] {
			t.Fatalf("port %d handed out twice", p)
		}
		seen[p] = true
	}
	p := Free(t)
	ln, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(p))
	if err != nil {
		t.Fatalf("listen on a handed-out port: %v", err)
	}
	ln.Close()
}
