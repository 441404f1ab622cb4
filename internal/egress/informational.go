package egress

import (
	"fmt"
	"net/http"
	"net/http/httptrace"
	"net/textproto"
)

// maxInformational bounds the 100 and 103 answers read before the final
// one.
const maxInformational = 5

// EndInformational wraps rt so that an informational answer other than
// 100 Continue and 103 Early Hints ends the request: 101 Switching
// Protocols (whose body would be the raw connection, held until the
// target closes it) and 102, 104-199 come back as a response of that
// status with an empty body, the connection closed, instead of being
// waited past. The caller judges the status like any other.
func EndInformational(rt http.RoundTripper) http.RoundTripper {
	return informational{rt: rt}
}

type informational struct{ rt http.RoundTripper }

// infoState is one request's view of its informational answers: the
// trace and what it saw in one allocation (it was three variables and a
// closure).
type infoState struct {
	trace      httptrace.ClientTrace
	code, seen int
	header     textproto.MIMEHeader
}

func (s *infoState) got1xx(c int, h textproto.MIMEHeader) error {
	s.seen++
	if (c == http.StatusContinue || c == http.StatusEarlyHints) && s.seen <= maxInformational {
		return nil
	}
	s.code, s.header = c, h
	return errInformational
}

func (t informational) RoundTrip(req *http.Request) (*http.Response, error) {
	s := &infoState{}
	s.trace.Got1xxResponse = s.got1xx
	resp, err := t.rt.RoundTrip(req.WithContext(httptrace.WithClientTrace(req.Context(), &s.trace)))
	if err != nil {
		if s.code == 0 {
			return nil, err
		}
		code := s.code
		return &http.Response{
			Status: fmt.Sprintf("%d %s", code, http.StatusText(code)), StatusCode: code,
			Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
			Header: http.Header(s.header), Body: http.NoBody, Request: req, Close: true,
		}, nil
	}
	if resp.StatusCode < 200 {
		resp.Body.Close() // for a 101, the connection itself
		resp.Body, resp.ContentLength, resp.Close = http.NoBody, 0, true
	}
	return resp, nil
}

type informationalError struct{}

func (informationalError) Error() string {
	return "informational answer other than 100 and 103: the attempt ends"
}

var errInformational error = informationalError{}
