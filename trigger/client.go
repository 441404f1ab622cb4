package trigger

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// ErrDuplicate is returned by [Client.Fire] when JetStream has already
// stored an event with the same id (within the stream's duplicate window):
// the copy Fire published was dropped, so no Result will come to it.
var ErrDuplicate = errors.New("duplicate event id")

// Client publishes events for an engine. It holds no goroutines or
// subscriptions of its own, so it needs no closing; the connection is the
// caller's.
type Client struct {
	nc      *nats.Conn
	js      jetstream.JetStream
	prefix  string
	ordered string // ordered subject prefix
	// Bots and registry webhooks whose events must run in order within
	// their conversation.
	orderedBots, orderedWebhooks map[string]bool
}

// Option configures a Client.
type Option func(*Client)

// WithFiredPrefix sets the subject prefix events are published under;
// default DefaultFiredPrefix.
func WithFiredPrefix(prefix string) Option {
	return func(c *Client) { c.prefix = prefix }
}

// WithOrderedPrefix sets the subject prefix of ordered events; default
// DefaultOrderedPrefix.
func WithOrderedPrefix(prefix string) Option {
	return func(c *Client) { c.ordered = prefix }
}

// WithOrderedBots opts bots in to per-conversation order: their events
// are published to OrderedSubject, where the events of one conversation
// run one after another in the order they were published.
func WithOrderedBots(botIDs ...string) Option {
	return func(c *Client) {
		for _, id := range botIDs {
			c.orderedBots[id] = true
		}
	}
}

// WithOrderedWebhooks opts registry webhooks (by id, as in webhook_ref)
// in to per-conversation order, as WithOrderedBots does for bots. An
// inline definition opts in with its own `ordered: true`.
func WithOrderedWebhooks(webhookIDs ...string) Option {
	return func(c *Client) {
		for _, id := range webhookIDs {
			c.orderedWebhooks[id] = true
		}
	}
}

// WithJetStream publishes through js instead of a JetStream context made
// from the client's connection.
func WithJetStream(js jetstream.JetStream) Option {
	return func(c *Client) { c.js = js }
}

// NewClient returns a client that publishes on nc.
func NewClient(nc *nats.Conn, opts ...Option) (*Client, error) {
	if nc == nil {
		return nil, errors.New("trigger: nil NATS connection")
	}
	c := &Client{nc: nc, prefix: DefaultFiredPrefix, ordered: DefaultOrderedPrefix,
		orderedBots: map[string]bool{}, orderedWebhooks: map[string]bool{}}
	for _, o := range opts {
		o(c)
	}
	if !ValidSubject(c.prefix) {
		return nil, fmt.Errorf("trigger: fired prefix %q is not a valid subject", c.prefix)
	}
	if !ValidSubject(c.ordered) {
		return nil, fmt.Errorf("trigger: ordered prefix %q is not a valid subject", c.ordered)
	}
	if c.js == nil {
		js, err := jetstream.New(nc)
		if err != nil {
			return nil, fmt.Errorf("trigger: %w", err)
		}
		c.js = js
	}
	return c, nil
}

// Ordered reports whether ev runs in order within its conversation: its
// bot or its registry webhook was opted in (WithOrderedBots,
// WithOrderedWebhooks), or its inline definition says `ordered: true`.
func (c *Client) Ordered(ev *Event) bool {
	switch {
	case c.orderedBots[ev.BotID]:
		return true
	case ev.Webhook != nil:
		return ev.Webhook.Ordered
	case ev.WebhookRef != nil:
		return c.orderedWebhooks[ev.WebhookRef.ID]
	}
	return false
}

// Subject is the subject ev is published to: OrderedSubject when it runs
// in order (see Ordered), else FiredSubject. An ordered event's
// conversation id must be a subject token.
func (c *Client) Subject(ev *Event) (string, error) {
	if !c.Ordered(ev) {
		return FiredSubject(c.prefix, ev.BotID), nil
	}
	if !ValidToken(ev.ConversationID) {
		return "", &FieldError{Field: "conversation_id", Msg: fmt.Sprintf("%q cannot be a subject token (no spaces, '.', '*' or '>'), as an ordered event's must", clip(ev.ConversationID))}
	}
	return OrderedSubject(c.ordered, ev.BotID, ev.ConversationID), nil
}

// Publish validates ev and publishes it to its subject (see Subject) with
// Nats-Msg-Id set to its id. A repeated id within the stream's duplicate
// window is acknowledged with PubAck.Duplicate and not stored again.
func (c *Client) Publish(ctx context.Context, ev *Event) (*jetstream.PubAck, error) {
	ack, err := c.publish(ctx, ev)
	if err != nil {
		return nil, fmt.Errorf("trigger: publish: %w", err)
	}
	return ack, nil
}

func (c *Client) publish(ctx context.Context, ev *Event) (*jetstream.PubAck, error) {
	if ev == nil {
		return nil, &FieldError{Field: "event", Msg: "nil"}
	}
	if err := ev.Validate(); err != nil {
		return nil, err
	}
	subject, err := c.Subject(ev)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false) // keep templates readable on the wire
	if err := enc.Encode(ev); err != nil {
		return nil, err
	}
	data := bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
	if len(data) > MaxEventSize {
		return nil, &FieldError{Msg: fmt.Sprintf("event is %d bytes, over the %d-byte limit", len(data), MaxEventSize)}
	}
	return c.js.Publish(ctx, subject, data, jetstream.WithMsgID(ev.ID))
}

// Fire publishes a copy of ev whose reply_to is a fresh inbox and waits
// for its Result, or until ctx is done. ev itself is not changed; its own
// reply_to is not used.
func (c *Client) Fire(ctx context.Context, ev *Event) (*Result, error) {
	if ev == nil {
		return nil, fmt.Errorf("trigger: fire: %w", &FieldError{Field: "event", Msg: "nil"})
	}
	sub, err := c.nc.SubscribeSync(c.nc.NewInbox())
	if err != nil {
		return nil, fmt.Errorf("trigger: fire: subscribe: %w", err)
	}
	defer sub.Unsubscribe()
	if c.js.Conn() != c.nc {
		// The event goes out on another connection: make sure the server
		// has the subscription before anyone can answer.
		if err := flush(ctx, c.nc); err != nil {
			return nil, fmt.Errorf("trigger: fire: subscribe: %w", err)
		}
	}

	fired := *ev
	fired.ReplyTo = sub.Subject
	ack, err := c.publish(ctx, &fired)
	if err != nil {
		return nil, fmt.Errorf("trigger: fire: %w", err)
	}
	if ack.Duplicate {
		return nil, fmt.Errorf("trigger: fire: event %q: %w", ev.ID, ErrDuplicate)
	}

	msg, err := sub.NextMsgWithContext(ctx)
	if err != nil {
		return nil, fmt.Errorf("trigger: fire: waiting for the result of event %q: %w", ev.ID, err)
	}
	var res Result
	dec := json.NewDecoder(bytes.NewReader(msg.Data))
	dec.UseNumber() // CVars keep their exact numbers
	if err := dec.Decode(&res); err != nil {
		return nil, fmt.Errorf("trigger: fire: result of event %q: %w", ev.ID, err)
	}
	if res.EventID != ev.ID {
		return nil, fmt.Errorf("trigger: fire: result for event %q arrived for event %q", res.EventID, ev.ID)
	}
	return &res, nil
}

func flush(ctx context.Context, nc *nats.Conn) error {
	if _, ok := ctx.Deadline(); ok {
		return nc.FlushWithContext(ctx)
	}
	return nc.Flush()
}
