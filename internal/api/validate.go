package api

import (
	"encoding/json"
	"errors"
	"strings"

	"github.com/nats-io/nats.go/micro"

	"github.com/hookworker/hookworker/internal/check"
	"github.com/hookworker/hookworker/trigger/webhook"
)

func (s *Service) handleValidate(req micro.Request) {
	var r ValidateRequest
	if e := decode(req.Data(), &r, ""); e != nil {
		respondError(req, e)
		return
	}
	if !present(r.Webhook) {
		respondError(req, badRequest("webhook", "webhook: required"))
		return
	}
	respondJSON(req, s.validate(r.Webhook))
}

// validate reports every problem of a definition the worker would refuse:
// the first of its shape (strict decoding, the field rules, as the event
// decoder reads an inline webhook, bounds included), then, once the shape
// is sound, every template and mapper that does not compile and whether
// `uses` resolves.
func (s *Service) validate(raw json.RawMessage) ValidateReply {
	out := ValidateReply{Errors: []FieldError{}}
	add := func(err error) {
		var fe *webhook.FieldError
		if errors.As(err, &fe) {
			out.Errors = append(out.Errors, FieldError{Field: fe.Field, Message: fe.Msg})
		} else {
			out.Errors = append(out.Errors, FieldError{Message: err.Error()})
		}
	}
	ev, e := previewEvent(&RenderRequest{BotID: previewID, Webhook: raw})
	if e != nil {
		field := strings.TrimPrefix(strings.TrimPrefix(e.Field, "webhook"), ".")
		msg := strings.TrimPrefix(e.Message, e.Field+": ")
		out.Errors = append(out.Errors, FieldError{Field: field, Message: msg})
		return out
	}
	def := ev.Webhook
	for _, fe := range check.CompileErrors(s.env, def) {
		add(fe)
	}
	if def.Uses != "" && len(out.Errors) == 0 {
		resolved, err := s.deps.Templates.Resolve(def)
		if err != nil {
			add(err)
		} else {
			for _, fe := range check.CompileErrors(s.env, resolved) {
				add(fe)
			}
		}
	}
	out.Valid = len(out.Errors) == 0
	return out
}
