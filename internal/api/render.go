package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/nats-io/nats.go/micro"

	"github.com/hookworker/hookworker/internal/preview"
	"github.com/hookworker/hookworker/mapper"
	"github.com/hookworker/hookworker/render"
	"github.com/hookworker/hookworker/trigger"
	"github.com/hookworker/hookworker/trigger/webhook"
)

// previewID is the event id a render uses (the Idempotency-Key it shows).
const previewID = "render-preview"

// lookupTimeout bounds a registry lookup of a pinned revision.
const lookupTimeout = 5 * time.Second

func (s *Service) handleRender(req micro.Request) {
	var r RenderRequest
	if e := decode(req.Data(), &r, ""); e != nil {
		respondError(req, e)
		return
	}
	reply, e := s.render(&r)
	if e != nil {
		respondError(req, e)
		return
	}
	respondJSON(req, reply)
}

// render renders r. Nothing is sent: the request is built and returned.
func (s *Service) render(r *RenderRequest) (*RenderReply, *Error) {
	ev, e := previewEvent(r)
	if e != nil {
		return nil, e
	}
	def := ev.Webhook
	if ev.WebhookRef != nil {
		ctx, cancel := context.WithTimeout(context.Background(), lookupTimeout)
		d, err := s.deps.Definitions(ctx, ev.WebhookRef.ID, ev.WebhookRef.Revision)
		cancel()
		if err != nil {
			return nil, &Error{Code: 404, Field: "webhook_ref", Message: "webhook_ref: " + err.Error()}
		}
		def = d
	}
	def, err := s.deps.Templates.Resolve(def)
	if err != nil {
		return nil, unprocessable("webhook", err)
	}
	w, err := s.env.CompileWebhook(def)
	if err != nil {
		return nil, unprocessable("webhook", err)
	}
	m, err := mapper.Compile(s.env, def.CVars, mapper.Options{})
	if err != nil {
		return nil, unprocessable("webhook", mappingError(def, err))
	}
	vars := render.RequestVars(ev, render.Scope{Secrets: s.deps.Secrets(ev.BotID), Attempt: 1})
	if err := s.env.RenderParams(def, vars); err != nil {
		return nil, unprocessable("webhook", redact(err, vars.UsedSecrets()))
	}
	warnings := preview.Undefined(s.env, def, vars)
	if warnings == nil {
		warnings = []preview.Warning{}
	}
	rq, err := w.Render(vars)
	if err != nil {
		return nil, unprocessable("webhook", redact(err, vars.UsedSecrets()))
	}
	rq.Header.Set("Idempotency-Key", ev.ID)
	red := rq.Redacted()
	out := &RenderReply{
		Request:  RenderedRequest{Method: red.Method, URL: red.URL, Headers: map[string]string{}, Body: string(red.Body)},
		CVars:    map[string]any{},
		Unmapped: []string{},
		Warnings: warnings,
	}
	for k := range red.Header {
		out.Request.Headers[k] = red.Header.Get(k)
	}
	if r.Response == nil {
		return out, nil
	}
	resp, e := sampleResponse(r.Response)
	if e != nil {
		return nil, e
	}
	outcome := preview.ForStatus(def, resp.StatusCode)
	out.Outcome = &outcome
	if outcome.Status != trigger.StatusSucceeded {
		return out, nil
	}
	res, err := m.Apply(resp, ev.CVars, render.ConversationVars(ev))
	if err != nil {
		return nil, unprocessable("webhook", redact(mappingError(def, err), rq.Secrets))
	}
	masker := render.NewRedactor(rq.Secrets)
	for k, v := range res.CVars {
		out.CVars[k] = maskValue(masker, v)
	}
	if res.Unmapped != nil {
		out.Unmapped = res.Unmapped
	}
	return out, nil
}

// previewEvent reads the event part of a render request through the
// event decoder, so that it is bounded and checked as an event is.
func previewEvent(r *RenderRequest) (*trigger.Event, *Error) {
	if r.BotID == "" {
		return nil, badRequest("bot_id", "bot_id: required")
	}
	if !trigger.ValidToken(r.BotID) {
		return nil, badRequest("bot_id", "bot_id: %q is not one NATS subject token (no '.', '*', '>' or spaces)", r.BotID)
	}
	hasDef, hasRef := present(r.Webhook), present(r.WebhookRef)
	if hasDef == hasRef {
		return nil, badRequest("webhook", "give exactly one of webhook and webhook_ref")
	}
	conv := r.ConversationID
	if conv == "" {
		conv = previewID
	}
	doc := map[string]json.RawMessage{}
	for k, v := range map[string]any{"id": previewID, "bot_id": r.BotID, "conversation_id": conv} {
		doc[k], _ = json.Marshal(v)
	}
	for k, v := range map[string]json.RawMessage{"webhook": r.Webhook, "webhook_ref": r.WebhookRef, "cvars": r.CVars, "context": r.Context} {
		if present(v) {
			doc[k] = v
		}
	}
	data, err := json.Marshal(doc)
	if err != nil {
		return nil, badRequest("", "%v", err)
	}
	ev, err := trigger.Decode(data)
	if err != nil {
		var fe *trigger.FieldError
		if errors.As(err, &fe) {
			return nil, badRequest(fe.Field, "%s", fe.Error())
		}
		return nil, badRequest("", "%v", err)
	}
	ev.CVars, _ = render.Normalize(ev.CVars).(map[string]any)
	ev.Context, _ = render.Normalize(ev.Context).(map[string]any)
	return ev, nil
}

func present(raw json.RawMessage) bool {
	raw = bytes.TrimSpace(raw)
	return len(raw) > 0 && string(raw) != "null"
}

// sampleResponse builds the mapper's response from the request's.
func sampleResponse(sr *SampleResponse) (*mapper.Response, *Error) {
	status := sr.StatusCode
	if status == 0 {
		status = 200
	}
	if status < 100 || status > 599 {
		return nil, badRequest("response.status_code", "response.status_code: %d is not an HTTP status (100-599)", status)
	}
	resp := &mapper.Response{StatusCode: status, Header: http.Header{}}
	for k, v := range sr.Headers {
		resp.Header.Set(k, v)
	}
	body := bytes.TrimSpace(sr.Body)
	if len(body) > 0 && body[0] == '"' {
		var text string
		if err := json.Unmarshal(body, &text); err != nil {
			return nil, badRequest("response.body", "response.body: %v", err)
		}
		resp.Body = []byte(text)
	} else if len(body) > 0 {
		resp.Body = body
	}
	return resp, nil
}

// mappingError names the mapper's field (cvars[i].mapper) in err.
func mappingError(def *webhook.Definition, err error) error {
	var me *mapper.Error
	if !errors.As(err, &me) {
		return err
	}
	for i, c := range def.CVars {
		if c.Name == me.CVar {
			return &webhook.FieldError{Field: fmt.Sprintf("cvars[%d].mapper", i), Msg: me.Err.Error()}
		}
	}
	return err
}

// unprocessable is a 422 naming the field at fault: the field of a
// *render.Error or *webhook.FieldError under prefix.
func unprocessable(prefix string, err error) *Error {
	field := prefix
	var re *render.Error
	var fe *webhook.FieldError
	switch {
	case errors.As(err, &re) && re.Field != "":
		field = prefix + "." + re.Field
	case errors.As(err, &fe) && fe.Field != "":
		field = prefix + "." + fe.Field
	}
	return &Error{Code: 422, Field: field, Message: err.Error()}
}

// redact masks the secrets in an error's message.
func redact(err error, secrets []string) error {
	if len(secrets) == 0 {
		return err
	}
	msg := render.NewRedactor(secrets).Redact(err.Error())
	var re *render.Error
	if errors.As(err, &re) {
		return &render.Error{Webhook: re.Webhook, Field: re.Field, Err: errors.New(render.NewRedactor(secrets).Redact(re.Err.Error()))}
	}
	return errors.New(msg)
}

// maskValue masks the secrets in every string of a mapped value (keys
// included).
func maskValue(r *render.Redactor, v any) any {
	switch v := v.(type) {
	case string:
		return r.Redact(v)
	case []any:
		out := make([]any, len(v))
		for i, x := range v {
			out[i] = maskValue(r, x)
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, x := range v {
			out[r.Redact(k)] = maskValue(r, x)
		}
		return out
	}
	return v
}
