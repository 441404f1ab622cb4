package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/micro"
)

// Client calls the service API over a NATS connection.
type Client struct {
	nc *nats.Conn
}

// NewClient calls the service over nc.
func NewClient(nc *nats.Conn) *Client { return &Client{nc: nc} }

// ErrNoService is returned when no process serves the API (no responders).
var ErrNoService = errors.New("no hookworker process answers the service API (is `hookworker run` running?)")

// call sends req to subject and decodes the reply into reply. An error
// reply is an *Error.
func (c *Client) call(ctx context.Context, subject string, req, reply any) error {
	data, err := json.Marshal(req)
	if err != nil {
		return fmt.Errorf("api: %w", err)
	}
	msg, err := c.nc.RequestWithContext(ctx, subject, data)
	if errors.Is(err, nats.ErrNoResponders) {
		return ErrNoService
	}
	if err != nil {
		return fmt.Errorf("api: %s: %w", subject, err)
	}
	if code := msg.Header.Get(micro.ErrorCodeHeader); code != "" {
		var body errorBody
		if json.Unmarshal(msg.Data, &body) == nil && body.Error != nil {
			return body.Error
		}
		n, _ := strconv.Atoi(code)
		return &Error{Code: n, Message: msg.Header.Get(micro.ErrorHeader)}
	}
	if err := json.Unmarshal(msg.Data, reply); err != nil {
		return fmt.Errorf("api: %s: reply: %w", subject, err)
	}
	return nil
}

// Render calls hookworker.api.render.
func (c *Client) Render(ctx context.Context, r *RenderRequest) (*RenderReply, error) {
	var out RenderReply
	return &out, c.call(ctx, SubjectRender, r, &out)
}

// Validate calls hookworker.api.validate.
func (c *Client) Validate(ctx context.Context, r *ValidateRequest) (*ValidateReply, error) {
	var out ValidateReply
	return &out, c.call(ctx, SubjectValidate, r, &out)
}

// List calls hookworker.api.dlq.list.
func (c *Client) List(ctx context.Context, r *DLQListRequest) (*DLQListReply, error) {
	var out DLQListReply
	return &out, c.call(ctx, SubjectDLQList, r, &out)
}

// Show calls hookworker.api.dlq.show.
func (c *Client) Show(ctx context.Context, seq uint64) (*Letter, error) {
	var out Letter
	return &out, c.call(ctx, SubjectDLQShow, DLQShowRequest{Seq: seq}, &out)
}

// Replay calls hookworker.api.replay; ctx must allow for the replay's
// duration (Selected / Rate seconds).
func (c *Client) Replay(ctx context.Context, r *ReplayRequest) (*ReplayReply, error) {
	var out ReplayReply
	return &out, c.call(ctx, SubjectReplay, r, &out)
}

// Instance is one process's STATS reply, reduced to what the console
// shows.
type Instance struct {
	ID      string    `json:"id"`
	Version string    `json:"version"`
	Started time.Time `json:"started"`
	InstanceStatus
	// Requests and Errors count the API requests the process served.
	Requests, Errors int
}

// Instances asks every process of the service for its STATS
// ($SRV.STATS.hookworker) and gathers the replies that arrive within
// wait.
func (c *Client) Instances(ctx context.Context, wait time.Duration) ([]Instance, error) {
	inbox := c.nc.NewRespInbox()
	sub, err := c.nc.SubscribeSync(inbox)
	if err != nil {
		return nil, fmt.Errorf("api: %w", err)
	}
	defer func() { _ = sub.Unsubscribe() }()
	subject, err := micro.ControlSubject(micro.StatsVerb, Name, "")
	if err != nil {
		return nil, fmt.Errorf("api: %w", err)
	}
	if err := c.nc.PublishRequest(subject, inbox, nil); err != nil {
		return nil, fmt.Errorf("api: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	var out []Instance
	for {
		m, err := sub.NextMsgWithContext(ctx)
		if err != nil {
			return out, nil // the wait is over
		}
		var st micro.Stats
		if json.Unmarshal(m.Data, &st) != nil || st.Name != Name {
			continue
		}
		in := Instance{ID: st.ID, Version: st.Version, Started: st.Started, InstanceStatus: InstanceStatus{InFlight: -1}}
		for _, e := range st.Endpoints {
			in.Requests += e.NumRequests
			in.Errors += e.NumErrors
			if e.Name == "status" && len(e.Data) > 0 {
				_ = json.Unmarshal(e.Data, &in.InstanceStatus)
			}
		}
		out = append(out, in)
	}
}
