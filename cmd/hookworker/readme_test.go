package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// TestReadmeWalkthrough runs the README's walk-through, from "Five-minute
// walk-through" up to "Per-conversation order", as a reader would: every
// shell block that writes files (not the nats CLI examples), every console
// command (`bin/hookworker run` and `demo-target` in the background, as
// the other shells), and compares each command's output, and the worker's
// log lines shown, with the README. Times, durations, generated ids and
// inboxes are normalised; a line "..." stands for any lines. It runs in a
// temporary copy of configs/ with free ports in place of 4222, 8090, 8091
// and 9464, and its own /tmp.
func TestReadmeWalkthrough(t *testing.T) {
	if testing.Short() {
		t.Skip("the walk-through takes about 20s: skipped with -short")
	}
	readme, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	text := string(readme)
	start, end := strings.Index(text, "## Five-minute walk-through"), strings.Index(text, "## Per-conversation order")
	if start < 0 || end < start {
		t.Fatal("README has no walk-through section")
	}
	w := newWalk(t)
	blocks := regexp.MustCompile("(?ms)^( *)```(sh|console)\n(.*?)^ *```").FindAllStringSubmatch(text[start:end], -1)
	ran := 0
	for _, m := range blocks {
		b := []string{m[0], m[2], dedent(m[3], m[1])} // a block inside a list item is indented
		if b[1] == "sh" {
			if strings.Contains(b[2], "\nnats ") || strings.HasPrefix(b[2], "nats ") || strings.Contains(b[2], "# nats CLI example") {
				continue
			}
			w.shell(b[2])
			continue
		}
		steps := consoleSteps(b[2])
		if len(steps) == 1 && steps[0].cmd == "" {
			w.expectLog(steps[0].want) // lines of shell 1's log
			continue
		}
		for _, s := range steps {
			w.step(s)
			ran++
		}
	}
	if ran < 30 {
		t.Errorf("ran %d commands of the walk-through: the README's structure changed?", ran)
	}
}

type step struct {
	cmd  string
	want []string
}

// consoleSteps splits a console block into commands ($ ..., with \
// continuations) and the lines each prints.
func consoleSteps(block string) []step {
	var out []step
	lines := strings.Split(strings.TrimSuffix(block, "\n"), "\n")
	for i := 0; i < len(lines); i++ {
		l := lines[i]
		if cmd, ok := strings.CutPrefix(l, "$ "); ok {
			for strings.HasSuffix(cmd, `\`) && i+1 < len(lines) {
				i++
				cmd = strings.TrimSuffix(cmd, `\`) + " " + strings.TrimSpace(lines[i])
			}
			out = append(out, step{cmd: cmd})
			continue
		}
		if len(out) == 0 {
			out = append(out, step{})
		}
		out[len(out)-1].want = append(out[len(out)-1].want, l)
	}
	return out
}

// walk is the walk-through's state: its directory, ports, background
// processes and the last exit status.
type walk struct {
	t        *testing.T
	dir, tmp string
	ports    map[string]string // README port -> the test's
	env      []string
	lastCode int
	bg       map[string]*bgProc // "run", "demo-target <addr>"
}

type bgProc struct {
	cmd *exec.Cmd
	mu  sync.Mutex
	out bytes.Buffer
}

func (p *bgProc) text() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.out.String()
}

func (p *bgProc) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.out.Write(b)
}

func newWalk(t *testing.T) *walk {
	dir := t.TempDir()
	w := &walk{t: t, dir: dir, tmp: filepath.Join(dir, "tmp"), bg: map[string]*bgProc{},
		ports: map[string]string{"4222": fmt.Sprint(freePort(t)), "8090": fmt.Sprint(freePort(t)), "8091": fmt.Sprint(freePort(t)), "9464": fmt.Sprint(freePort(t))}}
	if err := os.MkdirAll(filepath.Join(dir, "bin"), 0o755); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("go", "build", "-o", filepath.Join(dir, "bin", "hookworker"), ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	for _, d := range []string{"tmp", "cmd/hookworker/testdata"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	w.copyTree(filepath.Join("..", "..", "configs"), filepath.Join(dir, "configs"))
	w.copyTree(filepath.Join("testdata", "validate"), filepath.Join(dir, "cmd", "hookworker", "testdata", "validate"))
	w.env = childEnv("HOOKWORKER_EMBEDDED_PORT="+w.ports["4222"], "HOOKWORKER_OPS_LISTEN=127.0.0.1:"+w.ports["9464"])
	t.Cleanup(func() {
		for _, p := range w.bg {
			w.stop(p)
		}
	})
	return w
}

// copyTree copies a directory, README ports and /tmp rewritten in its files.
func (w *walk) copyTree(from, to string) {
	err := filepath.WalkDir(from, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(from, p)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(to, rel), 0o755)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(to, rel), []byte(w.rewrite(string(data))), 0o644)
	})
	if err != nil {
		w.t.Fatal(err)
	}
}

// rewrite puts the test's ports and /tmp into README text; unrewrite
// takes them out of output.
func (w *walk) rewrite(s string) string {
	for from, to := range w.ports {
		s = strings.ReplaceAll(s, "127.0.0.1:"+from, "127.0.0.1:"+to)
	}
	return strings.ReplaceAll(s, "/tmp/", w.tmp+"/")
}

func (w *walk) unrewrite(s string) string {
	for from, to := range w.ports {
		s = strings.ReplaceAll(s, "127.0.0.1:"+to, "127.0.0.1:"+from)
	}
	return strings.ReplaceAll(s, w.tmp+"/", "/tmp/")
}

// shell runs a sh block (files written with heredocs).
func (w *walk) shell(script string) {
	cmd := exec.Command("bash", "-e", "-c", w.rewrite(script))
	cmd.Dir, cmd.Env = w.dir, w.env
	if out, err := cmd.CombinedOutput(); err != nil {
		w.t.Fatalf("sh block: %v\n%s\n%s", err, script, out)
	}
}

var envPrefix = regexp.MustCompile(`^((?:[A-Z_]+=\S+ )*)(.*)$`)

// step runs one console command and compares its output.
func (w *walk) step(s step) {
	t := w.t
	m := envPrefix.FindStringSubmatch(s.cmd)
	env, cmdline := strings.Fields(m[1]), m[2]
	switch {
	case strings.HasPrefix(cmdline, "go "):
		return // go build: done in newWalk; go test: the suite runs it
	case cmdline == "echo $?":
		w.compare(s, fmt.Sprintln(w.lastCode))
		return
	case cmdline == "bin/hookworker run" || strings.HasPrefix(cmdline, "bin/hookworker demo-target"):
		key := "run"
		if cmdline != "bin/hookworker run" {
			key = cmdline
		}
		if p := w.bg[key]; p != nil {
			w.stop(p)
		}
		if cmdline == "bin/hookworker demo-target" { // its default address is 127.0.0.1:8090
			cmdline += " --addr 127.0.0.1:8090"
		}
		p := &bgProc{cmd: exec.Command("bash", "-c", "exec "+w.rewrite(cmdline))}
		p.cmd.Dir, p.cmd.Env = w.dir, append(append([]string{}, w.env...), env...)
		p.cmd.Stdout, p.cmd.Stderr = p, p
		if err := p.cmd.Start(); err != nil {
			t.Fatal(err)
		}
		w.bg[key] = p
		w.waitFor(p, s.cmd, s.want, true)
		if key == "run" { // ready before the next command, shown or not
			w.waitFor(p, s.cmd, []string{"... worker started ..."}, false)
		}
		return
	}
	cmd := exec.Command("bash", "-c", w.rewrite(cmdline))
	cmd.Dir, cmd.Env = w.dir, append(append([]string{}, w.env...), env...)
	out, err := cmd.CombinedOutput()
	w.lastCode = 0
	if ee, ok := err.(*exec.ExitError); ok {
		w.lastCode = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("%s: %v", s.cmd, err)
	}
	w.compare(s, w.unrewrite(string(out)))
}

// expectLog waits for lines of shell 1's log.
func (w *walk) expectLog(want []string) {
	p := w.bg["run"]
	if p == nil {
		w.t.Fatal("the README shows worker log lines with no worker running")
	}
	w.waitFor(p, "the worker's log", want, false)
}

// waitFor waits until a background process printed the wanted lines (in
// order, other lines between them allowed); with exact, the lines up to
// the last wanted one must be exactly those.
func (w *walk) waitFor(p *bgProc, what string, want []string, exact bool) {
	deadline := time.Now().Add(30 * time.Second)
	for {
		got := normalise(strings.Split(strings.TrimSuffix(w.unrewrite(p.text()), "\n"), "\n"))
		norm := normalise(want)
		if exact && nonEmpty(got) >= len(norm) {
			if !matchLines(norm, got[:len(norm)]) {
				w.t.Errorf("%s: README shows\n%s\nthe process printed\n%s", what, strings.Join(want, "\n"), strings.Join(got, "\n"))
			}
			return
		}
		if !exact && subsequence(norm, got) {
			return
		}
		if time.Now().After(deadline) {
			w.t.Errorf("%s: README shows\n%s\nthe process printed\n%s", what, strings.Join(want, "\n"), strings.Join(got, "\n"))
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (w *walk) stop(p *bgProc) {
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { _ = p.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		_ = p.cmd.Process.Kill()
		<-done
	}
	for k, q := range w.bg {
		if q == p {
			delete(w.bg, k)
		}
	}
}

func (w *walk) compare(s step, out string) {
	got := normalise(strings.Split(strings.TrimSuffix(out, "\n"), "\n"))
	if out == "" {
		got = nil
	}
	want := normalise(s.want)
	if !matchLines(want, got) {
		w.t.Errorf("$ %s\nREADME shows:\n%s\nthe command printed (exit %d):\n%s", s.cmd, strings.Join(s.want, "\n"), w.lastCode, strings.Join(got, "\n"))
	}
}

var normalisers = []struct {
	re   *regexp.Regexp
	with string
}{
	{regexp.MustCompile(`\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)`), "<TIME>"},
	{regexp.MustCompile(`"(duration_ms)": [0-9.e-]+`), `"$1": <N>`},
	{regexp.MustCompile(`("duration_ms": )[0-9.e-]+`), `$1<N>`},
	{regexp.MustCompile(`(evt-[a-z0-9-]+?)-\d{15,}`), "$1-<ID>"},
	{regexp.MustCompile(`_INBOX\.[A-Za-z0-9]+`), "_INBOX.<X>"},
	{regexp.MustCompile(`"trace_id": "[0-9a-f]{32}"`), `"trace_id": "<TRACE>"`},
	{regexp.MustCompile(`"instance": "[A-Za-z0-9]+"`), `"instance": "<NUID>"`},
	{regexp.MustCompile(`\bX[A-Z2-7]{55}\b`), "<PUBLIC KEY>"},
	{regexp.MustCompile(`\s+$`), ""},
}

func normalise(lines []string) []string {
	out := make([]string, len(lines))
	for i, l := range lines {
		for _, n := range normalisers {
			l = n.re.ReplaceAllString(l, n.with)
		}
		out[i] = l
	}
	return out
}

// matchLines matches got against want, where a want line that is "..."
// (indentation aside) matches any number of lines.
func matchLines(want, got []string) bool {
	if len(want) == 0 {
		return len(got) == 0
	}
	if strings.TrimSpace(want[0]) == "..." {
		for i := 0; i <= len(got); i++ {
			if matchLines(want[1:], got[i:]) {
				return true
			}
		}
		return false
	}
	return len(got) > 0 && collapse(want[0]) == collapse(got[0]) && matchLines(want[1:], got[1:])
}

// collapse ignores the widths of table columns.
func collapse(s string) string { return strings.Join(strings.Fields(s), " ") }

// subsequence reports whether the wanted lines appear in got in order; a
// wanted line "... X ..." is found when a line contains X.
func subsequence(want, got []string) bool {
	i := 0
	for _, g := range got {
		if i == len(want) {
			break
		}
		wl := collapse(want[i])
		if inner, ok := strings.CutPrefix(wl, "... "); ok && strings.HasSuffix(inner, " ...") {
			if strings.Contains(g, strings.TrimSuffix(inner, " ...")) {
				i++
			}
			continue
		}
		if wl == collapse(g) {
			i++
		}
	}
	return i == len(want)
}

func nonEmpty(lines []string) int {
	n := 0
	for _, l := range lines {
		if strings.TrimSpace(l) != "" {
			n++
		}
	}
	return n
}

// dedent removes a block's indentation from each of its lines.
func dedent(block, indent string) string {
	lines := strings.Split(block, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimPrefix(l, indent)
	}
	return strings.Join(lines, "\n")
}
