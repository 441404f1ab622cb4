package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hookworker/hookworker/internal/config"
	"github.com/hookworker/hookworker/internal/testtool"
	"github.com/hookworker/hookworker/trigger"
)

// nodeEngineDir is the TypeScript engine of docs/engines.md.
var nodeEngineDir = filepath.Join("..", "..", "docs", "engines", "node")

// needNode finds node and the engine's installed packages; missing, the
// test ends as testtool.Missing says (a failure under .ci/run, which
// installs Node.js and runs npm ci; a skip on a machine with only Go).
func needNode(t *testing.T) string {
	t.Helper()
	node := testtool.Program(t, "node", "Node.js 18+: apt-get install nodejs npm")
	if _, err := os.Stat(filepath.Join(nodeEngineDir, "node_modules", "nats")); err != nil {
		testtool.Missing(t, "the TypeScript engine's packages are not installed (npm ci in docs/engines/node)")
	}
	return node
}

func runNode(t *testing.T, env []string, node string, args ...string) (string, string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, args...)
	cmd.Dir = nodeEngineDir
	cmd.Env = append(os.Environ(), env...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	return out.String(), errOut.String(), err
}

// TestNodeEngine: the TypeScript engine's types are what
// json-schema-to-typescript generates from docs/schema today, it
// type-checks with tsc (strict), it is at most 40 lines, and it fires an
// event at a real worker (embedded JetStream, a real HTTP target) and
// prints the Result: subscribe first, then publish.
func TestNodeEngine(t *testing.T) {
	node := needNode(t)
	bin := func(name string) string { return filepath.Join("node_modules", name) }

	for _, schema := range []string{"event", "result"} {
		out, errOut, err := runNode(t, nil, node, bin("json-schema-to-typescript/dist/src/cli.js"),
			"--cwd", "../../schema", "-i", "../../schema/"+schema+".schema.json", "--unknownAny")
		if err != nil {
			t.Fatalf("json2ts %s: %v\n%s", schema, err, errOut)
		}
		have, err := os.ReadFile(filepath.Join(nodeEngineDir, "src", schema+".ts"))
		if err != nil || string(have) != out {
			t.Errorf("docs/engines/node/src/%s.ts is not what docs/schema/%s.schema.json generates: run npm run types there (%v)", schema, schema, err)
		}
	}
	if _, errOut, err := runNode(t, nil, node, bin("typescript/bin/tsc"), "-p", "."); err != nil {
		t.Fatalf("tsc: %v\n%s", err, errOut)
	}
	src, err := os.ReadFile(filepath.Join(nodeEngineDir, "src", "engine.ts"))
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(src), "\n"); n > 40 {
		t.Errorf("src/engine.ts has %d lines, the issue allows 40", n)
	}

	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/api/v2/tickets/389.json" {
			w.WriteHeader(http.StatusNotFound)
			return
		}
		fmt.Fprint(w, `{"ticket": {"status": "open", "tags": ["chatbot"]}}`)
	}))
	t.Cleanup(target.Close)
	r := startEmbeddedRun(t, nil, config.NATS{})
	for _, tc := range []struct {
		id, path string
		exit     int
		status   trigger.Status
	}{
		{"node-1", "/api/v2/tickets/{{ ticket_id }}.json", 0, trigger.StatusSucceeded},
		{"node-2", "/nowhere", 3, trigger.StatusFailed},
	} {
		ev := fmt.Sprintf(`{"id": %q, "bot_id": "node-bot", "conversation_id": "c-1", "spec_version": "1", "tenant_id": "t-1",
			"webhook": {"url": %q, "cvars": [{"name": "ticket_status", "mapper": "{{ ticket.status }}"}, {"name": "tags", "mapper": "{{ ticket.tags }}"}]},
			"cvars": {"ticket_id": 389}}`, tc.id, target.URL+tc.path)
		p := filepath.Join(t.TempDir(), "event.json")
		if err := os.WriteFile(p, []byte(ev), 0o644); err != nil {
			t.Fatal(err)
		}
		out, errOut, err := runNode(t, []string{"NATS_URL=" + r.url()}, node, "dist/engine.js", p)
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		var res trigger.Result
		if jerr := json.Unmarshal([]byte(out), &res); code != tc.exit || jerr != nil || res.EventID != tc.id || res.Status != tc.status {
			t.Fatalf("%s: exit %d (want %d), %v\nstdout: %s\nstderr: %s", tc.id, code, tc.exit, jerr, out, errOut)
		}
		if tc.status == trigger.StatusSucceeded && (res.CVars["ticket_status"] != "open" || fmt.Sprint(res.CVars["tags"]) != "[chatbot]") {
			t.Errorf("%s: cvars %v", tc.id, res.CVars)
		}
	}
}
