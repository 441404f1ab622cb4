package deadletter

import (
	"encoding/json"
	"fmt"
	"slices"
)

// A letter must fit in one message: the stream's max_msg_size (when it has
// one) and the server's max_payload bound it, headers included. Encode
// trims a letter that would not fit, least useful parts first, and marks it
// Trimmed:
//
//  1. each response excerpt (Attempt.Body) to 256 bytes, the request body
//     to 2 KiB and each request header value to 256 bytes;
//  2. response excerpts and the request body dropped, attempt errors and
//     the final error message cut to 256 and 2 KiB bytes;
//  3. only the first and the last 8 attempts kept;
//  4. the event itself replaced by its first 4 KiB in EventText (the
//     letter can then no longer be replayed: Replayable says why).
//
// What is cut ends in "…"; cuts fall on UTF-8 boundaries.

// headerRoom is what a letter's message needs besides its data: the
// subject, the Nats-Msg-Id header and the protocol's framing, with a margin.
const headerRoom = 1024

// Encode returns l as JSON within limit bytes (0 or less: no limit),
// trimming it as described above when it does not fit; l itself is not
// changed. It fails only when even the most trimmed letter is too large.
func Encode(l *Letter, limit int) ([]byte, error) {
	data, err := json.Marshal(l)
	if err != nil || limit <= 0 || len(data) <= limit {
		return data, err
	}
	t := *l
	t.Trimmed = true
	t.Attempts = slices.Clone(l.Attempts)
	if l.Request != nil {
		r := *l.Request
		t.Request = &r
	}
	for _, step := range trimSteps {
		step(&t)
		if data, err = json.Marshal(&t); err != nil || len(data) <= limit {
			return data, err
		}
	}
	return nil, fmt.Errorf("deadletter: letter of %q is %d bytes after trimming, over the %d-byte limit", l.EventID, len(data), limit)
}

// trimSteps are applied in order, each to what the previous left.
var trimSteps = []func(*Letter){
	func(l *Letter) {
		for i := range l.Attempts {
			l.Attempts[i].Body = cut(l.Attempts[i].Body, 256)
		}
		if r := l.Request; r != nil {
			r.Body = cut(r.Body, 2048)
			h := make(map[string][]string, len(r.Headers))
			for k, vs := range r.Headers {
				vs = slices.Clone(vs)
				for i := range vs {
					vs[i] = cut(vs[i], 256)
				}
				h[cut(k, 256)] = vs
			}
			r.Headers = h
			r.URL = cut(r.URL, 2048)
		}
	},
	func(l *Letter) {
		for i := range l.Attempts {
			l.Attempts[i].Body = ""
			l.Attempts[i].Error = cut(l.Attempts[i].Error, 256)
		}
		if l.Request != nil {
			l.Request.Body = ""
		}
		l.Error.Message = cut(l.Error.Message, 2048)
	},
	func(l *Letter) {
		const keep = 8
		if len(l.Attempts) > keep+1 {
			l.Attempts = append(l.Attempts[:1:1], l.Attempts[len(l.Attempts)-keep:]...)
		}
	},
	func(l *Letter) {
		if len(l.Event) > 0 {
			l.EventText = cut(string(l.Event), 4096)
			l.Event = nil
		}
		l.EventText = cut(l.EventText, 4096)
	},
	func(l *Letter) { // a tiny limit: what identifies the event, and why it failed
		l.Request = nil
		l.Attempts = []Attempt{}
		l.EventText = cut(l.EventText, 256)
		l.Error.Message = cut(l.Error.Message, 256)
	},
}

// cut shortens s to at most n bytes, on a rune boundary, ending in "…"
// when it was cut.
func cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	const ellipsis = "…"
	end := max(n-len(ellipsis), 0)
	for end > 0 && s[end]&0xC0 == 0x80 {
		end--
	}
	return s[:end] + ellipsis
}
