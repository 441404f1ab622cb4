package h1_test

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/hookworker/hookworker/internal/h1"
)

// FuzzAnswer serves arbitrary bytes as the answer to a request (over an
// in-memory pipe): the client neither panics nor waits past its deadline,
// and what it accepts is a status of three digits and a body within the
// bound.
func FuzzAnswer(f *testing.F) {
	for _, s := range []string{
		ok200,
		"HTTP/1.1 100 Continue\r\n\r\n" + ok200,
		"HTTP/1.1 101 Switching Protocols\r\n\r\n",
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nabcd\r\n0\r\nX-T: 1\r\n\r\n",
		"HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
		"HTTP/1.1 200 OK\r\n\r\nuntil close",
		"HTTP/1.0 200 OK\r\nContent-Length: 99999999999999999999\r\n\r\n",
		"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab",
		"HTTP/1.1 204 No Content\r\nTransfer-Encoding: chunked\r\n\r\n",
		"HTTP/1.1 200 OK\r\nX: \x00\r\n\r\n",
		"HTTP/1.1 2000 OK\r\n\r\n",
		"SSH-2.0\r\n",
		"",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, answer []byte) {
		c, err := h1.New(h1.Config{MaxHeaderBytes: 4 << 10, Dial: func(context.Context, string, string) (net.Conn, error) {
			client, server := net.Pipe()
			go func() {
				defer server.Close()
				server.SetDeadline(time.Now().Add(2 * time.Second))
				req, err := http.ReadRequest(bufio.NewReader(server))
				if err != nil {
					return
				}
				io.Copy(io.Discard, req.Body)
				server.Write(answer)
			}()
			return client, nil
		}})
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		start := time.Now()
		resp, err := c.Do(context.Background(), &h1.Request{
			Method: "POST", URL: mustURL(t, "http://target.example/x"), Body: []byte("{}"),
			MaxBody: 1 << 10, Deadline: time.Now().Add(time.Second),
		})
		if d := time.Since(start); d > 1500*time.Millisecond {
			t.Fatalf("returned after %s", d)
		}
		if err == nil && (resp.StatusCode < 100 || resp.StatusCode > 999 || len(resp.Body) > 1<<10) {
			t.Fatalf("accepted status %d with %d bytes", resp.StatusCode, len(resp.Body))
		}
	})
}
