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
	"strings"
	"time"

	"github.com/hookworker/hookworker/internal/egress"
	"github.com/hookworker/hookworker/internal/h1"
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

// attempt makes one HTTP request to u (r's URL) and reads the
// response, capped. A non-empty traceparent is sent with the tracestate,
// if any. Package h1's client sends it when it takes the URL (see
// httpclient.go), net/http's otherwise.
func (w *Worker) attempt(ctx context.Context, ev *trigger.Event, def *webhook.Definition, r *render.Request, u *url.URL, traceparent, tracestate string) (*mapper.Response, error) {
	header := r.Header.Clone()
	if header == nil {
		header = make(http.Header)
	}
	header.Set("Idempotency-Key", ev.ID)
	if traceparent != "" {
		header.Set(tracectx.Header, traceparent)
		if tracestate != "" {
			header.Set(tracectx.StateHeader, tracestate)
		} else {
			header.Del(tracectx.StateHeader)
		}
	}
	if len(r.SigningSecrets) > 0 {
		signer, err := signing.NewSigner(r.SigningSecrets)
		if err != nil {
			return nil, fail(trigger.ClassRender, fmt.Errorf("signing: %w", err))
		}
		// webhook-id is the event id: the same on every attempt, as the
		// Standard Webhooks scheme wants for receivers that deduplicate.
		signer.SignHeader(header, ev.ID, w.clock.Now(), r.Body)
	}
	if header.Get("User-Agent") == "" {
		header.Set("User-Agent", w.cfg.HTTP.UserAgent)
	}
	if w.fast != nil && h1.Eligible(u) {
		return w.attemptFast(ctx, def, r, u, header)
	}
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
	req.Header = header
	resp, err := w.send(req)
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
		return nil, tooLarge(limit)
	}
	return &mapper.Response{StatusCode: resp.StatusCode, Header: resp.Header, Body: data}, nil
}

// attemptFast is attempt through package h1's client: the egress guard's
// URL check (net/http's transport makes it in its proxy hook), then the
// request, on this goroutine, within the webhook's timeout.
func (w *Worker) attemptFast(ctx context.Context, def *webhook.Definition, r *render.Request, u *url.URL, header http.Header) (*mapper.Response, error) {
	if err := w.fast.checkURL(u); err != nil {
		return nil, fail(trigger.ClassBlocked, err)
	}
	limit := w.cfg.HTTP.MaxResponseBytes
	resp, err := w.fast.Do(ctx, &h1.Request{
		Method: r.Method, URL: u, Header: header, Body: r.Body,
		MaxBody: limit, Deadline: time.Now().Add(def.EffectiveTimeout()),
	})
	switch {
	case err == nil:
		return &mapper.Response{StatusCode: resp.StatusCode, Header: resp.Header, Body: resp.Body}, nil
	case errors.Is(err, h1.ErrTooLarge):
		return nil, tooLarge(limit)
	case errors.Is(err, h1.ErrInvalidRequest):
		return nil, fail(trigger.ClassRender, fmt.Errorf("request: %w", err))
	}
	// As net/http's client wraps its errors: method, URL without password.
	return nil, w.classify(ctx, ctx, def, &url.Error{Op: urlErrorOp(r.Method), URL: u.Redacted(), Err: err})
}

// tooLarge is the failure of a response body over limit bytes.
func tooLarge(limit int64) error {
	return fail(trigger.ClassTooLarge, fmt.Errorf("response body over the %d-byte limit", limit))
}

// send is w.http.Do(req). When the worker built its client itself and
// follows no redirect (http.max_redirects 0, the default: a 3xx is the
// answer), it hands req to the client's transport directly: Client.Do
// would only copy the request's headers for redirects that cannot come
// (about 3 µs and a dozen allocations per request) and then call the same
// transport, whose egress guard (dial checks, proxy hook, 1xx handling)
// is all there is to keep. A URL with user info still goes through Do,
// which turns it into Basic authentication. Errors are wrapped as Do
// wraps them (*url.Error: method, URL without password, cause).
func (w *Worker) send(req *http.Request) (*http.Response, error) {
	if w.direct == nil || req.URL.User != nil {
		return w.http.Do(req)
	}
	resp, err := w.direct.RoundTrip(req)
	if err != nil {
		return nil, &url.Error{Op: urlErrorOp(req.Method), URL: req.URL.Redacted(), Err: err}
	}
	return resp, nil
}

// urlErrorOp is the Op of net/http's *url.Error: "Post" for POST.
func urlErrorOp(method string) string {
	if method == "" {
		return "Get"
	}
	return method[:1] + strings.ToLower(method[1:])
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
