package console

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"time"

	"go.uber.org/zap"
	"golang.org/x/time/rate"

	"github.com/hookworker/hookworker/internal/api"
	"github.com/hookworker/hookworker/trigger"
)

// Replay bounds.
const (
	maxJobs        = 20 // jobs kept, the oldest finished one forgotten first
	maxRunningJobs = 3
	maxReplayRate  = api.MaxReplayRate
)

// resultWait is how long a replay job waits for Results after its last
// re-publish.
var resultWait = 2 * time.Minute

// Row states of a replay job.
const (
	stateQueued        = "queued"
	stateWaiting       = "replayed, waiting for its Result"
	stateNotReplayable = "not replayable"
	stateReplayFailed  = "replay failed"
	stateNoResult      = "no Result seen"
	stateSkipped       = "skipped" // the job stopped first
)

// replayJob replays letters one at a time, following their Results.
type replayJob struct {
	ID      string
	Started time.Time
	Filter  string // what was selected, for people
	Rate    float64

	mu       sync.Mutex
	rows     []*replayRow
	byEvent  map[string][]*replayRow
	done     bool
	err      string
	finished time.Time
}

// replayRow is one letter's progress.
type replayRow struct {
	Seq     uint64 `json:"seq"`
	EventID string `json:"event_id"`
	BotID   string `json:"bot_id"`
	State   string `json:"state"`
	// Replay is the replay count the re-published event carries.
	Replay int `json:"replay,omitempty"`
	// Result is its Result's status (succeeded, failed, skipped), and
	// Detail what it says (HTTP status, error).
	Result string `json:"result,omitempty"`
	Detail string `json:"detail,omitempty"`
	// Done: nothing more will change.
	Done bool `json:"done"`
}

// ReplayStatus is a job as /replays/{id}/status shows it.
type ReplayStatus struct {
	ID        string      `json:"id"`
	Filter    string      `json:"filter"`
	Started   time.Time   `json:"started"`
	Done      bool        `json:"done"`
	Error     string      `json:"error,omitempty"`
	Selected  int         `json:"selected"`
	Replayed  int         `json:"replayed"`
	Succeeded int         `json:"succeeded"`
	Failed    int         `json:"failed"` // a Result failed, or the replay itself
	Waiting   int         `json:"waiting"`
	Rows      []replayRow `json:"rows"`
	Progress  int         `json:"progress"` // rows done, of Selected
}

func (j *replayJob) status() ReplayStatus {
	j.mu.Lock()
	defer j.mu.Unlock()
	st := ReplayStatus{ID: j.ID, Filter: j.Filter, Started: j.Started, Done: j.done, Error: j.err, Selected: len(j.rows), Rows: make([]replayRow, len(j.rows))}
	for i, r := range j.rows {
		st.Rows[i] = *r
		if r.Replay > 0 {
			st.Replayed++
		}
		switch {
		case r.Result == string(trigger.StatusSucceeded):
			st.Succeeded++
		case r.Result == string(trigger.StatusFailed) || r.State == stateReplayFailed:
			st.Failed++
		case r.State == stateWaiting:
			st.Waiting++
		}
		if r.Done {
			st.Progress++
		}
	}
	return st
}

// result takes a Result seen on one of the job's subjects.
func (j *replayJob) result(msgID string, res trigger.Result) {
	if !res.Replayed {
		return
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	for _, r := range j.byEvent[res.EventID] {
		if r.Done || r.Replay == 0 && r.State != stateWaiting {
			continue
		}
		if r.Replay > 0 && msgID != "" && msgID != trigger.ResultMsgID(res.EventID, r.Replay) {
			continue // the Result of another replay of the event
		}
		r.Result, r.Done = string(res.Status), true
		r.State = "Result: " + string(res.Status)
		switch {
		case res.Error != nil:
			r.Detail = fmt.Sprintf("%s: %s", res.Error.Class, res.Error.Message)
		case res.HTTPStatus != 0:
			r.Detail = fmt.Sprintf("HTTP %d", res.HTTPStatus)
		}
		return
	}
}

// replays are the jobs of this console.
type replays struct {
	mu    sync.Mutex
	jobs  []*replayJob // oldest first
	byID  map[string]*replayJob
	slots chan struct{}
}

func newReplays() *replays {
	return &replays{byID: map[string]*replayJob{}, slots: make(chan struct{}, maxRunningJobs)}
}

func (rs *replays) add(j *replayJob) {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	if len(rs.jobs) >= maxJobs {
		for i, o := range rs.jobs {
			o.mu.Lock()
			done := o.done
			o.mu.Unlock()
			if done {
				delete(rs.byID, o.ID)
				rs.jobs = slices.Delete(rs.jobs, i, i+1)
				break
			}
		}
	}
	rs.jobs = append(rs.jobs, j)
	rs.byID[j.ID] = j
}

func (rs *replays) get(id string) *replayJob {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	return rs.byID[id]
}

// startReplay selects the letters (one by seq, or a filter's), starts a
// job replaying them and shows its page.
func (s *Server) startReplay(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		s.fail(w, r, http.StatusBadRequest, err.Error())
		return
	}
	rateVal := s.cfg.ReplayRate
	if v := r.PostFormValue("rate"); v != "" {
		x, err := strconv.ParseFloat(v, 64)
		if err != nil || x <= 0 || x > maxReplayRate {
			s.fail(w, r, http.StatusBadRequest, fmt.Sprintf("rate %q: want events a second, more than 0 and at most %d", v, maxReplayRate))
			return
		}
		rateVal = x
	}
	var f api.Filter
	var what string
	if v := r.PostFormValue("seq"); v != "" {
		seq, err := strconv.ParseUint(v, 10, 64)
		if err != nil || seq == 0 {
			s.fail(w, r, http.StatusBadRequest, "seq: not a letter's sequence number")
			return
		}
		f, what = api.Filter{Seq: seq}, "letter "+v
	} else {
		ff := formFilter(r.PostForm)
		if ff.empty() && r.PostFormValue("all") != "yes" {
			s.fail(w, r, http.StatusBadRequest, "no filter: confirm that every dead letter is meant (the \"all\" box)")
			return
		}
		var err error
		if f, err = ff.filter(s.clock.Now()); err != nil {
			s.fail(w, r, http.StatusBadRequest, err.Error())
			return
		}
		what = ff.query()
		if what == "" {
			what = "every letter"
		}
	}
	select {
	case s.replays.slots <- struct{}{}:
	default:
		s.fail(w, r, http.StatusServiceUnavailable, fmt.Sprintf("%d replays are running already: wait for one to finish", maxRunningJobs))
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), requestTimeout)
	defer cancel()
	// A dry run selects the letters and says where each one's Result
	// will go, so the job subscribes before anything is re-published.
	sel, err := s.deps.Service.Replay(ctx, &api.ReplayRequest{Filter: f, All: f == api.Filter{}, DryRun: true})
	if err != nil {
		<-s.replays.slots
		s.fail(w, r, statusOf(err), err.Error())
		return
	}
	j := &replayJob{ID: randomID(), Started: s.clock.Now(), Filter: what, Rate: rateVal, byEvent: map[string][]*replayRow{}}
	for _, l := range sel.Letters {
		row := &replayRow{Seq: l.Seq, EventID: l.EventID, BotID: l.BotID, State: stateQueued}
		if l.Error != "" {
			row.State, row.Detail, row.Done = stateNotReplayable, l.Error, true
		}
		j.rows = append(j.rows, row)
		j.byEvent[l.EventID] = append(j.byEvent[l.EventID], row)
	}
	s.replays.add(j)
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		defer func() { <-s.replays.slots }()
		s.runReplay(j, sel.Letters)
	}()
	http.Redirect(w, r, "/replays/"+j.ID, http.StatusSeeOther)
}

// runReplay subscribes to every Result subject of the job, replays each
// letter by its seq at the job's rate, then waits for the Results.
func (s *Server) runReplay(j *replayJob, letters []api.ReplayedLetter) {
	finish := func(msg string) {
		j.mu.Lock()
		defer j.mu.Unlock()
		for _, r := range j.rows {
			if !r.Done {
				r.Done = true
				if r.State == stateQueued {
					r.State = stateSkipped
				} else {
					r.State = stateNoResult
				}
			}
		}
		j.done, j.err, j.finished = true, msg, s.clock.Now()
	}
	subjects := map[string]bool{}
	var unsubs []func()
	defer func() {
		for _, u := range unsubs {
			u()
		}
	}()
	for _, l := range letters {
		if l.Error != "" || subjects[l.ReplyTo] {
			continue
		}
		subjects[l.ReplyTo] = true
		u, err := s.deps.Results.Subscribe(l.ReplyTo, j.result)
		if err != nil {
			finish("cannot follow the Results: " + err.Error())
			return
		}
		unsubs = append(unsubs, u)
	}
	limiter := rate.NewLimiter(rate.Limit(j.Rate), 1)
	for i, l := range letters {
		if l.Error != "" {
			continue
		}
		if err := limiter.Wait(s.ctx); err != nil {
			finish("stopped: the console is shutting down")
			return
		}
		row := j.rows[i]
		j.mu.Lock()
		row.State = stateWaiting
		j.mu.Unlock()
		ctx, cancel := context.WithTimeout(s.ctx, requestTimeout)
		rep, err := s.deps.Service.Replay(ctx, &api.ReplayRequest{Filter: api.Filter{Seq: l.Seq}, Rate: maxReplayRate})
		cancel()
		j.mu.Lock()
		switch {
		case err != nil:
			row.State, row.Detail, row.Done = stateReplayFailed, err.Error(), true
		case rep.Replayed != 1 || len(rep.Letters) != 1:
			row.State, row.Done = stateReplayFailed, true
			row.Detail = "the letter is gone (replayed or purged meanwhile)"
			if len(rep.Letters) == 1 && rep.Letters[0].Error != "" {
				row.Detail = rep.Letters[0].Error
			}
		default:
			row.Replay = rep.Letters[0].Replay // its Result may be in already
		}
		j.mu.Unlock()
	}
	deadline := s.clock.After(resultWait)
	tick := s.clock.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		if st := j.status(); st.Progress == st.Selected {
			finish("")
			return
		}
		select {
		case <-s.ctx.Done():
			finish("stopped: the console is shutting down")
			return
		case <-deadline:
			finish(fmt.Sprintf("stopped waiting for Results after %s", resultWait))
			s.log.Info("replay job: Results missing", zap.String("job", j.ID))
			return
		case <-tick.Chan():
		}
	}
}

func (s *Server) replayPage(w http.ResponseWriter, r *http.Request) {
	j := s.replays.get(r.PathValue("id"))
	if j == nil {
		s.fail(w, r, http.StatusNotFound, "no such replay (this console keeps its last 20)")
		return
	}
	s.render(w, r, http.StatusOK, "replay", map[string]any{"J": j.status()})
}

func (s *Server) replayJSON(w http.ResponseWriter, r *http.Request) {
	j := s.replays.get(r.PathValue("id"))
	if j == nil {
		s.fail(w, r, http.StatusNotFound, "no such replay")
		return
	}
	writeJSON(w, http.StatusOK, j.status())
}
