package h1_test

import (
	"bufio"
	"crypto/tls"
	"io"
	"net"
	"net/http"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
)

// rawServer is a target that answers with raw bytes: it reads requests on
// each connection and lets script answer request i of connection c
// (connections numbered from 1, requests from 0); false ends the
// connection. Everything it started ends with the test.
type rawServer struct {
	ln    net.Listener
	conns atomic.Int32
	reqs  atomic.Int32
	done  chan struct{} // closed when the test ends
}

func newRawServer(t *testing.T, tlsCfg *tls.Config, script func(c, i int, req *http.Request, w net.Conn) bool) *rawServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if tlsCfg != nil {
		ln = tls.NewListener(ln, tlsCfg)
	}
	s := &rawServer{ln: ln, done: make(chan struct{})}
	var wg sync.WaitGroup
	t.Cleanup(func() { close(s.done); ln.Close(); wg.Wait() })
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			nc, err := ln.Accept()
			if err != nil {
				return
			}
			c := int(s.conns.Add(1))
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer nc.Close()
				stop := make(chan struct{})
				defer close(stop)
				go func() {
					select {
					case <-s.done:
						nc.Close()
					case <-stop:
					}
				}()
				br := bufio.NewReader(nc)
				for i := 0; ; i++ {
					req, err := http.ReadRequest(br)
					if err != nil {
						return
					}
					io.Copy(io.Discard, req.Body)
					s.reqs.Add(1)
					if !script(c, i, req, nc) {
						return
					}
				}
			}()
		}
	}()
	return s
}

// url is the server's /x.
func (s *rawServer) url(t *testing.T) *url.URL {
	return mustURL(t, "http://"+s.ln.Addr().String()+"/x")
}

// serveScript is a rawServer whose answer to the n-th request of a
// connection (0-based) is out; close ends the connection after writing,
// hang holds it open without reading further.
func serveScript(t *testing.T, answer func(n int, head string) (out string, close, hang bool)) *rawServer {
	t.Helper()
	ended := make(chan struct{})
	s := newRawServer(t, nil, func(_, i int, req *http.Request, w net.Conn) bool {
		out, closeIt, hang := answer(i, req.Method+" "+req.RequestURI)
		if _, err := io.WriteString(w, out); err != nil {
			return false
		}
		if hang {
			<-ended
			return false
		}
		return !closeIt
	})
	t.Cleanup(func() { close(ended) }) // before the server's own cleanup waits
	return s
}
