// Package baseline is the bench's reference worker: the plainest
// competent worker doing hookworker's job for one event, with the same
// template engine and decoder, and nothing else. It pulls from a
// JetStream consumer with a pool of goroutines, decodes the event,
// renders its inline webhook's request (compiled once per definition),
// POSTs it with a keep-alive client, maps the JSON response, publishes
// the Result to reply_to (core NATS) and acks. It has none of
// hookworker's guarantees: no attempt history, retries, dead letters,
// egress guard, tenancy checks, secrets, metrics or logs; a failure is a
// failed Result and a Term. hookworker bench runs it beside the worker
// under test (hookworker's ratio of CPU per event to it is the price of
// those guarantees plus whatever hookworker does worse).
package baseline

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/hookworker/hookworker/mapper"
	"github.com/hookworker/hookworker/render"
	"github.com/hookworker/hookworker/trigger"
	"github.com/hookworker/hookworker/trigger/webhook"
)

// Options configures the worker.
type Options struct {
	URL, Stream, Consumer string
	// Concurrency is the pool's size and the pull batch.
	Concurrency int
}

// maxResponse bounds a response body read.
const maxResponse = 1 << 20

// Run consumes until ctx is done, then drains what it holds.
func Run(ctx context.Context, o Options) error {
	switch {
	case o.URL == "" || o.Stream == "" || o.Consumer == "":
		return errors.New("baseline: url, stream and consumer: required")
	case o.Concurrency < 1 || o.Concurrency > 10_000:
		return fmt.Errorf("baseline: concurrency: %d is outside 1..10000", o.Concurrency)
	}
	nc, err := nats.Connect(o.URL, nats.Name("hookbench-baseline"))
	if err != nil {
		return fmt.Errorf("baseline: %w", err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		return fmt.Errorf("baseline: %w", err)
	}
	cons, err := js.Consumer(ctx, o.Stream, o.Consumer)
	if err != nil {
		return fmt.Errorf("baseline: consumer: %w", err)
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.Proxy = nil
	tr.MaxIdleConnsPerHost = o.Concurrency
	w := &worker{
		nc:     nc,
		client: &http.Client{Transport: tr, Timeout: 30 * time.Second},
		env:    render.NewEnv(render.Limits{}),
		dec:    trigger.NewDecoder(256),
		defs:   map[*webhook.Definition]*compiled{},
	}
	it, err := cons.Messages(jetstream.PullMaxMessages(o.Concurrency), jetstream.PullExpiry(5*time.Second))
	if err != nil {
		return fmt.Errorf("baseline: %w", err)
	}
	var wg sync.WaitGroup
	for range o.Concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				msg, err := it.Next()
				if err != nil {
					return // iterator stopped or drained
				}
				w.handle(ctx, msg)
			}
		}()
	}
	<-ctx.Done()
	it.Drain()
	wg.Wait()
	return nc.Drain()
}

type worker struct {
	nc     *nats.Conn
	client *http.Client
	env    *render.Env
	dec    *trigger.Decoder
	mu     sync.Mutex
	defs   map[*webhook.Definition]*compiled
}

type compiled struct {
	wh *render.Webhook
	m  *mapper.Mapper
}

// compiledOf compiles a definition once (the decoder hands the same
// webhook text the same *Definition).
func (w *worker) compiledOf(def *webhook.Definition) (*compiled, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if c, ok := w.defs[def]; ok {
		return c, nil
	}
	wh, err := w.env.CompileWebhook(def)
	if err != nil {
		return nil, err
	}
	m, err := mapper.Compile(w.env, def.CVars, mapper.Options{})
	if err != nil {
		return nil, err
	}
	if len(w.defs) > 1000 {
		clear(w.defs)
	}
	c := &compiled{wh: wh, m: m}
	w.defs[def] = c
	return c, nil
}

func (w *worker) handle(ctx context.Context, msg jetstream.Msg) {
	start := time.Now()
	ev, err := w.dec.Decode(msg.Data())
	if err != nil {
		_ = msg.Term()
		return
	}
	res := trigger.Result{EventID: ev.ID, BotID: ev.BotID, ConversationID: ev.ConversationID, Attempts: 1}
	if err := w.run(ctx, ev, &res); err != nil {
		res.Status = trigger.StatusFailed
		res.Error = &trigger.Error{Class: trigger.ClassNetwork, Message: err.Error()}
	}
	res.CompletedAt = time.Now()
	res.DurationMS = float64(res.CompletedAt.Sub(start)) / float64(time.Millisecond)
	data, err := json.Marshal(res)
	if err == nil && ev.ReplyTo != "" {
		err = w.nc.Publish(ev.ReplyTo, data)
	}
	if err != nil || res.Status == trigger.StatusFailed {
		_ = msg.Term()
		return
	}
	_ = msg.Ack()
}

func (w *worker) run(ctx context.Context, ev *trigger.Event, res *trigger.Result) error {
	if ev.Webhook == nil {
		return errors.New("no inline webhook")
	}
	res.WebhookID = ev.Webhook.ID
	c, err := w.compiledOf(ev.Webhook)
	if err != nil {
		return err
	}
	ev.CVars, _ = render.Normalize(ev.CVars).(map[string]any)
	ev.Context, _ = render.Normalize(ev.Context).(map[string]any)
	vars := render.RequestVars(ev, render.Scope{Attempt: 1})
	if ev.Condition != "" {
		x, err := w.env.CompileExpr(ev.Condition)
		if err != nil {
			return err
		}
		ok, err := x.True(vars.Map())
		if err != nil {
			return err
		}
		if !ok {
			res.Status = trigger.StatusSkipped
			return nil
		}
	}
	r, err := c.wh.Render(vars)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, r.Method, r.URL, bytes.NewReader(r.Body))
	if err != nil {
		return err
	}
	if r.Header != nil {
		req.Header = r.Header
	}
	req.Header.Set("User-Agent", "hookworker/1")
	req.Header.Set("Idempotency-Key", ev.ID)
	resp, err := w.client.Do(req)
	if err != nil {
		return err
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse))
	resp.Body.Close()
	if err != nil {
		return err
	}
	res.HTTPStatus = resp.StatusCode
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("status %d", resp.StatusCode)
	}
	out, err := c.m.Apply(&mapper.Response{StatusCode: resp.StatusCode, Header: resp.Header, Body: body}, ev.CVars, render.ConversationVars(ev))
	if err != nil {
		return err
	}
	res.Status, res.CVars, res.Unmapped = trigger.StatusSucceeded, out.CVars, out.Unmapped
	return nil
}
