package natsd

import (
	"context"
	"fmt"
	"time"
)

// WaitCluster waits until nodes form one JetStream cluster: every node
// routed to every other, one meta leader, and that leader seeing every
// node as a JetStream peer. It returns an error saying what was missing
// when ctx ends first.
func WaitCluster(ctx context.Context, nodes []*Server) error {
	n := len(nodes)
	for {
		leaders, routed, peers := 0, 0, 0
		for _, s := range nodes {
			if s.Raw().JetStreamIsLeader() {
				leaders++
				peers = len(s.Raw().JetStreamClusterPeers())
			}
			if s.Raw().NumRemotes() >= n-1 {
				routed++
			}
		}
		if leaders == 1 && routed == n && peers == n {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("natsd: cluster of %d: %d meta leaders, %d nodes fully routed, %d JetStream peers: %w", n, leaders, routed, peers, ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
}
