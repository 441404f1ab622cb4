package console

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/hookworker/hookworker/internal/config"
	"github.com/hookworker/hookworker/internal/deadletter"
	"github.com/hookworker/hookworker/trigger"
	"github.com/hookworker/hookworker/trigger/webhook"
)

// Fleet reads the JetStream state of the trigger stream and of the dead
// letters.
type Fleet interface {
	Trigger(ctx context.Context) (TriggerState, error)
	Backlog(ctx context.Context) ([]deadletter.Backlog, error)
}

// TriggerState is the trigger stream and its consumers.
type TriggerState struct {
	Stream    string
	Messages  uint64
	LastSeq   uint64
	Consumers []ConsumerState
}

// ConsumerState is one consumer of the trigger stream (the shared one,
// the ordered lanes, the backstop).
type ConsumerState struct {
	Name        string `json:"name"`
	Pending     uint64 `json:"pending"`     // not yet delivered
	AckPending  int    `json:"ack_pending"` // delivered, not yet acknowledged
	Redelivered int    `json:"redelivered"`
	Waiting     int    `json:"waiting"`   // pull requests waiting
	Delivered   uint64 `json:"delivered"` // deliveries so far (consumer sequence)
}

// Definitions reads the webhook registry: its files and its KV bucket.
type Definitions interface {
	List(ctx context.Context) ([]DefinitionInfo, error)
	// History lists a definition's revisions, oldest first: the bucket's
	// history, after the file's (revision 0) when there is one.
	History(ctx context.Context, id string) ([]Revision, error)
}

// DefinitionInfo is one registry definition.
type DefinitionInfo struct {
	ID, Name string
	// Source is "bucket" or the file's path.
	Source   string
	Revision uint64
	Updated  time.Time
	// Shadowed: a bucket entry of the same id wins over this file.
	Shadowed bool
}

// Revision is one version of a definition.
type Revision struct {
	Revision uint64 // 0 for a file
	Source   string
	Created  time.Time
	Deleted  bool
	// JSON is the definition as indented JSON.
	JSON string
}

// Results delivers the Results published to a subject.
type Results interface {
	// Subscribe calls fn with each Result on subject (and its
	// Nats-Msg-Id) until unsubscribe is called.
	Subscribe(subject string, fn func(msgID string, r trigger.Result)) (unsubscribe func(), err error)
}

// NATS reads the fleet's state over a NATS connection, with the names of
// cfg.
type NATS struct {
	nc    *nats.Conn
	js    jetstream.JetStream
	cfg   config.Config
	store *deadletter.Store
}

// NewNATS reads over nc.
func NewNATS(nc *nats.Conn, cfg config.Config) (*NATS, error) {
	js, err := jetstream.New(nc)
	if err != nil {
		return nil, fmt.Errorf("console: %w", err)
	}
	return &NATS{nc: nc, js: js, cfg: cfg, store: deadletter.NewStore(js, cfg)}, nil
}

// Trigger reads the trigger stream and its consumers.
func (n *NATS) Trigger(ctx context.Context) (TriggerState, error) {
	st, err := n.js.Stream(ctx, n.cfg.Names.Stream)
	if err != nil {
		return TriggerState{}, fmt.Errorf("trigger stream %s: %w", n.cfg.Names.Stream, err)
	}
	info, err := st.Info(ctx)
	if err != nil {
		return TriggerState{}, fmt.Errorf("trigger stream %s: %w", n.cfg.Names.Stream, err)
	}
	out := TriggerState{Stream: info.Config.Name, Messages: info.State.Msgs, LastSeq: info.State.LastSeq}
	lister := st.ListConsumers(ctx)
	for ci := range lister.Info() {
		out.Consumers = append(out.Consumers, ConsumerState{Name: ci.Name, Pending: ci.NumPending, AckPending: ci.NumAckPending,
			Redelivered: ci.NumRedelivered, Waiting: ci.NumWaiting, Delivered: ci.Delivered.Consumer})
	}
	if err := lister.Err(); err != nil {
		return out, fmt.Errorf("consumers of %s: %w", n.cfg.Names.Stream, err)
	}
	slices.SortFunc(out.Consumers, func(a, b ConsumerState) int { return cmp.Compare(a.Name, b.Name) })
	return out, nil
}

// Backlog counts the dead letters by bot and class.
func (n *NATS) Backlog(ctx context.Context) ([]deadletter.Backlog, error) {
	return n.store.Backlog(ctx)
}

// maxFiles bounds the definition files read from the directory.
const maxFiles = 2000

// List lists the definitions of the files and of the bucket.
func (n *NATS) List(ctx context.Context) ([]DefinitionInfo, error) {
	files, err := n.files()
	if err != nil {
		return nil, err
	}
	byID := map[string]*DefinitionInfo{}
	var out []DefinitionInfo
	for _, f := range files {
		out = append(out, DefinitionInfo{ID: f.id, Name: f.name, Source: f.path, Updated: f.mod})
	}
	kv, err := n.bucket(ctx)
	if err != nil {
		return out, err
	}
	if kv != nil {
		keys, err := kv.ListKeys(ctx)
		if err != nil {
			return out, fmt.Errorf("webhook bucket: %w", err)
		}
		for k := range keys.Keys() {
			e, err := kv.Get(ctx, k)
			if err != nil {
				continue // deleted meanwhile
			}
			d := DefinitionInfo{ID: k, Source: "bucket", Revision: e.Revision(), Updated: e.Created()}
			var def struct {
				Name string `json:"name"`
			}
			if json.Unmarshal(e.Value(), &def) == nil {
				d.Name = def.Name
			}
			out = append(out, d)
		}
	}
	for i := range out {
		if out[i].Source == "bucket" {
			byID[out[i].ID] = &out[i]
		}
	}
	for i := range out {
		if out[i].Source != "bucket" && byID[out[i].ID] != nil {
			out[i].Shadowed = true
		}
	}
	slices.SortFunc(out, func(a, b DefinitionInfo) int { return cmp.Or(cmp.Compare(a.ID, b.ID), cmp.Compare(a.Source, b.Source)) })
	return out, nil
}

// History lists id's revisions: the file's, then the bucket's.
func (n *NATS) History(ctx context.Context, id string) ([]Revision, error) {
	var out []Revision
	files, err := n.files()
	if err != nil {
		return nil, err
	}
	for _, f := range files {
		if f.id == id {
			out = append(out, Revision{Source: f.path, Created: f.mod, JSON: f.json})
		}
	}
	kv, err := n.bucket(ctx)
	if err != nil {
		return out, err
	}
	if kv != nil && trigger.ValidToken(id) {
		entries, err := kv.History(ctx, id)
		if err != nil && !errors.Is(err, jetstream.ErrKeyNotFound) {
			return out, fmt.Errorf("webhook bucket: %w", err)
		}
		for _, e := range entries {
			r := Revision{Revision: e.Revision(), Source: "bucket", Created: e.Created(), Deleted: e.Operation() != jetstream.KeyValuePut}
			if !r.Deleted {
				r.JSON = indentJSON(e.Value())
			}
			out = append(out, r)
		}
	}
	return out, nil
}

// bucket opens the webhook bucket; nil when none is configured or it does
// not exist yet.
func (n *NATS) bucket(ctx context.Context) (jetstream.KeyValue, error) {
	if n.cfg.Webhooks.Bucket == "" {
		return nil, nil
	}
	kv, err := n.js.KeyValue(ctx, n.cfg.Webhooks.Bucket)
	if errors.Is(err, jetstream.ErrBucketNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("webhook bucket %s: %w", n.cfg.Webhooks.Bucket, err)
	}
	return kv, nil
}

type defFile struct {
	id, name, path, json string
	mod                  time.Time
}

// files reads the definitions directory (as run loads it; a file that
// does not decode is listed under its file name, with its error).
func (n *NATS) files() ([]defFile, error) {
	dir := n.cfg.Webhooks.Dir
	if dir == "" {
		return nil, nil
	}
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("webhooks dir: %w", err)
	}
	var out []defFile
	for _, e := range entries {
		if e.IsDir() || !webhook.IsFile(e.Name()) || len(out) == maxFiles {
			continue
		}
		path := filepath.Join(dir, e.Name())
		data, err := os.ReadFile(path)
		if err != nil {
			continue
		}
		f := defFile{path: path}
		if fi, err := e.Info(); err == nil {
			f.mod = fi.ModTime()
		}
		d, err := webhook.Decode(data, filepath.Ext(path))
		if err != nil {
			f.id, f.json = e.Name(), err.Error()
		} else {
			f.id, f.name = d.ID, d.Name
			b, _ := json.MarshalIndent(d, "", "  ")
			f.json = string(b)
		}
		out = append(out, f)
	}
	return out, nil
}

func indentJSON(b []byte) string {
	var v any
	if json.Unmarshal(b, &v) != nil {
		return string(b)
	}
	out, _ := json.MarshalIndent(v, "", "  ")
	return string(out)
}

// maxResultSize bounds a Result the console decodes.
const maxResultSize = 1 << 20

// Subscribe delivers the Results on subject.
func (n *NATS) Subscribe(subject string, fn func(msgID string, r trigger.Result)) (func(), error) {
	sub, err := n.nc.Subscribe(subject, func(m *nats.Msg) {
		if len(m.Data) > maxResultSize {
			return
		}
		var r trigger.Result
		if json.Unmarshal(m.Data, &r) != nil {
			return
		}
		fn(m.Header.Get(trigger.HeaderMsgID), r)
	})
	if err != nil {
		return nil, fmt.Errorf("subscribe %s: %w", subject, err)
	}
	// The subscription must be in place before the replay it waits for.
	if err := n.nc.Flush(); err != nil {
		_ = sub.Unsubscribe()
		return nil, err
	}
	return func() { _ = sub.Unsubscribe() }, nil
}
