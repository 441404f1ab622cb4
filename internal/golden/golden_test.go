package golden

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// recorder is a testing.TB that records failures instead of failing.
type recorder struct {
	testing.TB
	errors []string
}

func (r *recorder) Helper() {}
func (r *recorder) Errorf(format string, a ...any) {
	r.errors = append(r.errors, fmt.Sprintf(format, a...))
}
func (r *recorder) Fatalf(format string, a ...any) {
	r.errors = append(r.errors, fmt.Sprintf(format, a...))
}

func TestCheck(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.golden")
	if err := os.WriteFile(path, []byte("a\nb\nc\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, path, got, want string // want: substring of the failure, "" for none
	}{
		{"same", path, "a\nb\nc\n", ""},
		{"differs", path, "a\nB\nc\n", "line 2:\n  want b\n  got  B"},
		{"longer", path, "a\nb\nc\nd", "line 4:"},
		{"missing file", path + ".nope", "a", "run the test with -update"},
	}
	for _, tt := range tests {
		r := &recorder{TB: t}
		Check(r, tt.path, []byte(tt.got))
		failed := strings.Join(r.errors, "\n")
		if tt.want == "" && failed != "" || tt.want != "" && !strings.Contains(failed, tt.want) {
			t.Errorf("%s: failures %q, want one containing %q", tt.name, failed, tt.want)
		}
	}
}
