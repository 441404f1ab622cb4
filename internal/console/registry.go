package console

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/kylelemons/godebug/diff"
)

// maxDiffLines bounds each side of a diff (the diff is quadratic).
const maxDiffLines = 2000

func (s *Server) registry(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), requestTimeout)
	defer cancel()
	defs, err := s.deps.Definitions.List(ctx)
	data := map[string]any{"Defs": defs}
	if err != nil {
		data["Error"] = err.Error()
	}
	s.render(w, r, http.StatusOK, "registry", data)
}

// revKey names a revision in a URL: "file" or the bucket revision.
func revKey(rv Revision) string {
	if rv.Revision == 0 {
		return "file"
	}
	return strconv.FormatUint(rv.Revision, 10)
}

// revisionView is a revision as the definition page lists it.
type revisionView struct {
	Number  uint64 // 0 for a file
	Source  string
	Created time.Time
	Deleted bool
	JSON    string
	Key     string
}

// DiffLine is one line of a diff: "+" added, "-" removed, " " the same.
type DiffLine struct {
	Op, Text string
}

func (s *Server) definition(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	ctx, cancel := context.WithTimeout(r.Context(), requestTimeout)
	defer cancel()
	revs, err := s.deps.Definitions.History(ctx, id)
	if err != nil {
		s.fail(w, r, http.StatusBadGateway, err.Error())
		return
	}
	if len(revs) == 0 {
		s.fail(w, r, http.StatusNotFound, "no definition "+strconvQuote(id)+" in the files or the bucket")
		return
	}
	views := make([]revisionView, len(revs))
	byKey := map[string]Revision{}
	for i, rv := range revs {
		views[i] = revisionView{Number: rv.Revision, Source: rv.Source, Created: rv.Created, Deleted: rv.Deleted, JSON: rv.JSON, Key: revKey(rv)}
		byKey[views[i].Key] = rv
	}
	latest := views[len(views)-1]
	for i := len(views) - 1; i >= 0; i-- {
		if !views[i].Deleted {
			latest = views[i]
			break
		}
	}
	data := map[string]any{"ID": id, "Revs": views, "Latest": latest}
	q := r.URL.Query()
	a, b := q.Get("a"), q.Get("b")
	if a == "" && b == "" && len(views) > 1 {
		a, b = views[len(views)-2].Key, views[len(views)-1].Key
	}
	data["A"], data["B"] = a, b
	if ra, oka := byKey[a]; oka {
		if rb, okb := byKey[b]; okb {
			data["Diff"], data["Changed"] = lineDiff(ra.JSON, rb.JSON)
		}
	} else if a != "" {
		data["Error"] = "no revision " + strconvQuote(a)
	}
	s.render(w, r, http.StatusOK, "definition", data)
}

// lineDiff compares two texts line by line.
func lineDiff(a, b string) (lines []DiffLine, changed int) {
	al, bl := splitLines(a), splitLines(b)
	for _, c := range diff.DiffChunks(al, bl) {
		for _, t := range c.Deleted {
			lines = append(lines, DiffLine{Op: "-", Text: t})
			changed++
		}
		for _, t := range c.Added {
			lines = append(lines, DiffLine{Op: "+", Text: t})
			changed++
		}
		for _, t := range c.Equal {
			lines = append(lines, DiffLine{Op: " ", Text: t})
		}
	}
	return lines, changed
}

func splitLines(s string) []string {
	lines := strings.Split(s, "\n")
	if len(lines) > maxDiffLines {
		lines = append(lines[:maxDiffLines], "… (cut at "+strconv.Itoa(maxDiffLines)+" lines)")
	}
	return lines
}

func strconvQuote(s string) string { return strconv.Quote(s) }
