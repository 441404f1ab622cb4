package trigger

import (
	"encoding/json"
	"maps"
	"math"
	"slices"
	"strconv"
	"time"
	"unicode/utf8"
)

// AppendJSON appends the Result's JSON to b: the same bytes as
// json.Marshal, written without reflection (a Result is encoded for every
// event). CVar values are the JSON-ready values the mapper produces (nil,
// bool, string, numbers, []any, map[string]any); anything else goes
// through encoding/json.
func (r *Result) AppendJSON(b []byte) ([]byte, error) {
	b = append(b, `{"event_id":`...)
	b = appendString(b, r.EventID)
	b = append(b, `,"bot_id":`...)
	b = appendString(b, r.BotID)
	b = append(b, `,"conversation_id":`...)
	b = appendString(b, r.ConversationID)
	b = append(b, `,"connection_id":`...)
	b = appendString(b, r.ConnectionID)
	b = append(b, `,"webhook_id":`...)
	b = appendString(b, r.WebhookID)
	b = append(b, `,"status":`...)
	b = appendString(b, string(r.Status))
	b = append(b, `,"cvars":`...)
	var err error
	if r.CVars == nil {
		b = append(b, "null"...)
	} else if b, err = appendValue(b, r.CVars, 0); err != nil {
		return nil, err
	}
	b = append(b, `,"unmapped":`...)
	if r.Unmapped == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '[')
		for i, u := range r.Unmapped {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendString(b, u)
		}
		b = append(b, ']')
	}
	b = append(b, `,"http_status":`...)
	b = strconv.AppendInt(b, int64(r.HTTPStatus), 10)
	b = append(b, `,"attempts":`...)
	b = strconv.AppendInt(b, int64(r.Attempts), 10)
	b = append(b, `,"duration_ms":`...)
	if b, err = appendFloat(b, r.DurationMS); err != nil {
		return nil, err
	}
	b = append(b, `,"error":`...)
	if r.Error == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, `{"class":`...)
		b = appendString(b, string(r.Error.Class))
		b = append(b, `,"message":`...)
		b = appendString(b, r.Error.Message)
		b = append(b, '}')
	}
	b = append(b, `,"replayed":`...)
	b = strconv.AppendBool(b, r.Replayed)
	b = append(b, `,"completed_at":`...)
	if y := r.CompletedAt.Year(); y < 0 || y >= 10000 {
		return nil, &json.UnsupportedValueError{Str: "completed_at: year outside [0,9999]"}
	}
	b = append(b, '"')
	b = r.CompletedAt.AppendFormat(b, time.RFC3339Nano)
	b = append(b, '"', '}')
	return b, nil
}

// appendValue appends v as encoding/json would.
func appendValue(b []byte, v any, depth int) ([]byte, error) {
	if depth > 1000 {
		return nil, &json.UnsupportedValueError{Str: "value nested too deeply"}
	}
	var err error
	switch x := v.(type) {
	case nil:
		return append(b, "null"...), nil
	case bool:
		return strconv.AppendBool(b, x), nil
	case string:
		return appendString(b, x), nil
	case int64:
		return strconv.AppendInt(b, x, 10), nil
	case int:
		return strconv.AppendInt(b, int64(x), 10), nil
	case uint64:
		return strconv.AppendUint(b, x, 10), nil
	case float64:
		return appendFloat(b, x)
	case []any:
		b = append(b, '[')
		for i, e := range x {
			if i > 0 {
				b = append(b, ',')
			}
			if b, err = appendValue(b, e, depth+1); err != nil {
				return nil, err
			}
		}
		return append(b, ']'), nil
	case map[string]any:
		keys := slices.Sorted(maps.Keys(x))
		b = append(b, '{')
		for i, k := range keys {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendString(b, k)
			b = append(b, ':')
			if b, err = appendValue(b, x[k], depth+1); err != nil {
				return nil, err
			}
		}
		return append(b, '}'), nil
	}
	raw, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return append(b, raw...), nil
}

// appendFloat formats f as encoding/json does (ES6 number formatting).
func appendFloat(b []byte, f float64) ([]byte, error) {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		return nil, &json.UnsupportedValueError{Str: strconv.FormatFloat(f, 'g', -1, 64)}
	}
	abs := math.Abs(f)
	format := byte('f')
	if abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	b = strconv.AppendFloat(b, f, format, -1, 64)
	if format == 'e' {
		// clean up e-09 to e-9
		if n := len(b); n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b, nil
}

const hexDigits = "0123456789abcdef"

// appendString quotes s as encoding/json does: HTML-sensitive characters
// and U+2028/U+2029 escaped, invalid UTF-8 replaced by U+FFFD.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '\\', '"':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
