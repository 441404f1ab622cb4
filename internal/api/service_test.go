package api_test

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/micro"

	"github.com/hookworker/hookworker/internal/api"
	"github.com/hookworker/hookworker/internal/registry"
)

// TestDiscoverable: the service answers $SRV.PING/INFO/STATS under its
// name, as `nats micro list` and `nats micro info hookworker` ask, with
// every endpoint's subject, and this process's state in the STATS data of
// the status endpoint.
func TestDiscoverable(t *testing.T) {
	f := newFixture(t, nil)
	var ping micro.Ping
	call(t, f.nc, "$SRV.PING.hookworker", nil, &ping)
	if ping.Name != api.Name || ping.Version != "1.2.3" || ping.ID != f.svc.ID() || ping.Type != micro.PingResponseType {
		t.Errorf("ping %+v", ping)
	}
	var info micro.Info
	call(t, f.nc, "$SRV.INFO.hookworker", nil, &info)
	var subjects []string
	for _, e := range info.Endpoints {
		subjects = append(subjects, e.Subject)
		if e.QueueGroup != micro.DefaultQueueGroup {
			t.Errorf("endpoint %s: queue group %q, want %q (balanced over the fleet)", e.Name, e.QueueGroup, micro.DefaultQueueGroup)
		}
	}
	slices.Sort(subjects)
	want := []string{api.SubjectDLQList, api.SubjectDLQShow, api.SubjectRender, api.SubjectReplay, api.SubjectStatus, api.SubjectValidate}
	if !slices.Equal(subjects, want) {
		t.Errorf("endpoints %v, want %v", subjects, want)
	}
	var st api.StatusReply
	call(t, f.nc, api.SubjectStatus, map[string]any{}, &st)
	if st.ID != f.svc.ID() || st.InFlight != 3 || !slices.Equal(st.BreakersOpen, []string{"down.example:443"}) || st.BreakersHalfOpen == nil {
		t.Errorf("status %+v", st)
	}
	ins, err := f.c.Instances(context.Background(), 300*time.Millisecond)
	if err != nil || len(ins) != 1 {
		t.Fatalf("instances %+v, %v", ins, err)
	}
	if in := ins[0]; in.ID != f.svc.ID() || in.InFlight != 3 || in.Requests < 1 || in.Version != "1.2.3" {
		t.Errorf("instance %+v", in)
	}
}

// TestBalanced: two processes serving the service share its requests
// (one queue group), and both answer STATS.
func TestBalanced(t *testing.T) {
	f := newFixture(t, nil)
	nc2, err := nats.Connect(f.url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc2.Close)
	reg, _ := registry.NewStatic()
	second := startService(t, nc2, reg, nil, f.store)
	seen := map[string]int{}
	for range 40 {
		var st api.StatusReply
		call(t, f.nc, api.SubjectStatus, nil, &st)
		seen[st.ID]++
	}
	if len(seen) != 2 || seen[f.svc.ID()] == 0 || seen[second.ID()] == 0 {
		t.Errorf("40 requests answered by %v: want both processes", seen)
	}
	ins, err := f.c.Instances(context.Background(), 300*time.Millisecond)
	if err != nil || len(ins) != 2 {
		t.Errorf("instances %+v, %v", ins, err)
	}
}

// TestClient: the Go client decodes replies and error replies, and says
// when no process serves the API.
func TestClient(t *testing.T) {
	f := newFixture(t, nil)
	ctx := context.Background()
	r, err := f.c.Render(ctx, &api.RenderRequest{BotID: "b", Webhook: json.RawMessage(`{"url":"https://x.example/{{ a }}"}`), CVars: json.RawMessage(`{"a":1}`)})
	if err != nil || r.Request.URL != "https://x.example/1" {
		t.Errorf("render %+v, %v", r, err)
	}
	_, err = f.c.Show(ctx, 12345)
	if !asError(err, new(*api.Error)) || !strings.Contains(err.Error(), "dead-letter stream does not exist") {
		t.Errorf("show without the dead-letter stream: %v", err)
	}
	if err := f.store.Ensure(ctx); err != nil {
		t.Fatal(err)
	}
	_, err = f.c.Show(ctx, 12345)
	var ae *api.Error
	if !asError(err, &ae) || ae.Code != 404 || ae.Field != "seq" {
		t.Errorf("show a missing letter: %v", err)
	}
	if err := f.svc.Stop(); err != nil {
		t.Fatal(err)
	}
	if _, err := f.c.Validate(ctx, &api.ValidateRequest{Webhook: json.RawMessage(`{"url":"https://x.example/"}`)}); err != api.ErrNoService {
		t.Errorf("no service: %v, want ErrNoService", err)
	}
}
