package console

import (
	"bytes"
	"embed"
	"encoding/json"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"strings"
	"time"

	"go.uber.org/zap"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// pages are the parsed templates: each page with the layout.
type pages struct {
	byName map[string]*template.Template
}

var funcs = template.FuncMap{
	"time": func(t time.Time) string {
		if t.IsZero() {
			return "-"
		}
		return t.UTC().Format("2006-01-02 15:04:05Z")
	},
	"isotime": func(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) },
	"ms": func(f float64) string {
		if f >= 1000 {
			return fmt.Sprintf("%.2f s", f/1000)
		}
		return fmt.Sprintf("%.1f ms", f)
	},
	// after is the time from start to t, for a timeline.
	"after": func(start, t time.Time) string {
		d := t.Sub(start)
		if d < time.Second {
			return fmt.Sprintf("+%d ms", d.Milliseconds())
		}
		return "+" + d.Round(100*time.Millisecond).String()
	},
	// pretty indents JSON; a json.RawMessage keeps its keys' order.
	"pretty": func(v any) string {
		var b bytes.Buffer
		if raw, ok := v.(json.RawMessage); ok {
			if json.Indent(&b, raw, "", "  ") == nil {
				return b.String()
			}
			b.Reset()
		}
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(false)
		enc.SetIndent("", "  ")
		if err := enc.Encode(v); err != nil {
			return fmt.Sprint(v)
		}
		return strings.TrimSuffix(b.String(), "\n")
	},
	"inc": func(i int) int { return i + 1 },
}

func parsePages() (*pages, error) {
	p := &pages{byName: map[string]*template.Template{}}
	names, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		return nil, err
	}
	for _, n := range names {
		name := strings.TrimSuffix(strings.TrimPrefix(n, "templates/"), ".html")
		if name == "layout" {
			continue
		}
		t, err := template.New("layout.html").Funcs(funcs).ParseFS(templateFS, "templates/layout.html", n)
		if err != nil {
			return nil, fmt.Errorf("console: template %s: %w", n, err)
		}
		p.byName[name] = t
	}
	return p, nil
}

// nav is the navigation, in order.
var nav = []struct{ Page, Path, Label string }{
	{"overview", "/", "Overview"},
	{"letters", "/letters", "Dead letters"},
	{"registry", "/registry", "Registry"},
	{"test", "/test", "Test a webhook"},
}

// render writes page name with data (and what every page needs: the
// CSRF token, the navigation), buffered so a template error leaves no
// half page.
func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, name string, data map[string]any) {
	t := s.pages.byName[name]
	if t == nil {
		s.log.Error("console: no template", zap.String("page", name))
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	if data == nil {
		data = map[string]any{}
	}
	data["Page"] = name
	data["CSRF"] = csrfToken(r)
	data["Nav"] = nav
	data["LoggedIn"] = name != "login"
	var b bytes.Buffer
	if err := t.ExecuteTemplate(&b, "layout.html", data); err != nil {
		s.log.Error("console: template", zap.String("page", name), zap.Error(err))
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(b.Bytes())
}

// fail answers an error: JSON to a script, a page to a person.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, status int, msg string) {
	if wantsJSON(r) {
		writeJSON(w, status, map[string]any{"error": msg})
		return
	}
	s.render(w, r, status, "error", map[string]any{"Status": status, "StatusText": http.StatusText(status), "Message": msg})
}

func wantsJSON(r *http.Request) bool {
	return strings.Contains(r.Header.Get("Accept"), "application/json") ||
		strings.HasSuffix(r.URL.Path, ".json") || strings.HasSuffix(r.URL.Path, "/status") || strings.HasSuffix(r.URL.Path, "/preview")
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(true)
	_ = enc.Encode(v)
}

// staticHandler serves the embedded CSS and JavaScript.
func staticHandler() http.Handler {
	sub, _ := fs.Sub(staticFS, "static") // the directory is embedded
	files := http.StripPrefix("/static/", http.FileServerFS(sub))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/") {
			http.NotFound(w, r) // no directory listings
			return
		}
		w.Header().Set("Cache-Control", "public, max-age=300")
		files.ServeHTTP(w, r)
	})
}
