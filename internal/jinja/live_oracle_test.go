package jinja

import (
	"bufio"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// liveOracle talks to testdata/oracle/gen/server.py (Python Jinja2) when
// HOOKWORKER_JINJA2_ORACLE names it (run by HOOKWORKER_JINJA2_PYTHON, python3 by default): one JSON request per line, one JSON
// answer per line. Without the variable the live tests and the live mode
// of the differential fuzzer are skipped; the recorded corpus always runs.
type liveOracle struct {
	mu  sync.Mutex
	cmd *exec.Cmd
	in  io.WriteCloser
	out *bufio.Reader
}

// liveAnswer is one answer of server.py.
type liveAnswer struct {
	oracleCase
	Skip       string `json:"skip"`
	BadRequest string `json:"bad_request"`
}

func startLiveOracle(t testing.TB) *liveOracle {
	t.Helper()
	path := os.Getenv("HOOKWORKER_JINJA2_ORACLE")
	if path == "" {
		return nil
	}
	python := os.Getenv("HOOKWORKER_JINJA2_PYTHON")
	if python == "" {
		python = "python3" // gen/oracle.py refuses one without Jinja2 3.1.6
	}
	cmd := exec.Command(python, path)
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("start live oracle %s: %v", path, err)
	}
	o := &liveOracle{cmd: cmd, in: in, out: bufio.NewReaderSize(out, 1<<20)}
	t.Cleanup(func() {
		_ = in.Close()
		_ = cmd.Wait()
	})
	return o
}

// ask returns Jinja2's outcome for a template over a context (JSON text).
func (o *liveOracle) ask(t testing.TB, template, context, mode string) (liveAnswer, bool) {
	t.Helper()
	o.mu.Lock()
	defer o.mu.Unlock()
	req, _ := json.Marshal(map[string]string{"template": template, "context": context, "mode": mode})
	if _, err := o.in.Write(append(req, '\n')); err != nil {
		t.Fatalf("live oracle: %v", err)
	}
	line, err := o.out.ReadBytes('\n')
	if err != nil {
		t.Fatalf("live oracle: %v", err)
	}
	var a liveAnswer
	if err := json.Unmarshal(line, &a); err != nil {
		t.Fatalf("live oracle answer %q: %v", line, err)
	}
	return a, a.Skip == "" && a.BadRequest == ""
}

// TestLiveOracleSpot compares the engine with live Jinja2 on the
// templates of the file HOOKWORKER_JINJA2_SPOT names (one template per
// line, optionally followed by a tab and a JSON context; "expr:" in front
// selects mode expr). A developer's aid for checking a family of cases
// before adding them to the corpus.
func TestLiveOracleSpot(t *testing.T) {
	file := os.Getenv("HOOKWORKER_JINJA2_SPOT")
	if file == "" {
		t.Skip("HOOKWORKER_JINJA2_SPOT not set")
	}
	o := startLiveOracle(t)
	if o == nil {
		t.Skip("HOOKWORKER_JINJA2_ORACLE not set")
	}
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(strings.TrimRight(string(data), "\n"), "\n") {
		if line == "" {
			continue
		}
		tpl, ctx, _ := strings.Cut(line, "\t")
		if ctx == "" {
			ctx = "{}"
		}
		mode := "render"
		if rest, ok := strings.CutPrefix(tpl, "expr:"); ok {
			tpl, mode = rest, "expr"
		}
		tpl = strings.ReplaceAll(tpl, `\n`, "\n")
		a, ok := o.ask(t, tpl, ctx, mode)
		if !ok {
			t.Logf("skip %q: %s%s", tpl, a.Skip, a.BadRequest)
			continue
		}
		got := runOracle(NewEnv(Limits{}), tpl, []byte(ctx), mode)
		want := a.expected()
		if !matches(got, want) {
			t.Errorf("%q %s\n got: %s\nwant: %s", tpl, ctx, got, want)
		}
	}
}

// TestOracleFiles runs the case files HOOKWORKER_JINJA2_CASES names (a
// glob, in the corpus format; gen/random_gen.py N SEED and gen/bodies_gen.py
// write them) like TestOracle: a developer's aid for a generated corpus
// before the cases that differ are kept in the committed one.
func TestOracleFiles(t *testing.T) {
	glob := os.Getenv("HOOKWORKER_JINJA2_CASES")
	if glob == "" {
		t.Skip("HOOKWORKER_JINJA2_CASES not set")
	}
	files, err := filepath.Glob(glob)
	if err != nil || len(files) == 0 {
		t.Fatalf("no case files match %q: %v", glob, err)
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var cases []*oracleCase
		if err := json.Unmarshal(data, &cases); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		bad := 0
		for _, c := range cases {
			got := runOracle(NewEnv(Limits{}), c.Template, c.Context, c.Mode)
			if want := c.expected(); !matches(got, want) {
				bad++
				t.Errorf("%s (%s)\ntemplate: %q\ncontext:  %s\ngot:  %s\nwant: %s", c.Name, c.Mode, c.Template, c.Context, got, want)
			}
		}
		t.Logf("%s: %d/%d cases differ", f, bad, len(cases))
	}
}
