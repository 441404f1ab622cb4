package secret

import (
	"os"
	"path/filepath"
	"testing"
)

func TestSources(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("ZENDESK_TOKEN", "from-file\n")
	write("CRLF", "windows\r\n")
	write("TWO_LINES", "a\nb\n\n")
	if err := os.WriteFile(filepath.Join(filepath.Dir(dir), "outside"), []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"HOOKWORKER_SECRET_API_KEY": "from-env", "HOOKWORKER_SECRET_ZENDESK_TOKEN": "env-wins"}
	src := Chain{Env{Getenv: func(k string) string { return env[k] }}, Dir(dir)}
	tests := []struct {
		name, want string
		ok         bool
	}{
		{"API_KEY", "from-env", true},
		{"api_key", "from-env", true}, // upper-cased
		{"ZENDESK_TOKEN", "env-wins", true},
		{"CRLF", "windows", true},
		{"TWO_LINES", "a\nb\n", true}, // one trailing newline dropped
		{"MISSING", "", false},
		{"../outside", "", false},
		{".hidden", "", false},
		{"", "", false},
	}
	for _, tt := range tests {
		got, ok := src.Secret(tt.name)
		if got != tt.want || ok != tt.ok {
			t.Errorf("Secret(%q) = %q, %v; want %q, %v", tt.name, got, ok, tt.want, tt.ok)
		}
	}
	if _, ok := Dir("").Secret("ZENDESK_TOKEN"); ok {
		t.Error("an empty Dir resolved a secret")
	}
	if v, ok := (Env{}).Secret("HOOKWORKER_TEST_UNSET_SECRET"); ok || v != "" {
		t.Errorf("unset env secret: %q %v", v, ok)
	}
}
