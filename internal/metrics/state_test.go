package metrics

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"
)

func TestStateCollectors(t *testing.T) {
	m := New(Options{})
	m.ObserveBuild(BuildInfo{Version: "v1.2.3", Revision: "abc", GoVersion: "go1.26.8"})
	fail := false
	var backlog []Backlog
	for i := range MaxBacklogBots + 20 {
		backlog = append(backlog, Backlog{Bot: fmt.Sprintf("bot-%03d", i), Class: "network", Count: uint64(1000 - i)})
	}
	backlog = append(backlog, Backlog{Bot: "bot-000", Class: "timeout", Count: 5})
	m.ObserveDeadLetters(func(context.Context) ([]Backlog, error) {
		if fail {
			return nil, errors.New("no stream")
		}
		return backlog, nil
	}, 0)
	var hosts []string
	for i := range MaxBreakerHosts + 5 {
		hosts = append(hosts, fmt.Sprintf("h%d:443", i))
	}
	m.ObserveBreakers(func() ([]string, []string) { return hosts, []string{"half:443"} })

	want := `
# HELP hookworker_build_info 1, labelled with the version, source revision and Go version of this binary.
# TYPE hookworker_build_info gauge
hookworker_build_info{goversion="go1.26.8",revision="abc",version="v1.2.3"} 1
`
	if err := testutil.GatherAndCompare(m.reg, strings.NewReader(want), "hookworker_build_info"); err != nil {
		t.Error(err)
	}
	n, err := testutil.GatherAndCount(m.reg, "hookworker_dead_letters_backlog")
	if err != nil || n != MaxBacklogBots+2 { // 100 bots' network, bot-000's timeout, other's network
		t.Errorf("%d backlog series (%v), want %d", n, err, MaxBacklogBots+2)
	}
	fams, _ := m.reg.Gather()
	values := map[string]float64{}
	for _, f := range fams {
		for _, mm := range f.GetMetric() {
			key := f.GetName()
			for _, l := range mm.GetLabel() {
				key += "," + l.GetName() + "=" + l.GetValue()
			}
			values[key] = mm.GetGauge().GetValue()
		}
	}
	for key, want := range map[string]float64{
		"hookworker_dead_letters_backlog,bot=bot-000,class=network": 1000,
		"hookworker_dead_letters_backlog,bot=bot-000,class=timeout": 5,
		"hookworker_dead_letters_backlog,bot=other,class=network":   float64(900 + 899 + 898 + 897 + 896 + 895 + 894 + 893 + 892 + 891 + 890 + 889 + 888 + 887 + 886 + 885 + 884 + 883 + 882 + 881),
		"hookworker_breakers,state=open":                            float64(MaxBreakerHosts + 5),
		"hookworker_breakers,state=half_open":                       1,
	} {
		if values[key] != want {
			t.Errorf("%s = %v, want %v", key, values[key], want)
		}
	}
	if n, _ := testutil.GatherAndCount(m.reg, "hookworker_breaker_open"); n != MaxBreakerHosts {
		t.Errorf("%d breaker_open series, want the cap %d", n, MaxBreakerHosts)
	}
	fail = true
	if n, _ := testutil.GatherAndCount(m.reg, "hookworker_dead_letters_backlog"); n != 0 {
		t.Errorf("a failed read exported %d series", n)
	}
	if n, _ := testutil.GatherAndCount(m.reg, "hookworker_dead_letters_backlog_errors_total"); n != 1 {
		t.Errorf("errors series: %d", n)
	}
}
