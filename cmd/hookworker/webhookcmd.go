package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"sort"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/spf13/cobra"

	"github.com/hookworker/hookworker/internal/check"
	"github.com/hookworker/hookworker/internal/config"
	"github.com/hookworker/hookworker/internal/marketplace"
	"github.com/hookworker/hookworker/internal/registry"
	"github.com/hookworker/hookworker/internal/streams"
	"github.com/hookworker/hookworker/render"
	"github.com/hookworker/hookworker/trigger/webhook"
)

func (a *app) webhookCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "webhook",
		Short: "Manage webhook definitions in the NATS KV bucket",
		Long: `Manage the webhook definitions of the KV bucket (webhooks.bucket, default
hookworker-webhooks) that every worker watches: a change is live in every
process without a restart, and a bucket entry wins over a file of the same
id. Entries are JSON definitions keyed by id; the bucket keeps 64 revisions
of each, so an event can pin one with webhook_ref {"id", "revision"}.`,
	}
	cmd.AddCommand(a.webhookPutCmd(), a.webhookGetCmd(), a.webhookListCmd(), a.webhookDeleteCmd())
	return cmd
}

// kvSession is a connection to the webhook bucket.
type kvSession struct {
	cfg config.Config
	url string
	nc  *nats.Conn
	kv  jetstream.KeyValue
}

func (s *kvSession) Close() { s.nc.Close() }

// openBucket connects to NATS as fire does and opens the webhook bucket,
// creating it (as run does) when create is set.
func (a *app) openBucket(ctx context.Context, create bool) (*kvSession, error) {
	cfg, err := a.config()
	if err != nil {
		return nil, err
	}
	name := cfg.Webhooks.Bucket
	if name == "" {
		return nil, errors.New("no webhook bucket is configured (webhooks.bucket, HOOKWORKER_WEBHOOKS_BUCKET)")
	}
	nc, url, err := connectNATS(cfg, "hookworker-webhook")
	if err != nil {
		return nil, err
	}
	var kv jetstream.KeyValue
	if create {
		c := cfg
		if js, err := jetstream.New(nc); err == nil {
			c, _ = streams.InheritReplicas(ctx, js, cfg)
		}
		kv, err = webhookBucket(ctx, nc, streams.NewTopology(c).Webhooks())
	} else {
		var js jetstream.JetStream
		if js, err = jetstream.New(nc); err == nil {
			kv, err = js.KeyValue(ctx, name)
			if errors.Is(err, jetstream.ErrBucketNotFound) {
				err = fmt.Errorf("webhook bucket %s not found at %s (nothing was put yet, and no worker has run): %w", name, url, err)
			}
		}
	}
	if err != nil {
		nc.Close()
		return nil, err
	}
	return &kvSession{cfg: cfg, url: url, nc: nc, kv: kv}, nil
}

func (a *app) webhookPutCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "put FILE",
		Short: "Store a definition file (YAML or JSON) in the bucket under its id",
		Long: `Check the definition in FILE (.yaml or .yml, or .json) as "hookworker
validate" does, resolve it through the marketplace (webhooks.templates_dir),
and store it as JSON under its id. The definition is stored as written, with
its uses and with, not resolved, so that an update of its template applies;
one that does not resolve is refused. Prints the id and the new revision.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error { return a.webhookPut(cmd.Context(), args[0]) },
	}
}

func (a *app) webhookPut(ctx context.Context, path string) error {
	cfg, err := a.config()
	if err != nil {
		return err
	}
	if !webhook.IsFile(path) {
		return fmt.Errorf("%s: want a .yaml, .yml or .json file", path)
	}
	// Every problem, with its line, as validate reports it.
	files := []check.File{{Path: path, Kind: check.KindDefinition}}
	if problems := check.Files(files, check.Options{TemplatesDir: cfg.Webhooks.TemplatesDir, Env: render.NewEnv(renderLimits(cfg.Render))}); len(problems) > 0 {
		for _, p := range problems {
			fmt.Fprintln(a.io.err, p.String())
		}
		return fmt.Errorf("%s: not stored: %d error%s", path, len(problems), plural(len(problems)))
	}
	data, err := readFile(path)
	if err != nil {
		return err
	}
	d, err := webhook.Decode(data, filepath.Ext(path))
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if d.ID == "" {
		return fmt.Errorf("%s: id: required", path)
	}
	// Check has resolved it already; this is the resolution the workers
	// will make, and the last word.
	market, err := marketplace.LoadDir(cfg.Webhooks.TemplatesDir)
	if err != nil {
		return fmt.Errorf("webhook templates: %w", err)
	}
	if _, err := registry.Resolve(d, market); err != nil {
		return fmt.Errorf("%s: not stored: %w", path, err)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(d); err != nil {
		return err
	}
	value := bytes.TrimSpace(buf.Bytes())
	s, err := a.openBucket(ctx, true)
	if err != nil {
		return err
	}
	defer s.Close()
	rev, err := s.kv.Put(ctx, d.ID, value)
	if errors.Is(err, jetstream.ErrInvalidKey) {
		return fmt.Errorf("%s: id %q cannot be a bucket key (use letters, digits, '-', '_', '=', '.' and '/'): %w", path, d.ID, err)
	}
	if err != nil {
		return fmt.Errorf("put %q in bucket %s: %w", d.ID, s.kv.Bucket(), err)
	}
	_, err = fmt.Fprintf(a.io.out, "%s revision %d\n", d.ID, rev)
	return err
}

func (a *app) webhookGetCmd() *cobra.Command {
	var revision uint64
	cmd := &cobra.Command{
		Use:   "get ID",
		Short: "Print a stored definition",
		Long: `Print the definition stored under ID (the latest revision, or --revision N)
as JSON on standard output, as it was put (uses and with unresolved), so the
output can be edited and put again. Its revision and update time go to
standard error.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.webhookGet(cmd.Context(), args[0], revision)
		},
	}
	cmd.Flags().Uint64Var(&revision, "revision", 0, "an earlier revision (0: the latest)")
	return cmd
}

func (a *app) webhookGet(ctx context.Context, id string, revision uint64) error {
	s, err := a.openBucket(ctx, false)
	if err != nil {
		return err
	}
	defer s.Close()
	var e jetstream.KeyValueEntry
	if revision > 0 {
		e, err = s.kv.GetRevision(ctx, id, revision)
	} else {
		e, err = s.kv.Get(ctx, id)
	}
	if errors.Is(err, jetstream.ErrKeyNotFound) || errors.Is(err, jetstream.ErrKeyDeleted) {
		if revision > 0 {
			return fmt.Errorf("webhook %q has no revision %d in bucket %s (deleted, out of its history, or another id's)", id, revision, s.kv.Bucket())
		}
		return fmt.Errorf("webhook %q is not in bucket %s", id, s.kv.Bucket())
	}
	if err != nil {
		return fmt.Errorf("get %q from bucket %s: %w", id, s.kv.Bucket(), err)
	}
	var v any
	if err := json.Unmarshal(e.Value(), &v); err != nil {
		// Not JSON: print it as it is.
		fmt.Fprintf(a.io.err, "%s revision %d, updated %s (not valid JSON)\n", id, e.Revision(), e.Created().UTC().Format(time.RFC3339))
		_, err := a.io.out.Write(append(e.Value(), '\n'))
		return err
	}
	fmt.Fprintf(a.io.err, "%s revision %d, updated %s\n", id, e.Revision(), e.Created().UTC().Format(time.RFC3339))
	return writeJSON(a.io.out, json.RawMessage(e.Value()))
}

// webhookEntry is one line of webhook list.
type webhookEntry struct {
	ID       string    `json:"id"`
	Revision uint64    `json:"revision"`
	Updated  time.Time `json:"updated"`
	Name     string    `json:"name,omitempty"`
	Uses     string    `json:"uses,omitempty"`
	Error    string    `json:"error,omitempty"`
}

func (a *app) webhookListCmd() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the definitions of the bucket",
		Long: `List the definitions of the bucket, by id: ID, REVISION, UPDATED and NAME
(the template it uses when it has no name). With --json, a JSON array.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return a.webhookList(cmd.Context(), asJSON) },
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print a JSON array")
	return cmd
}

func (a *app) webhookList(ctx context.Context, asJSON bool) error {
	s, err := a.openBucket(ctx, false)
	if err != nil {
		return err
	}
	defer s.Close()
	entries, err := latestEntries(ctx, s.kv)
	if err != nil {
		return err
	}
	list := make([]webhookEntry, 0, len(entries))
	for _, e := range entries {
		w := webhookEntry{ID: e.Key(), Revision: e.Revision(), Updated: e.Created().UTC()}
		if d, err := webhook.DecodeJSON(e.Value()); err != nil {
			w.Error = err.Error()
		} else {
			w.Name, w.Uses = d.Name, d.Uses
		}
		list = append(list, w)
	}
	sort.Slice(list, func(i, j int) bool { return list[i].ID < list[j].ID })
	if asJSON {
		return writeJSON(a.io.out, list)
	}
	tw := tabwriter.NewWriter(a.io.out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tREVISION\tUPDATED\tNAME")
	for _, w := range list {
		name := w.Name
		switch {
		case w.Error != "":
			name = "(invalid: " + truncate(oneLine(w.Error), maxErrorColumn) + ")"
		case name == "" && w.Uses != "":
			name = "(uses " + w.Uses + ")"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", w.ID, strconv.FormatUint(w.Revision, 10), w.Updated.Format(time.RFC3339), cell(name))
	}
	return tw.Flush()
}

// latestEntries reads the latest entry of every key, deleted ones left
// out.
func latestEntries(ctx context.Context, kv jetstream.KeyValue) ([]jetstream.KeyValueEntry, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	w, err := kv.WatchAll(ctx, jetstream.IgnoreDeletes())
	if err != nil {
		return nil, fmt.Errorf("list bucket %s: %w", kv.Bucket(), err)
	}
	defer func() { _ = w.Stop() }()
	var out []jetstream.KeyValueEntry
	for {
		select {
		case e, ok := <-w.Updates():
			if !ok {
				return nil, fmt.Errorf("list bucket %s: the watcher stopped", kv.Bucket())
			}
			if e == nil {
				return out, nil
			}
			out = append(out, e)
		case <-ctx.Done():
			return nil, fmt.Errorf("list bucket %s: %w", kv.Bucket(), ctx.Err())
		}
	}
}

func (a *app) webhookDeleteCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "delete ID",
		Short: "Delete a definition from the bucket",
		Long: `Delete the definition stored under ID (a KV delete: its earlier revisions
stay in the history, for pinned webhook_refs). A file definition of the
same id, if any, applies again.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error { return a.webhookDelete(cmd.Context(), args[0]) },
	}
}

func (a *app) webhookDelete(ctx context.Context, id string) error {
	s, err := a.openBucket(ctx, false)
	if err != nil {
		return err
	}
	defer s.Close()
	e, err := s.kv.Get(ctx, id)
	if errors.Is(err, jetstream.ErrKeyNotFound) || errors.Is(err, jetstream.ErrKeyDeleted) {
		return fmt.Errorf("webhook %q is not in bucket %s", id, s.kv.Bucket())
	}
	if err != nil {
		return fmt.Errorf("get %q from bucket %s: %w", id, s.kv.Bucket(), err)
	}
	// Only if it is still the revision read: a put in between wins.
	if err := s.kv.Delete(ctx, id, jetstream.LastRevision(e.Revision())); err != nil {
		return fmt.Errorf("delete %q from bucket %s: %w", id, s.kv.Bucket(), err)
	}
	_, err = fmt.Fprintf(a.io.out, "deleted %s (was revision %d)\n", id, e.Revision())
	return err
}
