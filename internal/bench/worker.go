package bench

import (
	"bytes"
	"fmt"
	"io"
	"os/exec"
	"strings"
	"sync"
	"time"
)

// workerProc is the worker under test: `<bin> run --nats-url <url>` in a
// process of its own.
type workerProc struct {
	cmd      *exec.Cmd
	log      *tailWriter
	exited   chan struct{}
	err      error // cmd.Wait's, once exited is closed
	stopOnce sync.Once
}

func startWorker(bin, url string, env []string, dir string, log io.Writer) (*workerProc, error) {
	return startProc(bin, []string{"run", "--nats-url", url}, env, dir, log, "worker: ")
}

// startProc runs bin with args, its output kept (the last lines) and
// copied to log behind prefix.
func startProc(bin string, args, env []string, dir string, log io.Writer, prefix string) (*workerProc, error) {
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir // no configs/hookworker.yaml there: defaults and env
	cmd.Env = env
	tw := &tailWriter{out: log, prefix: prefix, quiet: quietLine}
	cmd.Stdout, cmd.Stderr = tw, tw
	cmd.SysProcAttr = sysProcAttr()
	cmd.WaitDelay = 5 * time.Second
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("bench: start the worker: %w", err)
	}
	p := &workerProc{cmd: cmd, log: tw, exited: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		tw.flush()
		close(p.exited)
	}()
	return p, nil
}

// exitErr is nil while the worker runs.
func (p *workerProc) exitErr() error {
	select {
	case <-p.exited:
		return fmt.Errorf("the worker exited (%v)%s", p.err, p.tail())
	default:
		return nil
	}
}

// stop stops the worker: SIGTERM, then SIGKILL after 15s. It returns once
// the process has exited.
func (p *workerProc) stop() {
	p.stopOnce.Do(func() {
		select {
		case <-p.exited:
			return
		default:
		}
		_ = terminate(p.cmd.Process)
		t := time.NewTimer(15 * time.Second)
		defer t.Stop()
		select {
		case <-p.exited:
		case <-t.C:
			_ = p.cmd.Process.Kill()
			<-p.exited
		}
	})
}

// cpu is the CPU time the worker has used so far.
func (p *workerProc) cpu() (time.Duration, bool) {
	select {
	case <-p.exited:
		return 0, false
	default:
		return procCPU(p.cmd.Process.Pid)
	}
}

// peakRSS is the worker's peak resident set so far, in bytes.
func (p *workerProc) peakRSS() (int64, bool) { return procPeakRSS(p.cmd.Process.Pid) }

// maxRSSAfterExit is the exited worker's peak resident set, in bytes.
func (p *workerProc) maxRSSAfterExit() (int64, bool) {
	select {
	case <-p.exited:
		return exitedMaxRSS(p.cmd.ProcessState)
	default:
		return 0, false
	}
}

// tail is the worker's last log lines, for an error message.
func (p *workerProc) tail() string {
	lines := p.log.last()
	if len(lines) == 0 {
		return ""
	}
	return "; the worker's last log lines:\n  " + strings.Join(lines, "\n  ")
}

// tailWriter copies the worker's output to out line by line, prefixed, and
// keeps the last lines.
type tailWriter struct {
	out    io.Writer
	prefix string
	// quiet lines are kept in the tail but not copied to out.
	quiet func(string) bool
	mu    sync.Mutex
	buf   []byte
	lines []string
}

const tailLines = 20

// quietLine is true for the worker's per-event lines ("event done" at
// its default level): thousands a second, kept out of the bench's log.
func quietLine(s string) bool { return strings.Contains(s, "\tevent done\t") }

func (w *tailWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf = append(w.buf, p...)
	for {
		i := bytes.IndexByte(w.buf, '\n')
		if i < 0 {
			break
		}
		w.line(string(w.buf[:i]))
		w.buf = w.buf[i+1:]
	}
	if len(w.buf) > 64<<10 { // a runaway line
		w.line(string(w.buf))
		w.buf = nil
	}
	return len(p), nil
}

func (w *tailWriter) line(s string) {
	if w.quiet == nil || !w.quiet(s) {
		fmt.Fprintf(w.out, "%s%s\n", w.prefix, s)
	}
	if len(w.lines) == tailLines {
		w.lines = w.lines[1:]
	}
	w.lines = append(w.lines, s)
}

func (w *tailWriter) flush() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.buf) > 0 {
		w.line(string(w.buf))
		w.buf = nil
	}
}

func (w *tailWriter) last() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]string(nil), w.lines...)
}
