package h1

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"time"
)

// conn is one connection: c is what requests use (the TLS client of an
// https one), raw the socket under it.
type conn struct {
	c, raw net.Conn
	key    string
	idleAt time.Time
	timer  *time.Timer // closes it when idle too long
	client *Client
}

// get is an idle connection of key, or a new one to addr; reused says
// which.
func (c *Client) get(ctx context.Context, req *Request, key, addr string) (pc *conn, reused bool, err error) {
	for {
		c.mu.Lock()
		list := c.idle[key]
		if len(list) == 0 {
			c.mu.Unlock()
			break
		}
		pc = list[len(list)-1]
		list[len(list)-1] = nil
		if list = list[:len(list)-1]; len(list) == 0 {
			delete(c.idle, key)
		} else {
			c.idle[key] = list
		}
		c.nIdle--
		fired := !pc.timer.Stop() // then expire closes it
		c.mu.Unlock()
		if fired {
			continue
		}
		if !pc.quiet() {
			pc.c.Close()
			continue
		}
		return pc, true, nil
	}
	pc, err = c.dial(ctx, req, key, addr)
	return pc, false, err
}

// quiet reports whether an idle connection is still open and has nothing
// to read: a closed one reads EOF, and bytes the server sent unasked
// (a late or doubled answer, a body on a HEAD, 204 or 304 answer) would
// be read as the next request's answer, perhaps another bot's. The
// socket is peeked without waiting. A TLS connection's own buffers are
// looked at first (a read that cannot wait returns what they hold); when
// its socket holds bytes, they may be a record TLS handles itself (a late
// session ticket, a key update): a read of a few milliseconds takes them
// and must yield no data. It leaves the connection without a deadline.
func (pc *conn) quiet() bool {
	if pc.c == pc.raw {
		return pc.raw.SetReadDeadline(time.Time{}) == nil && socketQuiet(pc.raw)
	}
	if !pc.tlsQuiet(aLongTimeAgo) || pc.raw.SetReadDeadline(time.Time{}) != nil {
		return false
	}
	if socketQuiet(pc.raw) {
		return true
	}
	return pc.tlsQuiet(time.Now().Add(5*time.Millisecond)) && pc.raw.SetReadDeadline(time.Time{}) == nil && socketQuiet(pc.raw)
}

// tlsQuiet reports whether a read of the TLS connection until deadline
// yields no data and only a timeout.
func (pc *conn) tlsQuiet(deadline time.Time) bool {
	if err := pc.c.SetReadDeadline(deadline); err != nil {
		return false
	}
	var b [1]byte
	n, err := pc.c.Read(b[:])
	var ne net.Error
	return n == 0 && errors.As(err, &ne) && ne.Timeout()
}

// dial makes a connection to addr (the TLS client over it for https),
// within req's deadline.
func (c *Client) dial(ctx context.Context, req *Request, key, addr string) (*conn, error) {
	if !req.Deadline.IsZero() {
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, req.Deadline)
		defer cancel()
	}
	raw, err := c.cfg.Dial(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	pc := &conn{c: raw, raw: raw, key: key, client: c}
	if req.URL.Scheme == "https" {
		var cfg *tls.Config
		if c.cfg.TLS != nil {
			cfg = c.cfg.TLS.Clone()
		} else {
			cfg = &tls.Config{}
		}
		if cfg.ServerName == "" {
			cfg.ServerName = req.URL.Hostname()
		}
		cfg.NextProtos = []string{"http/1.1"}
		hctx, cancel := context.WithTimeout(ctx, c.cfg.TLSHandshakeTimeout)
		defer cancel()
		tc := tls.Client(raw, cfg)
		if err := tc.HandshakeContext(hctx); err != nil {
			raw.Close()
			return nil, err
		}
		pc.c = tc
	}
	return pc, nil
}

// put keeps pc for another request of its key, or closes it when the
// pool is full or closed.
func (c *Client) put(pc *conn) {
	if pc.c.SetDeadline(time.Time{}) != nil { // the last request's
		pc.c.Close()
		return
	}
	c.mu.Lock()
	if c.closed || len(c.idle[pc.key]) >= c.cfg.MaxIdlePerHost || c.nIdle >= c.cfg.MaxIdle {
		c.mu.Unlock()
		pc.c.Close()
		return
	}
	pc.idleAt = time.Now()
	c.idle[pc.key] = append(c.idle[pc.key], pc)
	c.nIdle++
	if pc.timer == nil {
		pc.timer = time.AfterFunc(c.cfg.IdleTimeout, pc.expire)
	} else {
		pc.timer.Reset(c.cfg.IdleTimeout)
	}
	c.mu.Unlock()
}

// expire closes pc, idle too long, taking it out of the pool if it is
// still there (get, having found its timer fired, leaves it to expire).
func (pc *conn) expire() {
	c := pc.client
	c.mu.Lock()
	list := c.idle[pc.key]
	for i, x := range list {
		if x == pc {
			copy(list[i:], list[i+1:])
			list[len(list)-1] = nil
			if list = list[:len(list)-1]; len(list) == 0 {
				delete(c.idle, pc.key)
			} else {
				c.idle[pc.key] = list
			}
			c.nIdle--
			break
		}
	}
	c.mu.Unlock()
	pc.c.Close()
}
