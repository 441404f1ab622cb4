package metrics

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hookworker/hookworker/internal/testtool"
	dto "github.com/prometheus/client_model/go"
	"go.yaml.in/yaml/v3"
)

var (
	alertsFile    = filepath.Join("..", "..", "configs", "prometheus", "alerts.yml")
	alertsTests   = filepath.Join("..", "..", "configs", "prometheus", "alerts_test.yml")
	dashboardFile = filepath.Join("..", "..", "configs", "grafana", "dashboards", "hookworker.json")
)

// registered returns every series name this package exports, with its
// labels (histograms as _bucket, _sum and _count).
func registered(t *testing.T) map[string][]string {
	t.Helper()
	m := New(Options{})
	m.ObserveTemplateCache(func() int { return 1 })
	m.ObserveConsumer(func(context.Context) (ConsumerState, error) { return ConsumerState{}, nil }, 0)
	m.ObserveBuild(BuildInfo{Version: "v", Revision: "r", GoVersion: "go"})
	m.ObserveDeadLetters(func(context.Context) ([]Backlog, error) { return []Backlog{{Bot: "b", Class: "c", Count: 1}}, nil }, 0)
	m.ObserveBreakers(func() ([]string, []string) { return []string{"h:443"}, nil })
	m.EventReceived()
	m.InFlight(0)
	m.Outcome("succeeded", "")
	m.Attempt("h:443", "2xx", time.Millisecond)
	m.RetryScheduled("delayed")
	m.DeadLetter("network")
	m.DefinitionCache(true)
	m.DefinitionCache(false)
	m.Unordered()
	m.Completed("w", "succeeded", time.Millisecond, time.Second)
	m.UnknownFields([]string{"f"}, 1)
	m.TopologyRecreated("consumer", "hookworker")
	m.StaleDelivery()
	m.PullStalled()
	m.WriteRetried("in_process")
	m.BackstopGaveUp()
	fams, err := m.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]string{"up": nil}
	for _, f := range fams {
		var labels []string
		for _, l := range f.GetMetric()[0].GetLabel() {
			labels = append(labels, l.GetName())
		}
		if f.GetType() == dto.MetricType_HISTOGRAM {
			out[f.GetName()+"_bucket"] = append(slices.Clone(labels), "le")
			out[f.GetName()+"_sum"] = labels
			out[f.GetName()+"_count"] = labels
		} else {
			out[f.GetName()] = labels
		}
	}
	return out
}

var (
	metricName = regexp.MustCompile(`\b((?:hookworker|process|go)_[a-z0-9_]+|up)\b`)
	matcher    = regexp.MustCompile(`\b([a-z_][a-z0-9_]*)\s*(?:=~|!~|!=|=)\s*"`)
	byClause   = regexp.MustCompile(`\b(?:by|without)\s*\(([^)]*)\)`)
	templVar   = regexp.MustCompile(`\{\{[^}]*\}\}`)
)

// checkExpr: every series name in expr is one this package exports, and
// every label it matches or groups by is one of theirs (or job, instance).
func checkExpr(t *testing.T, where, expr string, known map[string][]string, used map[string]bool) {
	t.Helper()
	expr = templVar.ReplaceAllString(expr, "")
	allowed := []string{"job", "instance"}
	found := false
	for _, m := range metricName.FindAllString(expr, -1) {
		labels, ok := known[m]
		if !ok {
			t.Errorf("%s: %s is not a series internal/metrics exports", where, m)
			continue
		}
		found = true
		used[m] = true
		allowed = append(allowed, labels...)
	}
	if !found {
		t.Errorf("%s: no known series in %q", where, expr)
	}
	var labels []string
	for _, m := range matcher.FindAllStringSubmatch(expr, -1) {
		labels = append(labels, m[1])
	}
	for _, m := range byClause.FindAllStringSubmatch(expr, -1) {
		for _, l := range strings.Split(m[1], ",") {
			labels = append(labels, strings.TrimSpace(l))
		}
	}
	for _, l := range labels {
		if l != "" && !slices.Contains(allowed, l) {
			t.Errorf("%s: label %q is not one of %v", where, l, allowed)
		}
	}
}

// TestAlertRulesAndDashboard: the alert rules and the dashboard use only
// series and labels this package exports, every hookworker series has a
// dashboard panel, and promtool accepts the rules (check rules), their
// unit tests pass (test rules), and the dashboard's PromQL parses.
func TestAlertRulesAndDashboard(t *testing.T) {
	known := registered(t)
	used := map[string]bool{}

	data, err := os.ReadFile(alertsFile)
	if err != nil {
		t.Fatal(err)
	}
	var rules struct {
		Groups []struct {
			Rules []struct{ Alert, Expr string } `yaml:"rules"`
		} `yaml:"groups"`
	}
	if err := yaml.Unmarshal(data, &rules); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, g := range rules.Groups {
		for _, r := range g.Rules {
			n++
			checkExpr(t, "alert "+r.Alert, r.Expr, known, map[string]bool{})
		}
	}
	if n < 8 {
		t.Errorf("%d alert rules", n)
	}

	data, err = os.ReadFile(dashboardFile)
	if err != nil {
		t.Fatal(err)
	}
	var dash struct {
		Panels []struct {
			Title   string
			Targets []struct{ Expr string }
		}
	}
	if err := json.Unmarshal(data, &dash); err != nil {
		t.Fatal(err)
	}
	var exprs []string
	for _, p := range dash.Panels {
		for _, tg := range p.Targets {
			checkExpr(t, "panel "+p.Title, tg.Expr, known, used)
			exprs = append(exprs, tg.Expr)
		}
	}
	for name := range known {
		family := strings.TrimSuffix(strings.TrimSuffix(strings.TrimSuffix(name, "_bucket"), "_sum"), "_count")
		if !strings.HasPrefix(name, "hookworker_") || used[name] || used[family+"_bucket"] || used[family+"_count"] {
			continue
		}
		if name == family || strings.HasSuffix(name, "_bucket") {
			t.Errorf("no dashboard panel shows %s", name)
		}
	}

	promtool := testtool.Program(t, "promtool", "the Debian package prometheus")
	run := func(args ...string) {
		t.Helper()
		out, err := exec.Command(promtool, args...).CombinedOutput()
		if err != nil {
			t.Errorf("promtool %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	run("check", "rules", alertsFile)
	run("test", "rules", alertsTests)
	// The dashboard's queries, Grafana's variables replaced, as recording
	// rules: promtool parses their PromQL.
	var b strings.Builder
	b.WriteString("groups:\n  - name: dashboard\n    rules:\n")
	repl := strings.NewReplacer("$__rate_interval", "5m", "$job", ".*", "$instance", ".*", "$host", ".*")
	for i, e := range exprs {
		q, _ := json.Marshal(repl.Replace(e))
		fmt.Fprintf(&b, "      - record: dashboard:query%d\n        expr: %s\n", i, q)
	}
	p := filepath.Join(t.TempDir(), "dashboard-rules.yml")
	if err := os.WriteFile(p, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	run("check", "rules", p)
}
