package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/spf13/cobra"
)

func (a *app) demoTargetCmd() *cobra.Command {
	var addr string
	cmd := &cobra.Command{
		Use:   "demo-target",
		Short: "Serve a small fake Zendesk-like API on loopback, for the walk-through",
		Long: `Serve a fake ticket API, so the sample events have something to call on a
machine with no network:

  GET  /api/v2/tickets/{id}.json   200 {"ticket": {"id", "status", "subject", "priority"}}
  POST /api/v2/tickets.json        201 {"ticket": {"id", "url", "subject"}} (new id each time)
  anything else                    200 the request echoed as JSON

It serves until SIGINT or SIGTERM.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return a.demoTarget(cmd.Context(), addr) },
	}
	cmd.Flags().StringVar(&addr, "addr", "127.0.0.1:8090", "address to listen on")
	return cmd
}

func (a *app) demoTarget(ctx context.Context, addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: demoHandler(), ReadHeaderTimeout: 5 * time.Second}
	fmt.Fprintf(a.io.err, "demo target listening on http://%s\n", ln.Addr())
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// demoHandler is the fake API of demo-target.
func demoHandler() http.Handler {
	var nextID atomic.Int64
	nextID.Store(1000)
	mux := http.NewServeMux()
	reply := func(w http.ResponseWriter, status int, v any) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(v)
	}
	mux.HandleFunc("GET /api/v2/tickets/{file}", func(w http.ResponseWriter, r *http.Request) {
		id, err := strconv.Atoi(strings.TrimSuffix(r.PathValue("file"), ".json"))
		if err != nil {
			reply(w, http.StatusNotFound, map[string]any{"error": "RecordNotFound"})
			return
		}
		statuses := []string{"new", "open", "pending", "solved"}
		reply(w, http.StatusOK, map[string]any{"ticket": map[string]any{
			"id": id, "status": statuses[id%len(statuses)], "subject": fmt.Sprintf("Order #%d has not arrived", id),
			"priority": nil, "tags": []string{"chatbot", "shipping"},
		}})
	})
	mux.HandleFunc("POST /api/v2/tickets.json", func(w http.ResponseWriter, r *http.Request) {
		var in struct {
			Ticket struct {
				Subject string `json:"subject"`
			} `json:"ticket"`
		}
		if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&in); err != nil {
			reply(w, http.StatusUnprocessableEntity, map[string]any{"error": "RecordInvalid", "description": err.Error()})
			return
		}
		id := nextID.Add(1)
		reply(w, http.StatusCreated, map[string]any{"ticket": map[string]any{
			"id": id, "url": fmt.Sprintf("http://%s/api/v2/tickets/%d.json", r.Host, id),
			"subject": in.Ticket.Subject, "status": "new",
		}})
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		var parsed any
		if json.Unmarshal(body, &parsed) != nil {
			parsed = string(body)
		}
		headers := map[string]string{}
		for k := range r.Header {
			headers[strings.ToLower(k)] = r.Header.Get(k)
		}
		reply(w, http.StatusOK, map[string]any{
			"method": r.Method, "path": r.URL.Path, "query": r.URL.RawQuery, "headers": headers, "body": parsed,
		})
	})
	return mux
}
