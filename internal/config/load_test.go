package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestYAMLErrorsNameTheKey: every problem of a file is reported by its YAML
// key and line, with the nearest known key for a misspelling, and never
// by a Go type.
func TestYAMLErrorsNameTheKey(t *testing.T) {
	tests := []struct {
		name, body string
		want       []string
	}{
		{"misspelt key", "worker:\n  concurency: 3\n", []string{"worker.concurency (line 2): unknown key (did you mean concurrency?)"}},
		{"misspelt section", "wroker:\n  concurrency: 3\n", []string{"wroker (line 1): unknown key (did you mean worker?)"}},
		{"far from anything", "worker:\n  zzzzzzzz: 3\n", []string{"worker.zzzzzzzz (line 2): unknown key"}},
		{"bad duration", "worker:\n  ack_wait: soon\n", []string{`worker.ack_wait (line 2): "soon" is not a duration such as 5s`}},
		{"bad int", "worker:\n  concurrency: many\n", []string{`worker.concurrency (line 2): "many" is not an integer`}},
		{"bad list", "http:\n  allow: 127.0.0.1/8\n", []string{`http.allow (line 2): "127.0.0.1/8" is not a list of strings`}},
		{"bad schedule", "retry:\n  schedule: [5s, x]\n", []string{"retry.schedule (line 2): a list is not a list of durations such as [5s, 5m]"}},
		{"section not a mapping", "worker: 3\n", []string{`worker (line 1): want a mapping of keys, not "3"`}},
		{"twice", "log:\n  level: info\n  level: debug\n", []string{"log.level (line 3): given twice"}},
		{"all at once", "worker:\n  concurency: 3\nlog:\n  levl: info\n", []string{"worker.concurency (line 2)", "log.levl (line 4): unknown key (did you mean level?)"}},
	}
	dir := t.TempDir()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := filepath.Join(dir, strings.ReplaceAll(tt.name, " ", "_")+".yaml")
			if err := os.WriteFile(p, []byte(tt.body), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := loadEnv(p, nil)
			if err == nil {
				t.Fatal("loaded")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q\nwant it to contain %q", err, w)
				}
			}
			for _, goName := range []string{"config.", "time.Duration", "[]string", "unmarshal", "!!"} {
				if strings.Contains(err.Error(), goName) {
					t.Errorf("error %q names Go or YAML internals (%s)", err, goName)
				}
			}
		})
	}
}

// TestYAMLKeepsDefaultsOfUnsetKeys: a file sets only what it names; an
// empty section or file keeps every default.
func TestYAMLKeepsDefaultsOfUnsetKeys(t *testing.T) {
	dir := t.TempDir()
	for name, body := range map[string]string{
		"empty.yaml":   "",
		"comment.yaml": "# nothing\n",
		"section.yaml": "worker:\n",
		"one.yaml":     "worker:\n  concurrency: 7\nretry:\n  schedule: [1s, 2m]\n",
	} {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		cfg, err := loadEnv(p, nil)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		want := Default()
		if name == "one.yaml" {
			want.Worker.Concurrency = 7
			want.Retry.Schedule = []time.Duration{time.Second, 2 * time.Minute}
		}
		if cfg.Worker != want.Worker || len(cfg.Retry.Schedule) != len(want.Retry.Schedule) || cfg.Retry.Schedule[1] != want.Retry.Schedule[1] || cfg.Log != want.Log {
			t.Errorf("%s: got %+v %v, want %+v %v", name, cfg.Worker, cfg.Retry.Schedule, want.Worker, want.Retry.Schedule)
		}
	}
}

func TestNearest(t *testing.T) {
	known := []string{"concurrency", "max_ack_pending", "ack_wait", "max_deliver"}
	for got, want := range map[string]string{
		"concurency": "concurrency", "concurrencyy": "concurrency", "ack_wiat": "ack_wait",
		"max_delivr": "max_deliver", "banana": "", "x": "",
	} {
		if n := nearest(got, known); n != want {
			t.Errorf("nearest(%q) = %q, want %q", got, n, want)
		}
	}
}
