package chaos

import (
	"bufio"
	"fmt"
	"github.com/hookworker/hookworker/internal/testport"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// binaries are hookworker and nats-server, built once per test binary
// into a temporary directory removed by TestMain.
type binaries struct{ hookworker, natsServer string }

var (
	binDir string
	built  = sync.OnceValues(func() (binaries, error) {
		dir, err := os.MkdirTemp("", "hookworker-chaos-")
		if err != nil {
			return binaries{}, err
		}
		binDir = dir
		b := binaries{hookworker: filepath.Join(dir, "hookworker"), natsServer: filepath.Join(dir, "nats-server")}
		jobs := [][2]string{{b.hookworker, "../../cmd/hookworker"}, {b.natsServer, "github.com/nats-io/nats-server/v2"}}
		// HOOKWORKER_CHAOS_BINARY runs the suite against another build
		// (an older commit's, to see a row fail without its fix).
		if other := os.Getenv("HOOKWORKER_CHAOS_BINARY"); other != "" {
			b.hookworker, jobs = other, jobs[1:]
		}
		errs := make(chan error, len(jobs))
		for _, job := range jobs {
			go func() {
				cmd := exec.Command("go", "build", "-o", job[0], job[1])
				if out, err := cmd.CombinedOutput(); err != nil {
					errs <- fmt.Errorf("go build %s: %v\n%s", job[1], err, out)
					return
				}
				errs <- nil
			}()
		}
		for range jobs {
			if e := <-errs; e != nil {
				err = e
			}
		}
		return b, err
	})
)

func bins(t *testing.T) binaries {
	t.Helper()
	b, err := built()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func cleanupBinaries() {
	if binDir != "" {
		os.RemoveAll(binDir)
	}
}

// freePort is a loopback port to listen on later (internal/testport).
func freePort(t *testing.T) int { return testport.Free(t) }

// proc is one child process: its stderr (and stdout) kept line by line,
// killed when the test ends, its last lines logged if the test fails.
type proc struct {
	t    *testing.T
	name string
	cmd  *exec.Cmd

	mu    sync.Mutex
	lines []string
	seen  chan struct{}

	exited chan struct{}
	err    error // exit error, valid once exited is closed
}

// childEnv is this process's environment without the variables that
// configure hookworker or NATS, plus extra.
func childEnv(extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "HOOKWORKER_") || strings.HasPrefix(kv, "NATS_") || strings.HasPrefix(kv, "GOMAXPROCS=") {
			continue
		}
		env = append(env, kv)
	}
	return append(env, extra...)
}

// startProc starts bin with args in dir (a fresh one if empty) and env.
func startProc(t *testing.T, name, bin, dir string, args, env []string) *proc {
	t.Helper()
	p := &proc{t: t, name: name, seen: make(chan struct{}, 1), exited: make(chan struct{})}
	p.cmd = exec.Command(bin, args...)
	if dir == "" {
		dir = t.TempDir()
	}
	p.cmd.Dir = dir
	p.cmd.Env = env
	pr, pw := io.Pipe()
	p.cmd.Stdout, p.cmd.Stderr = pw, pw
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	go func() {
		sc := bufio.NewScanner(pr)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			p.mu.Lock()
			p.lines = append(p.lines, sc.Text())
			p.mu.Unlock()
			select {
			case p.seen <- struct{}{}:
			default:
			}
		}
		_, _ = io.Copy(io.Discard, pr)
	}()
	go func() {
		p.err = p.cmd.Wait()
		_ = pw.Close()
		close(p.exited)
	}()
	t.Cleanup(func() {
		p.kill()
		if t.Failed() {
			t.Logf("%s (%v): first warnings:\n%s\nlast lines:\n%s", name, p.err, p.grep(20, "WARN", "ERROR", "[ERR]", "[WRN]"), p.tail(40))
		}
	})
	return p
}

// kill SIGKILLs the process (resuming it first if stopped) and waits for it.
func (p *proc) kill() {
	select {
	case <-p.exited:
		return
	default:
	}
	_ = p.cmd.Process.Signal(syscall.SIGCONT)
	_ = p.cmd.Process.Kill()
	<-p.exited
}

func (p *proc) alive() bool {
	select {
	case <-p.exited:
		return false
	default:
		return true
	}
}

func (p *proc) signal(sig os.Signal) {
	p.t.Helper()
	if err := p.cmd.Process.Signal(sig); err != nil {
		p.t.Fatalf("signal %v to %s: %v", sig, p.name, err)
	}
}

// wait waits up to d for the process to exit; false if it did not.
func (p *proc) wait(d time.Duration) bool {
	select {
	case <-p.exited:
		return true
	case <-time.After(d):
		return false
	}
}

func (p *proc) tail(n int) string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return strings.Join(p.lines[max(0, len(p.lines)-n):], "\n")
}

// grep returns the first n lines containing any of subs.
func (p *proc) grep(n int, subs ...string) string {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []string
	for _, l := range p.lines {
		for _, s := range subs {
			if strings.Contains(l, s) {
				out = append(out, l)
				break
			}
		}
		if len(out) == n {
			break
		}
	}
	return strings.Join(out, "\n")
}

// count returns how many lines contain s.
func (p *proc) count(s string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := 0
	for _, l := range p.lines {
		if strings.Contains(l, s) {
			n++
		}
	}
	return n
}

// waitLog waits until a line contains s; false after d or if the process
// exited without.
func (p *proc) waitLog(s string, d time.Duration) bool {
	deadline := time.After(d)
	for p.count(s) == 0 {
		select {
		case <-p.seen:
		case <-p.exited:
			return p.count(s) > 0
		case <-deadline:
			return false
		}
	}
	return true
}
