package worker

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"time"

	"github.com/hookworker/hookworker/internal/egress"
	"github.com/hookworker/hookworker/internal/hostguard"
	"github.com/hookworker/hookworker/internal/tracectx"
	"github.com/hookworker/hookworker/mapper"
	"github.com/hookworker/hookworker/render"
	"github.com/hookworker/hookworker/signing"
	"github.com/hookworker/hookworker/trigger"
	"github.com/hookworker/hookworker/trigger/webhook"
)

// This file is one HTTP attempt and its classification: the failure class
// of a transport error, whether a status is a success, whether the host
// failed (for its breaker), and the attempt's metrics.

// judge classifies a response: nil for a success status (2xx, or the
// definition's own success list), else an http_status failure naming the
// request, its URL redacted.
func (c *compiled) judge(req *render.Request, resp *mapper.Response, redact *render.Redactor) error {
	if c.isSuccess(resp.StatusCode) {
		return nil
	}
	return fail(trigger.ClassHTTPStatus, fmt.Errorf("%s %s answered %d", req.Method, redact.Redact(req.URL), resp.StatusCode))
}

// observeAttempt counts one attempt to host (the URL's host:port, its
// secrets masked) in the metrics.
func (w *Worker) observeAttempt(host string, resp *mapper.Response, err error, d time.Duration) {
	status := 0
	if err == nil {
		status = resp.StatusCode
	} else if classOf(err) == trigger.ClassRender {
		d = 0 // no request was made
	}
	w.metrics.Attempt(host, attemptClass(status, err), d)
}

// attempt makes one HTTP request and reads the response, capped. A
// non-empty traceparent is sent with the tracestate, if any.
func (w *Worker) attempt(ctx context.Context, ev *trigger.Event, def *webhook.Definition, r *render.Request, traceparent, tracestate string) (*mapper.Response, error) {
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
	req.Header = r.Header.Clone()
	req.Header.Set("Idempotency-Key", ev.ID)
	if traceparent != "" {
		req.Header.Set(tracectx.Header, traceparent)
		if tracestate != "" {
			req.Header.Set(tracectx.StateHeader, tracestate)
		} else {
			req.Header.Del(tracectx.StateHeader)
		}
	}
	if len(r.SigningSecrets) > 0 {
		signer, err := signing.NewSigner(r.SigningSecrets)
		if err != nil {
			return nil, fail(trigger.ClassRender, fmt.Errorf("signing: %w", err))
		}
		// webhook-id is the event id: the same on every attempt, as the
		// Standard Webhooks scheme wants for receivers that deduplicate.
		signer.SignRequest(req, ev.ID, w.clock.Now(), r.Body)
	}
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
	if errors.Is(err, egress.ErrBlocked) {
		return fail(trigger.ClassBlocked, unwrapURLError(err))
	}
	var ne net.Error
	if errors.Is(actx.Err(), context.DeadlineExceeded) || errors.Is(err, os.ErrDeadlineExceeded) || errors.As(err, &ne) && ne.Timeout() {
		return fail(trigger.ClassTimeout, fmt.Errorf("no response within %s", def.EffectiveTimeout()))
	}
	return fail(trigger.ClassNetwork, err)
}

// unwrapURLError drops net/http's "Get \"url\": " prefix, which could
// carry a secret in the query; the guard's own message names the address.
func unwrapURLError(err error) error {
	var be *egress.BlockedError
	if errors.As(err, &be) {
		return be
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// hostKey is the isolation key of a rendered URL: its host and port (the
// raw text when it did not parse).
func hostKey(u *url.URL, raw string) string {
	if u == nil {
		return raw
	}
	return hostguard.HostKey(u)
}

// hostFailed reports whether an attempt counts against its host's
// breaker: the host did not answer (network, timeout) or answered that it
// cannot (5xx, 429). A refusal by the egress guard, a shutdown or a 4xx
// says nothing about the host's health.
func hostFailed(resp *mapper.Response, err error) bool {
	if err != nil {
		switch classOf(err) {
		case trigger.ClassNetwork, trigger.ClassTimeout:
			return !errors.Is(err, errHandBack)
		}
		return false
	}
	return resp.StatusCode >= 500 || resp.StatusCode == http.StatusTooManyRequests
}

// attemptClass is the Metrics class of one attempt.
func attemptClass(status int, err error) string {
	switch {
	case errors.Is(err, errHandBack):
		return "canceled"
	case err != nil:
		return string(classOf(err))
	case status >= 100 && status < 600:
		return strconv.Itoa(status/100) + "xx"
	default:
		return "other"
	}
}
