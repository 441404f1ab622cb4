package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"

	goldenfile "github.com/hookworker/hookworker/internal/golden"
)

// runCLI runs the command line in-process, as main does, and returns the
// exit status, standard output and standard error.
func runCLI(t *testing.T, ctx context.Context, env map[string]string, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	var environ []string
	for k, v := range env {
		environ = append(environ, k+"="+v)
	}
	code := run(ctx, args, stdio{in: strings.NewReader(""), out: &out, err: &errOut}, environ)
	return code, out.String(), errOut.String()
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	goldenfile.Check(t, filepath.Join("testdata", name+".golden"), []byte(got))
}
