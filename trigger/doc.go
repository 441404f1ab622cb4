// Package trigger is the wire contract between conversation engines and the
// hookworker fleet: the ConnectionFired [Event] an engine publishes, the
// [Result] (CVar update) the worker sends back, and a small [Client] for
// engines.
//
// [Decode] is strict and bounded: input over [MaxEventSize], malformed JSON,
// unknown fields and fields of the wrong type or shape are errors that name
// the field ([*FieldError]), never panics. Numbers inside cvars and context
// keep their exact text ([encoding/json.Number]).
package trigger
