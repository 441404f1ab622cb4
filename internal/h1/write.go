package h1

import (
	"fmt"
	"net"
	"net/http"
	"net/textproto"
	"slices"
	"strconv"
	"sync"

	"golang.org/x/net/http/httpguts"
)

// head is a request's line and header block, pooled.
type head struct{ b []byte }

var heads = sync.Pool{New: func() any { return &head{b: make([]byte, 0, 1024)} }}

func putHead(h *head) {
	if cap(h.b) <= 64<<10 {
		h.b = h.b[:0]
		heads.Put(h)
	}
}

// notSent are the header keys net/http does not send from a request's
// map either: it writes them from the request itself.
var notSent = map[string]bool{"Host": true, "User-Agent": true, "Content-Length": true, "Transfer-Encoding": true, "Trailer": true}

// writeHead is req's request line and header block, as net/http writes
// them (see the package documentation), or an error naming an invalid
// header or method.
func writeHead(req *Request) (*head, error) {
	method := req.Method
	if method == "" {
		method = http.MethodGet
	}
	if !httpguts.ValidHeaderFieldName(method) { // a token, as net/http checks it
		return nil, fmt.Errorf("%w: method %q", ErrInvalidRequest, method)
	}
	target := req.URL.RequestURI()
	if hasCTL(target) || hasCTL(req.URL.Host) {
		return nil, fmt.Errorf("%w: a control character in the URL", ErrInvalidRequest)
	}
	h := heads.Get().(*head)
	b := append(h.b[:0], method...)
	b = append(b, ' ')
	b = append(b, target...)
	b = append(b, " HTTP/1.1\r\nHost: "...)
	b = append(b, req.URL.Host...)
	b = append(b, "\r\n"...)
	// As net/http: the first User-Agent only, right after Host.
	if ua := req.Header["User-Agent"]; len(ua) > 0 {
		if !httpguts.ValidHeaderFieldValue(ua[0]) {
			h.b = b
			putHead(h)
			return nil, fmt.Errorf("%w: header field value for %q", ErrInvalidRequest, "User-Agent")
		}
		if v := textproto.TrimString(ua[0]); v != "" {
			b = append(b, "User-Agent: "...)
			b = append(b, v...)
			b = append(b, "\r\n"...)
		}
	}
	var keys [32]string
	ks := keys[:0]
	for k := range req.Header {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	for _, k := range ks {
		if notSent[k] {
			continue
		}
		if !httpguts.ValidHeaderFieldName(k) {
			h.b = b
			putHead(h)
			return nil, fmt.Errorf("%w: header field name %q", ErrInvalidRequest, k)
		}
		for _, v := range req.Header[k] {
			if !httpguts.ValidHeaderFieldValue(v) {
				h.b = b
				putHead(h)
				return nil, fmt.Errorf("%w: header field value for %q", ErrInvalidRequest, k)
			}
			b = append(b, k...)
			b = append(b, ": "...)
			b = append(b, textproto.TrimString(v)...)
			b = append(b, "\r\n"...)
		}
	}
	// As net/http's transport: ask for gzip unless the request says what
	// it accepts (or asks for a range, or is a HEAD), and then decompress
	// the answer (see read).
	if req.gzip = method != http.MethodHead && req.Header.Get("Accept-Encoding") == "" && req.Header.Get("Range") == ""; req.gzip {
		b = append(b, "Accept-Encoding: gzip\r\n"...)
	}
	switch {
	case len(req.Body) > 0:
		b = append(b, "Content-Length: "...)
		b = strconv.AppendInt(b, int64(len(req.Body)), 10)
		b = append(b, "\r\n"...)
	case method == http.MethodPost || method == http.MethodPut || method == http.MethodPatch:
		b = append(b, "Content-Length: 0\r\n"...)
	}
	// Room for a small body, which goes out in the same write.
	h.b = slices.Grow(append(b, "\r\n"...), min(len(req.Body), inline))
	return h, nil
}

// hasCTL reports whether s holds an ASCII control character (net/http
// refuses to write one in a request's target).
func hasCTL(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < ' ' || s[i] == 0x7f {
			return true
		}
	}
	return false
}

// inline is the body size up to which head and body go out in one write
// (writeHead leaves room for it).
const inline = 32 << 10

// write sends head and body: one write for a small body, a vectored one
// for a larger.
func (pc *conn) write(head, body []byte) error {
	if len(body) <= inline {
		_, err := pc.c.Write(append(head, body...))
		return err
	}
	bufs := net.Buffers{head, body}
	_, err := bufs.WriteTo(pc.c)
	return err
}
