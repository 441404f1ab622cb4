package console_test

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestNothingExternalNothingInline: the templates and assets reference no
// other site (everything the console uses is embedded), hold no inline
// script, style or event handler (the CSP allows none), and every script
// is the console's own file.
func TestNothingExternalNothingInline(t *testing.T) {
	var files []string
	for _, dir := range []string{"templates", "static"} {
		err := fs.WalkDir(os.DirFS(dir), ".", func(p string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				files = append(files, filepath.Join(dir, p))
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if len(files) < 10 {
		t.Fatalf("only %d files found: %v", len(files), files)
	}
	external := regexp.MustCompile(`(?i)(src|href|action)\s*=\s*["']?(https?:)?//|url\(\s*["']?(https?:)?//|@import|fetch\(\s*["'](https?:)?//`)
	inline := []*regexp.Regexp{
		regexp.MustCompile(`(?i)<script(\s[^>]*)?>\s*[^<\s]`),            // a script with a body
		regexp.MustCompile(`(?i)<script(?:\s(?:[^>](?:[^s]|s[^r]))*)?>`), // a script without src
		regexp.MustCompile(`(?i)<style`),
		regexp.MustCompile(`(?i)\sstyle\s*=`),
		regexp.MustCompile(`(?i)\son[a-z]+\s*=`),
		regexp.MustCompile(`(?i)javascript:`),
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		s := string(data)
		if m := external.FindString(s); m != "" {
			t.Errorf("%s references another site: %q", f, m)
		}
		if !strings.HasSuffix(f, ".html") {
			continue
		}
		for _, re := range inline {
			if m := re.FindString(s); m != "" && !strings.Contains(m, `src="/static/`) {
				t.Errorf("%s has inline code the CSP refuses: %q", f, m)
			}
		}
		for _, m := range regexp.MustCompile(`<script[^>]*>`).FindAllString(s, -1) {
			if !strings.Contains(m, `src="/static/console.js"`) {
				t.Errorf("%s: script %q is not the console's own", f, m)
			}
		}
	}
}
