package worker

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/tidwall/gjson"
	"go.uber.org/zap"

	"github.com/hookworker/hookworker/mapper"
	"github.com/hookworker/hookworker/registry"
	"github.com/hookworker/hookworker/render"
	"github.com/hookworker/hookworker/trigger"
	"github.com/hookworker/hookworker/webhook"
)

// errHandBack means the event was not finished (shutdown) and goes back to
// JetStream for another process.
var errHandBack = errors.New("handed back")

// compiled is a definition ready to run.
type compiled struct {
	req    *render.Webhook
	mapper *mapper.Mapper
	// success lists the statuses that count as success; nil means 2xx.
	success []webhook.StatusPattern
}

// failure is a terminal failure with its class.
type failure struct {
	class trigger.Class
	err   error
}

func (f *failure) Error() string { return f.err.Error() }
func (f *failure) Unwrap() error { return f.err }

func fail(class trigger.Class, err error) error { return &failure{class: class, err: err} }

// handle processes one message end to end: Result published, then ack.
func (w *Worker) handle(ctx context.Context, msg jetstream.Msg) {
	start := w.clock.Now()
	res, ev, err := w.Process(ctx, msg.Data(), msg.Headers(), start)
	if errors.Is(err, errHandBack) {
		if nerr := msg.NakWithDelay(time.Second); nerr != nil {
			w.log.Warn("hand back failed; JetStream redelivers after AckWait", zap.Error(nerr))
		}
		return
	}
	subject := w.resultSubject(ev, msg.Data())
	if subject == "" {
		// An unreadable event with no bot id: nowhere to answer.
		w.log.Warn("invalid event without a readable reply subject or bot id; terminated",
			zap.String("error", res.Error.Message))
		_ = msg.TermWithReason("invalid event")
		return
	}
	out := nats.NewMsg(subject)
	out.Header.Set(trigger.HeaderMsgID, trigger.ResultMsgID(res.EventID, replayCount(msg.Headers())))
	out.Data, err = json.Marshal(res)
	if err != nil {
		// Cannot happen: Results hold JSON-ready values only.
		w.log.Error("encode result", zap.Error(err))
		_ = msg.NakWithDelay(5 * time.Second)
		return
	}
	pctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	err = w.results.publish(pctx, w.nc, out)
	cancel()
	if err != nil {
		w.log.Warn("result not published; event goes back to JetStream",
			zap.String("event_id", res.EventID), zap.Error(err))
		_ = msg.NakWithDelay(2 * time.Second)
		return
	}
	if res.Error != nil && res.Error.Class == trigger.ClassInvalidEvent {
		_ = msg.TermWithReason("invalid event")
	} else if err := msg.Ack(); err != nil {
		w.log.Warn("ack failed; the event may run again", zap.String("event_id", res.EventID), zap.Error(err))
	}
	w.logOutcome(res)
}

func (w *Worker) logOutcome(res *trigger.Result) {
	if ce := w.log.Check(zap.InfoLevel, "event done"); ce != nil {
		fields := []zap.Field{
			zap.String("event_id", res.EventID),
			zap.String("bot_id", res.BotID),
			zap.String("conversation_id", res.ConversationID),
			zap.String("webhook_id", res.WebhookID),
			zap.String("status", string(res.Status)),
			zap.Int("attempts", res.Attempts),
			zap.Int("http_status", res.HTTPStatus),
			zap.Float64("duration_ms", res.DurationMS),
		}
		if res.Error != nil {
			fields = append(fields, zap.String("class", string(res.Error.Class)), zap.String("error", res.Error.Message))
		}
		ce.Write(fields...)
	}
}

// resultSubject finds where a Result goes, even for an event that did not
// decode: its reply_to, else the result prefix and its bot id.
func (w *Worker) resultSubject(ev *trigger.Event, data []byte) string {
	if ev != nil {
		return trigger.ResultSubject(ev, w.cfg.Names.ResultPrefix)
	}
	if !gjson.ValidBytes(data) {
		return ""
	}
	if r := gjson.GetBytes(data, "reply_to"); r.Type == gjson.String && trigger.ValidSubject(r.Str) {
		return r.Str
	}
	if b := gjson.GetBytes(data, "bot_id"); b.Type == gjson.String && trigger.ValidToken(b.Str) {
		return w.cfg.Names.ResultPrefix + "." + b.Str
	}
	return ""
}

func replayCount(h nats.Header) int {
	if h == nil {
		return 0
	}
	n, _ := strconv.Atoi(h.Get(trigger.HeaderReplay))
	return n
}

// Process runs one event and returns its Result and the decoded event (nil
// when it did not decode). It returns errHandBack when ctx was cancelled
// before the event finished.
func (w *Worker) Process(ctx context.Context, data []byte, hdr nats.Header, start time.Time) (*trigger.Result, *trigger.Event, error) {
	res := &trigger.Result{Replayed: replayCount(hdr) > 0, Unmapped: []string{}, CVars: map[string]any{}}
	ev, err := trigger.Decode(data)
	if err != nil {
		res.EventID = gjson.GetBytes(data, "id").String()
		res.BotID = gjson.GetBytes(data, "bot_id").String()
		res.ConversationID = gjson.GetBytes(data, "conversation_id").String()
		w.finish(res, start, fail(trigger.ClassInvalidEvent, err), nil)
		return res, nil, nil
	}
	res.EventID, res.BotID, res.ConversationID = ev.ID, ev.BotID, ev.ConversationID
	res.ConnectionID, res.WebhookID = ev.ConnectionID(), ev.WebhookID()
	err = w.run(ctx, ev, res)
	if errors.Is(err, errHandBack) {
		return nil, ev, errHandBack
	}
	w.finish(res, start, err, nil)
	return res, ev, nil
}

// finish fills the Result's status, error and timing.
func (w *Worker) finish(res *trigger.Result, start time.Time, err error, redact *render.Redactor) {
	now := w.clock.Now()
	res.CompletedAt = now.UTC()
	res.DurationMS = float64(now.Sub(start).Microseconds()) / 1000
	switch {
	case err == nil:
		if res.Status == "" {
			res.Status = trigger.StatusSucceeded
		}
	default:
		res.Status = trigger.StatusFailed
		class := trigger.ClassNetwork
		var f *failure
		if errors.As(err, &f) {
			class = f.class
		}
		res.Error = &trigger.Error{Class: class, Message: redact.Redact(err.Error())}
	}
}

// run executes ev's webhook and fills res. A returned error is a terminal
// failure (a *failure) or errHandBack.
func (w *Worker) run(ctx context.Context, ev *trigger.Event, res *trigger.Result) error {
	if ev.ExpiresAt != nil && !w.clock.Now().Before(*ev.ExpiresAt) {
		return fail(trigger.ClassExpired, fmt.Errorf("event expired at %s", ev.ExpiresAt.UTC().Format(time.RFC3339)))
	}
	def := ev.Webhook
	var c *compiled
	if ev.WebhookRef != nil {
		if w.registry == nil {
			return fail(trigger.ClassUnknownWebhook, fmt.Errorf("%w %q: no registry is configured", registry.ErrUnknown, ev.WebhookRef.ID))
		}
		d, err := w.registry.Lookup(ctx, ev.WebhookRef.ID, ev.WebhookRef.Revision)
		if err != nil {
			if errors.Is(err, registry.ErrUnknown) {
				return fail(trigger.ClassUnknownWebhook, err)
			}
			return fail(trigger.ClassUnknownWebhook, fmt.Errorf("webhook %q: %w", ev.WebhookRef.ID, err))
		}
		def = d
		if v, ok := w.compiled.Load(d); ok {
			c = v.(*compiled)
		}
	}
	ev.CVars, _ = render.Normalize(ev.CVars).(map[string]any)
	ev.Context, _ = render.Normalize(ev.Context).(map[string]any)
	vars := render.RequestVars(ev, render.Scope{Secrets: w.secrets, Attempt: 1})
	if ev.Condition != "" {
		x, err := w.env.CompileExpr(ev.Condition)
		if err != nil {
			return fail(trigger.ClassRender, &render.Error{Webhook: def.ID, Field: "condition", Err: err})
		}
		ok, err := x.True(vars.Map())
		if err != nil {
			return fail(trigger.ClassRender, &render.Error{Webhook: def.ID, Field: "condition", Err: err})
		}
		if !ok {
			res.Status = trigger.StatusSkipped
			return nil
		}
	}
	if c == nil {
		var err error
		if c, err = w.compile(def); err != nil {
			return err
		}
		if ev.WebhookRef != nil {
			w.compiled.Store(def, c)
		}
	}
	req, err := c.req.Render(vars)
	if err != nil {
		return redactErr(fail(trigger.ClassRender, err), render.NewRedactor(vars.UsedSecrets()))
	}
	redact := render.NewRedactor(req.Secrets)
	resp, err := w.attempt(ctx, ev, def, req)
	res.Attempts = 1
	if err != nil {
		if errors.Is(err, errHandBack) {
			return err
		}
		return redactErr(err, redact)
	}
	res.HTTPStatus = resp.StatusCode
	if !c.isSuccess(resp.StatusCode) {
		return fail(trigger.ClassHTTPStatus, fmt.Errorf("%s %s answered %d", req.Method, redact.Redact(req.URL), resp.StatusCode))
	}
	out, err := c.mapper.Apply(resp, ev.CVars, render.ConversationVars(ev))
	if err != nil {
		return redactErr(fail(trigger.ClassMapping, err), redact)
	}
	res.CVars, res.Unmapped = out.CVars, out.Unmapped
	return nil
}

func redactErr(err error, r *render.Redactor) error {
	var f *failure
	if errors.As(err, &f) {
		return &failure{class: f.class, err: errors.New(r.Redact(f.err.Error()))}
	}
	return errors.New(r.Redact(err.Error()))
}

// compile compiles a definition's request and mapper templates.
func (w *Worker) compile(def *webhook.Definition) (*compiled, error) {
	req, err := w.env.CompileWebhook(def)
	if err != nil {
		return nil, fail(trigger.ClassRender, err)
	}
	m, err := mapper.Compile(w.env, def.CVars, mapper.Options{})
	if err != nil {
		return nil, fail(trigger.ClassRender, &render.Error{Webhook: def.ID, Field: "cvars", Err: err})
	}
	c := &compiled{req: req, mapper: m}
	for _, s := range def.Success {
		p, err := webhook.ParseStatusPattern(s, false)
		if err != nil {
			return nil, fail(trigger.ClassRender, &render.Error{Webhook: def.ID, Field: "success", Err: err})
		}
		c.success = append(c.success, p)
	}
	return c, nil
}

func (c *compiled) isSuccess(status int) bool {
	if len(c.success) == 0 {
		return status >= 200 && status < 300
	}
	for _, p := range c.success {
		if p.Match(status) {
			return true
		}
	}
	return false
}

// attempt makes one HTTP request and reads the response, capped.
func (w *Worker) attempt(ctx context.Context, ev *trigger.Event, def *webhook.Definition, r *render.Request) (*mapper.Response, error) {
	actx, cancel := context.WithTimeout(ctx, def.EffectiveTimeout())
	defer cancel()
	var body io.Reader
	if r.Body != nil {
		body = bytes.NewReader(r.Body)
	}
	req, err := http.NewRequestWithContext(actx, r.Method, r.URL, body)
	if err != nil {
		return nil, fail(trigger.ClassRender, fmt.Errorf("request: %w", err))
	}
	req.Header = r.Header
	req.Header.Set("Idempotency-Key", ev.ID)
	if req.Header.Get("User-Agent") == "" {
		req.Header.Set("User-Agent", w.cfg.HTTP.UserAgent)
	}
	resp, err := w.http.Do(req)
	if err != nil {
		return nil, w.classify(ctx, actx, def, err)
	}
	defer resp.Body.Close()
	limit := w.cfg.HTTP.MaxResponseBytes
	data, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return nil, w.classify(ctx, actx, def, err)
	}
	if int64(len(data)) > limit {
		return nil, fail(trigger.ClassTooLarge, fmt.Errorf("response body over the %d-byte limit", limit))
	}
	return &mapper.Response{StatusCode: resp.StatusCode, Header: resp.Header, Body: data}, nil
}

// classify turns a transport error into a failure class.
func (w *Worker) classify(ctx, actx context.Context, def *webhook.Definition, err error) error {
	if ctx.Err() != nil {
		return errHandBack
	}
	var ne net.Error
	if errors.Is(actx.Err(), context.DeadlineExceeded) || errors.Is(err, os.ErrDeadlineExceeded) || errors.As(err, &ne) && ne.Timeout() {
		return fail(trigger.ClassTimeout, fmt.Errorf("no response within %s", def.EffectiveTimeout()))
	}
	return fail(trigger.ClassNetwork, err)
}
