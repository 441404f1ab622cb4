// Package tracectx carries W3C Trace Context (https://www.w3.org/TR/trace-context/)
// through the worker, by hand: it parses and formats the traceparent
// header and makes span ids. It records and exports nothing.
//
// The worker reads traceparent (and tracestate) from the headers of the
// trigger message. Each HTTP attempt is a new span of that trace: the
// request carries a traceparent with the same trace id, a new random span
// id (so the incoming parent id is the parent of the attempt) and the same
// flags, sampled included, and the incoming tracestate unchanged. The
// Result message carries a traceparent of the same trace too, naming the
// span of the last attempt.
//
// An event without a valid traceparent starts a new trace, as the
// specification asks of a receiver: a random trace id, with the sampled
// flag unset (the worker exports no spans, so it samples nothing itself).
// Its attempts and its Result carry that trace, so a target's logs and the
// Result can still be matched (each delivery of such an event, a delayed
// retry included, starts its own trace); the trace id is in the worker's outcome log
// line as well. An invalid tracestate is never looked at: it is forwarded
// only with a valid traceparent, as it came.
package tracectx

import (
	"encoding/hex"
	"errors"
	"math/rand/v2"
)

// Header names.
const (
	// Header is the traceparent header.
	Header = "traceparent"
	// StateHeader is the tracestate header, vendor data forwarded as is.
	StateHeader = "tracestate"
)

// FlagSampled is the sampled bit of the trace flags.
const FlagSampled byte = 0x01

// TraceID is a 16-byte trace id; a valid one is not all zeros.
type TraceID [16]byte

// SpanID is an 8-byte span (parent) id; a valid one is not all zeros.
type SpanID [8]byte

func (t TraceID) String() string { return hex.EncodeToString(t[:]) }
func (s SpanID) String() string  { return hex.EncodeToString(s[:]) }

// IsValid reports whether t is not all zeros.
func (t TraceID) IsValid() bool { return t != TraceID{} }

// IsValid reports whether s is not all zeros.
func (s SpanID) IsValid() bool { return s != SpanID{} }

// Parent is the content of a traceparent header. Formatted, it is always
// version 00.
type Parent struct {
	TraceID TraceID
	// SpanID is the parent-id field: the span that sent the header.
	SpanID SpanID
	Flags  byte
}

// Errors of Parse.
var (
	ErrMalformed = errors.New("tracectx: malformed traceparent")
	ErrVersion   = errors.New("tracectx: invalid traceparent version")
	ErrZeroID    = errors.New("tracectx: all-zero trace id or parent id")
)

// Parse parses a traceparent header value: version-traceid-parentid-flags,
// lower-case hex of 2, 32, 16 and 2 digits. Version 00 must be exactly
// that; a later version (01 to fe) may append fields after a dash, which
// are ignored (the specification's forward compatibility); version ff is
// invalid. The trace id and parent id must not be all zeros.
func Parse(s string) (Parent, error) {
	var p Parent
	const n = 55 // 2+1+32+1+16+1+2
	if len(s) < n || s[2] != '-' || s[35] != '-' || s[52] != '-' {
		return p, ErrMalformed
	}
	var ver [1]byte
	if !decodeLower(ver[:], s[0:2]) {
		return p, ErrMalformed
	}
	switch {
	case ver[0] == 0xff:
		return p, ErrVersion
	case ver[0] == 0 && len(s) != n:
		return p, ErrMalformed
	case len(s) > n && s[n] != '-':
		return p, ErrMalformed
	}
	var flags [1]byte
	if !decodeLower(p.TraceID[:], s[3:35]) || !decodeLower(p.SpanID[:], s[36:52]) || !decodeLower(flags[:], s[53:55]) {
		return Parent{}, ErrMalformed
	}
	if !p.TraceID.IsValid() || !p.SpanID.IsValid() {
		return Parent{}, ErrZeroID
	}
	p.Flags = flags[0]
	return p, nil
}

// decodeLower decodes lower-case hex of exactly 2*len(dst) digits.
func decodeLower(dst []byte, s string) bool {
	if len(s) != 2*len(dst) {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	_, err := hex.Decode(dst, []byte(s))
	return err == nil
}

// String formats p as a version 00 traceparent value.
func (p Parent) String() string {
	var b [55]byte
	b[0], b[1], b[2] = '0', '0', '-'
	hex.Encode(b[3:35], p.TraceID[:])
	b[35] = '-'
	hex.Encode(b[36:52], p.SpanID[:])
	b[52] = '-'
	hex.Encode(b[53:55], []byte{p.Flags})
	return string(b[:])
}

// IsValid reports whether neither id is all zeros.
func (p Parent) IsValid() bool { return p.TraceID.IsValid() && p.SpanID.IsValid() }

// Sampled reports whether the sampled flag is set.
func (p Parent) Sampled() bool { return p.Flags&FlagSampled != 0 }

// Child returns a new span of p's trace: the same trace id and flags, a
// new random span id (never p's, never all zeros). Its String is the
// traceparent to send downstream.
func (p Parent) Child() Parent {
	c := p
	for c.SpanID == p.SpanID || !c.SpanID.IsValid() {
		c.SpanID = NewSpanID()
	}
	return c
}

// New starts a trace: a random trace id and span id, flags unset (not
// sampled).
func New() Parent {
	var p Parent
	for !p.TraceID.IsValid() {
		putUint64(p.TraceID[:8], rand.Uint64())
		putUint64(p.TraceID[8:], rand.Uint64())
	}
	p.SpanID = NewSpanID()
	return p
}

// NewSpanID returns a random span id that is not all zeros.
func NewSpanID() SpanID {
	var s SpanID
	for !s.IsValid() {
		putUint64(s[:], rand.Uint64())
	}
	return s
}

func putUint64(b []byte, v uint64) {
	for i := range 8 {
		b[i] = byte(v >> (56 - 8*i))
	}
}
