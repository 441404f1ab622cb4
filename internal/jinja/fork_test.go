package jinja

import (
	"os/exec"
	"path/filepath"
	"testing"
)

// TestForkSuite runs the tests of the gonja fork (third_party/gonja, a
// module of its own that `go test ./...` at the root does not enter):
// each patch listed in its PATCHES.md has a test there.
func TestForkSuite(t *testing.T) {
	if testing.Short() {
		t.Skip("-short")
	}
	cmd := exec.Command("go", "test", "-count=1", "./...")
	cmd.Dir = filepath.Join("..", "..", "third_party", "gonja")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("go test in %s: %v\n%s", cmd.Dir, err, out)
	}
}
