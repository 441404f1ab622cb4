package console

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/hookworker/hookworker/internal/api"
	"github.com/hookworker/hookworker/internal/deadletter"
	"github.com/hookworker/hookworker/trigger"
)

// listLimit is how many letters the list page shows.
const listLimit = 200

// filterForm is the dead-letter filter as the forms write it.
type filterForm struct {
	Bot, Webhook, Class, Since, Until, Event string
}

func formFilter(v url.Values) filterForm {
	return filterForm{Bot: v.Get("bot"), Webhook: v.Get("webhook"), Class: v.Get("class"),
		Since: v.Get("since"), Until: v.Get("until"), Event: v.Get("event")}
}

// empty reports whether the form selects every letter.
func (f filterForm) empty() bool { return f == filterForm{} }

// query is the form as a query string.
func (f filterForm) query() string {
	v := url.Values{}
	for k, x := range map[string]string{"bot": f.Bot, "webhook": f.Webhook, "class": f.Class, "since": f.Since, "until": f.Until, "event": f.Event} {
		if x != "" {
			v.Set(k, x)
		}
	}
	return v.Encode()
}

// filter is the API's filter: times as people write them (RFC 3339, or
// a duration ago such as 2h or 7d) become RFC 3339.
func (f filterForm) filter(now time.Time) (api.Filter, error) {
	out := api.Filter{BotID: f.Bot, WebhookID: f.Webhook, Class: f.Class, EventID: f.Event}
	for _, t := range []struct {
		in, name string
		out      *string
	}{{f.Since, "since", &out.Since}, {f.Until, "until", &out.Until}} {
		at, err := deadletter.ParseWhen(t.in, now)
		if err != nil {
			return out, errors.New(t.name + ": " + err.Error())
		}
		if !at.IsZero() {
			*t.out = at.UTC().Format(time.RFC3339Nano)
		}
	}
	return out, nil
}

func (s *Server) letters(w http.ResponseWriter, r *http.Request) {
	ff := formFilter(r.URL.Query())
	data := map[string]any{"F": ff, "FilterEmpty": ff.empty(), "Classes": trigger.Classes, "Rate": s.cfg.ReplayRate}
	f, err := ff.filter(s.clock.Now())
	if err != nil {
		data["Error"] = err.Error()
		s.render(w, r, http.StatusBadRequest, "letters", data)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), requestTimeout)
	defer cancel()
	list, err := s.deps.Service.List(ctx, &api.DLQListRequest{Filter: f, Limit: listLimit})
	if err != nil {
		data["Error"] = err.Error()
		s.render(w, r, statusOf(err), "letters", data)
		return
	}
	data["List"] = list
	data["Query"] = ff.query()
	s.render(w, r, http.StatusOK, "letters", data)
}

func (s *Server) letter(w http.ResponseWriter, r *http.Request) {
	seq, err := strconv.ParseUint(r.PathValue("seq"), 10, 64)
	if err != nil || seq == 0 {
		s.fail(w, r, http.StatusNotFound, "no such letter: the address ends in a letter's sequence number")
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), requestTimeout)
	defer cancel()
	l, err := s.deps.Service.Show(ctx, seq)
	if err != nil {
		s.fail(w, r, statusOf(err), err.Error())
		return
	}
	var first time.Time
	if len(l.Attempts) > 0 {
		first = l.Attempts[0].At
	}
	s.render(w, r, http.StatusOK, "letter", map[string]any{"L": l, "First": first,
		"Replayable": l.Replayable() == nil, "NotReplayable": errString(l.Replayable()), "Rate": s.cfg.ReplayRate})
}

// statusOf is the HTTP status for a service API error.
func statusOf(err error) int {
	var ae *api.Error
	switch {
	case errors.As(err, &ae) && ae.Code >= 400 && ae.Code < 600:
		return ae.Code
	case errors.Is(err, api.ErrNoService):
		return http.StatusServiceUnavailable
	}
	return http.StatusBadGateway
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
