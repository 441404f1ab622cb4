// Package testtool finds the programs a few tests need beyond Go (Node.js
// with the TypeScript engine's npm packages, promtool, Chromium). On a
// machine that has only Go, such a test is skipped with a message naming
// what to install, so `go test ./...` passes there; under `.ci/run`,
// which installs every one of them and exports HOOKWORKER_TEST_TOOLS=require,
// a missing program fails the test instead, so CI can never pass without
// running it. Imported by tests only.
package testtool

import (
	"os"
	"os/exec"
	"testing"
)

// RequireEnv is the variable .ci/run sets to "require".
const RequireEnv = "HOOKWORKER_TEST_TOOLS"

// Required reports whether missing programs fail tests (under .ci/run).
func Required() bool { return os.Getenv(RequireEnv) == "require" }

// Missing ends the test for want of something: a failure under .ci/run, a
// skip elsewhere. what says what is missing and how to get it.
func Missing(t testing.TB, what string) {
	t.Helper()
	if Required() {
		t.Fatalf("%s (%s=require: .ci/run installs it, so this is a CI setup error)", what, RequireEnv)
	}
	t.Skipf("%s; skipped (.ci/run installs it and runs this test)", what)
}

// Program returns the path of the program name, or ends the test with
// Missing, naming install (such as "apt-get install prometheus").
func Program(t testing.TB, name, install string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		Missing(t, name+" is not installed ("+install+")")
	}
	return p
}
