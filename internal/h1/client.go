package h1

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"
)

// ErrTooLarge is returned when an answer's body is over [Request.MaxBody].
var ErrTooLarge = errors.New("h1: response body over the limit")

// ErrInvalidRequest is matched by the error of a request that cannot be
// written: an invalid method, header name or header value.
var ErrInvalidRequest = errors.New("h1: invalid request")

// maxInformational bounds the 100 and 103 answers read past.
const maxInformational = 5

// Config is a Client's setup. Dial is required; zero sizes and durations
// take the defaults in brackets.
type Config struct {
	// Dial makes every connection (network "tcp").
	Dial func(ctx context.Context, network, address string) (net.Conn, error)
	// TLS is the base of https connections (nil: the system's roots);
	// each gets a copy with the URL's host as ServerName (unless set) and
	// ALPN http/1.1.
	TLS *tls.Config
	// MaxIdlePerHost and MaxIdle bound the idle connections kept for one
	// scheme and address, and for all (2 and 8).
	MaxIdlePerHost, MaxIdle int
	// IdleTimeout closes a connection idle that long (90s).
	IdleTimeout time.Duration
	// MaxHeaderBytes bounds an answer's header block (64 KiB).
	MaxHeaderBytes int
	// TLSHandshakeTimeout bounds a TLS handshake within the request's
	// deadline (10s).
	TLSHandshakeTimeout time.Duration
}

// Request is one request. URL must be [Eligible].
type Request struct {
	Method string
	URL    *url.URL
	Header http.Header
	// Body is sent with its Content-Length; empty: none (a POST, PUT or
	// PATCH says Content-Length: 0).
	Body []byte
	// MaxBody bounds the answer's body (1 MiB when 0).
	MaxBody int64
	// Deadline, when set, bounds the whole exchange.
	Deadline time.Time

	gzip bool // Accept-Encoding: gzip was added (see writeHead)
}

// Response is an answer.
type Response struct {
	StatusCode int
	Header     http.Header
	Body       []byte
}

// Client is a pool of keep-alive connections. It is safe for concurrent
// use; its zero value is not usable (see [New]).
type Client struct {
	cfg Config

	mu     sync.Mutex
	idle   map[string][]*conn // by pool key, most recently used last
	nIdle  int
	closed bool
}

// New returns a Client for cfg.
func New(cfg Config) (*Client, error) {
	if cfg.Dial == nil {
		return nil, errors.New("h1: Config.Dial is required")
	}
	if cfg.MaxIdlePerHost <= 0 {
		cfg.MaxIdlePerHost = 2
	}
	if cfg.MaxIdle <= 0 {
		cfg.MaxIdle = 8
	}
	if cfg.IdleTimeout <= 0 {
		cfg.IdleTimeout = 90 * time.Second
	}
	if cfg.MaxHeaderBytes <= 0 {
		cfg.MaxHeaderBytes = 64 << 10
	}
	if cfg.TLSHandshakeTimeout <= 0 {
		cfg.TLSHandshakeTimeout = 10 * time.Second
	}
	return &Client{cfg: cfg, idle: map[string][]*conn{}}, nil
}

// Eligible reports whether the Client takes u: an http or https URL with
// a host in ASCII, without a zone or user info, and not opaque.
func Eligible(u *url.URL) bool {
	if u == nil || u.User != nil || u.Opaque != "" || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return false
	}
	for i := 0; i < len(u.Host); i++ {
		if c := u.Host[i]; c >= 0x80 || c == '%' || c <= ' ' {
			return false
		}
	}
	return true
}

// Close closes the idle connections; later requests dial anew and their
// connections are closed after use.
func (c *Client) Close() {
	c.mu.Lock()
	idle := c.idle
	c.idle, c.nIdle, c.closed = map[string][]*conn{}, 0, true
	c.mu.Unlock()
	for _, list := range idle {
		for _, pc := range list {
			pc.timer.Stop()
			pc.c.Close()
		}
	}
}

// Do sends req and reads its answer. ctx can cancel it; req.Deadline
// bounds it. A timeout is an error matching os.ErrDeadlineExceeded.
func (c *Client) Do(ctx context.Context, req *Request) (*Response, error) {
	if !Eligible(req.URL) {
		return nil, fmt.Errorf("h1: %s URL not taken (see Eligible)", req.URL.Scheme)
	}
	if req.MaxBody <= 0 {
		req.MaxBody = 1 << 20
	}
	head, err := writeHead(req)
	if err != nil {
		return nil, err
	}
	defer putHead(head)
	key, addr := poolKey(req.URL)
	for try := 0; ; try++ {
		pc, reused, err := c.get(ctx, req, key, addr)
		if err != nil {
			return nil, timeoutOr(req, err)
		}
		resp, err := c.exchange(ctx, pc, req, head.b)
		if err == nil {
			return resp, nil
		}
		if reused && try == 0 && errors.Is(err, errNothingBack) && replayable(req) {
			continue // the server had closed the idle connection
		}
		return nil, timeoutOr(req, err)
	}
}

// replayable is net/http's rule for sending a request again on a new
// connection: an idempotent method, or an Idempotency-Key header.
func replayable(req *Request) bool {
	switch req.Method {
	case "", http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodTrace:
		return true
	}
	_, key := req.Header["Idempotency-Key"]
	_, xkey := req.Header["X-Idempotency-Key"]
	return key || xkey
}

// errNothingBack: the connection failed before the first byte of an
// answer.
var errNothingBack = errors.New("connection closed before an answer")

// timeoutOr is err, or a timeout when req's deadline has passed.
func timeoutOr(req *Request, err error) error {
	if errors.Is(err, os.ErrDeadlineExceeded) {
		return err
	}
	if !req.Deadline.IsZero() && !time.Now().Before(req.Deadline) {
		return fmt.Errorf("%w (%v)", os.ErrDeadlineExceeded, err)
	}
	return err
}

// aLongTimeAgo is a deadline that makes blocked I/O return at once.
var aLongTimeAgo = time.Unix(1, 0)

// exchange writes the request on pc and reads the answer; pc goes back to
// the pool or is closed.
func (c *Client) exchange(ctx context.Context, pc *conn, req *Request, head []byte) (*Response, error) {
	if err := pc.c.SetDeadline(req.Deadline); err != nil {
		pc.c.Close()
		return nil, err
	}
	stop := func() bool { return true }
	if ctx.Done() != nil {
		stop = context.AfterFunc(ctx, func() { pc.c.SetDeadline(aLongTimeAgo) })
	}
	if err := pc.write(head, req.Body); err != nil {
		stop()
		pc.c.Close()
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, fmt.Errorf("%w: %w", errNothingBack, err)
	}
	resp, reuse, err := c.read(pc, req)
	// A cancellation that has started setting the deadline must not
	// reach the next request on this connection.
	if !stop() {
		reuse = false
	}
	if ctx.Err() != nil && err != nil {
		err = ctx.Err()
	}
	if reuse && err == nil {
		c.put(pc)
	} else {
		pc.c.Close()
	}
	return resp, err
}

// poolKey is the pool a URL's connections are in, and the address they
// are dialled on.
func poolKey(u *url.URL) (key, addr string) {
	host, port := u.Hostname(), u.Port()
	if port == "" {
		port = "80"
		if u.Scheme == "https" {
			port = "443"
		}
	}
	addr = net.JoinHostPort(strings.ToLower(host), port)
	return u.Scheme + "://" + addr, addr
}
