package h1

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httputil"
	"net/textproto"
	"strconv"
	"strings"
	"sync"
	"syscall"

	"golang.org/x/net/http/httpguts"
)

// This file reads an answer as net/http's transport does: the status
// line and header block by net/textproto (net/http's own parser), the
// body framed by net/http's rules (Transfer-Encoding chunked wins over
// Content-Length, differing Content-Lengths are an error, no body for a
// HEAD, a 1xx, 204 or 304, otherwise until the connection closes),
// chunked bodies by net/http/httputil's chunked reader.

// readers are the bufio.Readers of answers being read (a connection holds
// none while idle).
var readers sync.Pool

// errHeaderTooLarge is the header budget running out.
var errHeaderTooLarge = errors.New("header block over the limit")

// budget is the connection as the answer's reader sees it: while left is
// positive reads are bounded by it (the header block); set to -1 (the
// body, bounded by its own limits) reads are not.
type budget struct {
	r    io.Reader
	left int64
}

func (b *budget) Read(p []byte) (int, error) {
	if b.left < 0 {
		return b.r.Read(p)
	}
	if b.left == 0 {
		return 0, errHeaderTooLarge
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.r.Read(p)
	b.left -= int64(n)
	return n, err
}

// read reads one answer from pc; reuse says whether pc may serve another.
func (c *Client) read(pc *conn, req *Request) (resp *Response, reuse bool, err error) {
	lim := &budget{r: pc.c, left: int64(c.cfg.MaxHeaderBytes)}
	br, _ := readers.Get().(*bufio.Reader)
	if br == nil {
		br = bufio.NewReaderSize(lim, 4<<10)
	} else {
		br.Reset(lim)
	}
	defer func() { br.Reset(nil); readers.Put(br) }()
	// Nothing at all came back: the server closed the connection before
	// answering (on a reused one, typically its idle timeout).
	if _, err := br.Peek(1); err != nil {
		if errors.Is(err, io.EOF) || isReset(err) {
			return nil, false, fmt.Errorf("%w: %w", errNothingBack, err)
		}
		return nil, false, fmt.Errorf("reading the answer: %w", err)
	}
	tp := textproto.NewReader(br)
	var a answer
	for seen := 0; ; {
		if a, err = readHead(tp, lim); err != nil {
			return nil, false, err
		}
		if a.code >= 200 {
			break
		}
		seen++
		if (a.code == http.StatusContinue || a.code == http.StatusEarlyHints) && seen <= maxInformational {
			lim.left = int64(c.cfg.MaxHeaderBytes)
			continue
		}
		// Any other informational answer ends the request; after a 101
		// the connection is no longer HTTP.
		return &Response{StatusCode: a.code, Header: a.header, Body: []byte{}}, false, nil
	}
	lim.left = -1
	body, closes, err := readBody(br, lim, req, &a, c.cfg.MaxHeaderBytes)
	if err != nil {
		return nil, false, err
	}
	reuse = !closes && br.Buffered() == 0
	return &Response{StatusCode: a.code, Header: a.header, Body: body}, reuse, nil
}

// isReset: the server reset the connection.
func isReset(err error) bool { return errors.Is(err, syscall.ECONNRESET) }

// answer is a status line and its header block.
type answer struct {
	major, minor, code int
	header             http.Header
}

// readHead reads a status line and a header block, as net/http's
// ReadResponse does. Its errors quote nothing of the answer.
func readHead(tp *textproto.Reader, lim *budget) (answer, error) {
	line, err := tp.ReadLine()
	if err != nil {
		return answer{}, readError(err, lim)
	}
	proto, status, ok := strings.Cut(line, " ")
	if !ok {
		return answer{}, errors.New("reading the answer: malformed status line")
	}
	var a answer
	if a.major, a.minor, ok = http.ParseHTTPVersion(proto); !ok {
		return answer{}, errors.New("reading the answer: malformed HTTP version")
	}
	code, _, _ := strings.Cut(strings.TrimLeft(status, " "), " ")
	if len(code) != 3 {
		return answer{}, errors.New("reading the answer: malformed status code")
	}
	if a.code, err = strconv.Atoi(code); err != nil || a.code < 100 {
		return answer{}, errors.New("reading the answer: malformed status code")
	}
	mh, err := tp.ReadMIMEHeader()
	if err != nil {
		return answer{}, readError(err, lim)
	}
	a.header = http.Header(mh)
	return a, nil
}

// readError is the error of a header block that could not be read (over
// the budget when it ran out, whatever textproto made of the cut line),
// without the bytes of the answer that textproto's messages quote (the
// answer may echo a secret).
func readError(err error, lim *budget) error {
	if errors.Is(err, errHeaderTooLarge) || lim.left == 0 {
		return fmt.Errorf("reading the answer: %w", errHeaderTooLarge)
	}
	var pe textproto.ProtocolError
	if errors.As(err, &pe) {
		msg, _, _ := strings.Cut(string(pe), ":")
		return fmt.Errorf("reading the answer: %s", msg)
	}
	if errors.Is(err, io.EOF) {
		err = io.ErrUnexpectedEOF
	}
	return fmt.Errorf("reading the answer: %w", err)
}

// readBody reads a's body as net/http frames it (its transfer.go, in
// the same order: Connection, Transfer-Encoding, repeated Content-Length,
// no body for a HEAD, 1xx, 204 or 304, chunked, Content-Length, until
// the connection closes), bounded by req.MaxBody (ErrTooLarge beyond,
// read no further); closes says whether the connection must close after
// it.
func readBody(br *bufio.Reader, lim *budget, req *Request, a *answer, maxTrailer int) (body []byte, closes bool, err error) {
	h := a.header
	closes = shouldClose(a.major, a.minor, h)
	chunked := false
	if te, ok := h["Transfer-Encoding"]; ok {
		delete(h, "Transfer-Encoding") // HTTP/1.0 ignores it
		if a.major > 1 || a.major == 1 && a.minor >= 1 {
			if len(te) != 1 || !strings.EqualFold(textproto.TrimString(te[0]), "chunked") {
				return nil, false, errors.New("reading the answer: unsupported transfer encoding")
			}
			chunked = true
		}
	}
	if cl := h["Content-Length"]; len(cl) > 1 {
		first := textproto.TrimString(cl[0])
		for _, v := range cl[1:] {
			if textproto.TrimString(v) != first {
				return nil, false, errors.New("reading the answer: differing Content-Length values")
			}
		}
		h["Content-Length"] = []string{first}
	}
	if req.Method == http.MethodHead || a.code/100 == 1 || a.code == http.StatusNoContent || a.code == http.StatusNotModified {
		return []byte{}, closes, nil
	}
	switch cl := h["Content-Length"]; {
	case chunked:
		delete(h, "Content-Length")
		body, err = readAll(httputil.NewChunkedReader(br), req.MaxBody)
		if err == nil {
			err = discardTrailer(br, lim, maxTrailer)
		}
		delete(h, "Trailer")
	case len(cl) > 0:
		if textproto.TrimString(cl[0]) == "" {
			return nil, false, errors.New("reading the answer: invalid empty Content-Length")
		}
		n, perr := strconv.ParseUint(textproto.TrimString(cl[0]), 10, 63)
		if perr != nil || n > math.MaxInt64 {
			return nil, false, errors.New("reading the answer: bad Content-Length")
		}
		if int64(n) > req.MaxBody {
			return nil, false, ErrTooLarge
		}
		body = make([]byte, n)
		if _, err = io.ReadFull(br, body); err != nil {
			return nil, false, fmt.Errorf("reading the answer's body: %w", unexpectedEOF(err))
		}
	default: // until the connection closes
		delete(h, "Content-Length")
		closes = true
		body, err = readAll(br, req.MaxBody)
	}
	if err != nil {
		return nil, false, err
	}
	if req.gzip && strings.EqualFold(h.Get("Content-Encoding"), "gzip") {
		if len(body) > 0 { // an empty one is empty decompressed, as in net/http
			if body, err = gunzip(body, req.MaxBody); err != nil {
				return nil, false, err
			}
		}
		h.Del("Content-Encoding")
		h.Del("Content-Length")
	}
	return body, closes, nil
}

// readAll is r read to its end, ErrTooLarge past limit bytes.
func readAll(r io.Reader, limit int64) ([]byte, error) {
	body, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, fmt.Errorf("reading the answer's body: %w", unexpectedEOF(err))
	}
	if int64(len(body)) > limit {
		return nil, ErrTooLarge
	}
	return body, nil
}

func unexpectedEOF(err error) error {
	if errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return err
}

// shouldClose is net/http's rule: an HTTP/1.0 answer closes unless it
// says keep-alive, any answer that says close closes (and, from HTTP/1.1
// on, loses its Connection header, as in net/http).
func shouldClose(major, minor int, h http.Header) bool {
	if major < 1 {
		return true
	}
	conn := h["Connection"]
	hasClose := httpguts.HeaderValuesContainsToken(conn, "close")
	if major == 1 && minor == 0 {
		return hasClose || !httpguts.HeaderValuesContainsToken(conn, "keep-alive")
	}
	if hasClose {
		delete(h, "Connection")
	}
	return hasClose
}

// discardTrailer reads a chunked body's trailer as net/http does (a
// header block, by net/textproto, within the header budget) and drops
// it: net/http puts it in Response.Trailer, which the worker does not
// read.
func discardTrailer(br *bufio.Reader, lim *budget, limit int) error {
	lim.left = int64(limit)
	_, err := textproto.NewReader(br).ReadMIMEHeader()
	if err != nil {
		err = fmt.Errorf("%w (the trailer)", readError(err, lim))
	}
	lim.left = -1
	return err
}

// gunzip is the decompressed body, bounded by limit like any body.
func gunzip(body []byte, limit int64) ([]byte, error) {
	zr, err := gzip.NewReader(bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("reading the answer's body: %w", err)
	}
	return readAll(zr, limit)
}
