package testtool

import (
	"runtime"
	"testing"
)

// TestMissingFailsUnderCI runs Missing in a subtest-like recorder: under
// require it must fail, otherwise skip.
func TestMissingFailsUnderCI(t *testing.T) {
	for _, require := range []bool{false, true} {
		if require {
			t.Setenv(RequireEnv, "require")
		} else {
			t.Setenv(RequireEnv, "")
		}
		r := &recorder{TB: t}
		done := make(chan struct{})
		go func() { defer close(done); Program(r, "no-such-program-hookworker", "nowhere") }()
		<-done
		if require && (!r.failed || r.skipped) || !require && (!r.skipped || r.failed) {
			t.Errorf("require=%v: failed %v, skipped %v", require, r.failed, r.skipped)
		}
	}
}

// recorder records Fatalf and Skipf instead of ending the test.
type recorder struct {
	testing.TB
	failed, skipped bool
}

func (r *recorder) Helper() {}
func (r *recorder) Fatalf(string, ...any) {
	r.failed = true
	runtime.Goexit()
}
func (r *recorder) Skipf(string, ...any) {
	r.skipped = true
	runtime.Goexit()
}
