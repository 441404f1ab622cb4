package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
	"unicode/utf8"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/hookworker/hookworker/internal/config"
	"github.com/hookworker/hookworker/internal/deadletter"
	"github.com/hookworker/hookworker/trigger"
)

// maxErrorColumn is how many characters of a letter's error the table shows.
const maxErrorColumn = 60

// knownClasses are the error classes of the contract, for --class.
var knownClasses = trigger.Classes

// filterFlags are the dead-letter selection flags of dlq and replay.
type filterFlags struct {
	since, until, bot, webhook, class, id, conversation string
}

func (f *filterFlags) register(fs *pflag.FlagSet) {
	fs.StringVar(&f.since, "since", "", "letters that failed at or after this time: RFC 3339, or a duration ago (2h, 30m, 7d)")
	fs.StringVar(&f.until, "until", "", "letters that failed before this time: RFC 3339, or a duration ago")
	fs.StringVar(&f.bot, "bot", "", "letters of this bot id")
	fs.StringVar(&f.webhook, "webhook", "", "letters of this webhook id")
	fs.StringVar(&f.class, "class", "", "letters whose final error has this class (timeout, http_status, network, …)")
	fs.StringVar(&f.id, "id", "", "the letter(s) of this event id")
	fs.StringVar(&f.conversation, "conversation", "", "letters of this conversation id")
}

// empty reports whether no filter flag was given.
func (f *filterFlags) empty() bool {
	return *f == filterFlags{}
}

// filter builds the store filter; durations count back from now.
func (f *filterFlags) filter(now time.Time) (deadletter.Filter, error) {
	out := deadletter.Filter{BotID: f.bot, WebhookID: f.webhook, Class: trigger.Class(f.class), EventID: f.id, ConversationID: f.conversation}
	var err error
	if out.Since, err = deadletter.ParseWhen(f.since, now); err != nil {
		return out, fmt.Errorf("--since: %w", err)
	}
	if out.Until, err = deadletter.ParseWhen(f.until, now); err != nil {
		return out, fmt.Errorf("--until: %w", err)
	}
	if !out.Since.IsZero() && !out.Until.IsZero() && !out.Until.After(out.Since) {
		return out, fmt.Errorf("--until (%s) is not after --since (%s)", out.Until.Format(time.RFC3339), out.Since.Format(time.RFC3339))
	}
	if out.Class != "" && !slices.Contains(knownClasses, out.Class) {
		names := make([]string, len(knownClasses))
		for i, c := range knownClasses {
			names[i] = string(c)
		}
		return out, fmt.Errorf("--class: %q is not an error class (%s)", f.class, strings.Join(names, ", "))
	}
	return out, nil
}

// dlqSession is a connection to the dead-letter store.
type dlqSession struct {
	cfg   config.Config
	url   string
	nc    *nats.Conn
	js    jetstream.JetStream
	store *deadletter.Store
}

func (s *dlqSession) Close() { s.nc.Close() }

// openDLQ connects to NATS as fire does and opens the dead-letter store.
func (a *app) openDLQ(name string) (*dlqSession, error) {
	cfg, err := a.config()
	if err != nil {
		return nil, err
	}
	nc, url, err := connectNATS(cfg, name)
	if err != nil {
		return nil, err
	}
	js, err := jetstream.New(nc)
	if err != nil {
		nc.Close()
		return nil, err
	}
	return &dlqSession{
		cfg: cfg, url: url, nc: nc, js: js,
		store: deadletter.NewStore(js, cfg),
	}, nil
}

// list lists the letters that match f, explaining a missing stream.
func (s *dlqSession) list(ctx context.Context, f deadletter.Filter) ([]*deadletter.Letter, error) {
	letters, err := s.store.List(ctx, f)
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		return nil, fmt.Errorf("dead-letter stream %s not found at %s (no worker has run against this server yet, or names.dlq_stream differs): %w",
			s.cfg.Names.DLQStream, s.url, err)
	}
	return letters, err
}

func (a *app) dlqCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "dlq",
		Short: "Inspect and purge dead letters",
		Long: `Dead letters are the events that failed for good: one record per event in the
dead-letter stream (names.dlq_stream, default CONNECTIONS_DLQ) holding the
original event, every attempt and the rendered request, secrets redacted.

Every subcommand selects letters with --since, --until (RFC 3339, or a
duration ago such as 2h or 7d; --until is exclusive), --bot, --webhook,
--class and --id. Use "hookworker replay" to re-publish them.`,
	}
	cmd.AddCommand(a.dlqListCmd(), a.dlqShowCmd(), a.dlqPurgeCmd())
	return cmd
}

func (a *app) dlqListCmd() *cobra.Command {
	var (
		ff     filterFlags
		asJSON bool
		limit  int
	)
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List dead letters, oldest first",
		Long: `List the dead letters the filters select, oldest first, then a count
summary: how many match, by class and by bot. --limit shows the newest N of
them (the summary still counts all). --json prints a JSON array of the
letters shown (each with its seq).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			f, err := ff.filter(time.Now())
			if err != nil {
				return err
			}
			s, err := a.openDLQ("hookworker-dlq")
			if err != nil {
				return err
			}
			defer s.Close()
			if limit < 0 {
				return usageError(fmt.Errorf("--limit %d: want a number of letters, 0 for all", limit))
			}
			letters, err := s.list(cmd.Context(), f)
			if err != nil {
				return err
			}
			shown := letters
			if limit > 0 && len(shown) > limit {
				shown = shown[len(shown)-limit:]
			}
			if asJSON {
				return writeLettersJSON(a.io.out, shown)
			}
			if len(letters) == 0 {
				_, err := fmt.Fprintln(a.io.out, "no dead letters match")
				return err
			}
			if err := writeLetterTable(a.io.out, shown); err != nil {
				return err
			}
			_, err = fmt.Fprintln(a.io.out, letterSummary(letters, len(shown)))
			return err
		},
	}
	ff.register(cmd.Flags())
	cmd.Flags().BoolVar(&asJSON, "json", false, "print a JSON array of the letters (each with its seq)")
	cmd.Flags().IntVar(&limit, "limit", 0, "show the newest N matching letters (0: all)")
	return cmd
}

// letterSummary counts letters by class and bot: "3 dead letters (showing
// the newest 2): http_status 1, network 2; bots: demo-bot 3".
func letterSummary(letters []*deadletter.Letter, shown int) string {
	byClass, byBot := map[string]int{}, map[string]int{}
	for _, l := range letters {
		byClass[string(l.Error.Class)]++
		byBot[cell(l.BotID)]++
	}
	counts := func(m map[string]int) string {
		keys := slices.Sorted(maps.Keys(m))
		parts := make([]string, len(keys))
		for i, k := range keys {
			parts[i] = fmt.Sprintf("%s %d", k, m[k])
		}
		return strings.Join(parts, ", ")
	}
	s := fmt.Sprintf("%d dead letter%s", len(letters), plural(len(letters)))
	if shown < len(letters) {
		s += fmt.Sprintf(" (showing the newest %d)", shown)
	}
	return s + ": " + counts(byClass) + "; bots: " + counts(byBot)
}

func (a *app) dlqShowCmd() *cobra.Command {
	var ff filterFlags
	cmd := &cobra.Command{
		Use:   "show SEQ | --id ID",
		Short: "Print one dead letter in full: event, attempts, request",
		Long: `Print the dead letter at stream sequence SEQ (the SEQ column of "dlq list"),
or the one selected by the filters (usually --id), as indented JSON. When the
filters select several letters the latest is printed and the others named
on standard error.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if (len(args) == 1) == !ff.empty() {
				return errors.New("give either a SEQ or filters such as --id")
			}
			var f deadletter.Filter
			var seq uint64
			if len(args) == 1 {
				var err error
				if seq, err = strconv.ParseUint(args[0], 10, 64); err != nil || seq == 0 {
					return fmt.Errorf("SEQ %q is not a positive number", args[0])
				}
			} else {
				var err error
				if f, err = ff.filter(time.Now()); err != nil {
					return err
				}
			}
			s, err := a.openDLQ("hookworker-dlq")
			if err != nil {
				return err
			}
			defer s.Close()
			var l *deadletter.Letter
			if seq != 0 {
				if l, err = s.store.Get(cmd.Context(), seq); err != nil {
					if errors.Is(err, jetstream.ErrMsgNotFound) {
						return fmt.Errorf("no dead letter at seq %d", seq)
					}
					return err
				}
			} else {
				letters, err := s.list(cmd.Context(), f)
				if err != nil {
					return err
				}
				if len(letters) == 0 {
					return errors.New("no dead letters match")
				}
				l = letters[len(letters)-1]
				if len(letters) > 1 {
					seqs := make([]string, len(letters)-1)
					for i, o := range letters[:len(letters)-1] {
						seqs[i] = strconv.FormatUint(o.Seq, 10)
					}
					fmt.Fprintf(a.io.err, "%d letters match; showing the latest (seq %d), others: %s\n", len(letters), l.Seq, strings.Join(seqs, ", "))
				}
			}
			return writeJSON(a.io.out, letterJSON{Seq: l.Seq, Letter: l})
		},
	}
	ff.register(cmd.Flags())
	return cmd
}

func (a *app) dlqPurgeCmd() *cobra.Command {
	var (
		ff          filterFlags
		all, yes    bool
		dryRun      bool
		purgeAsJSON bool
	)
	cmd := &cobra.Command{
		Use:   "purge",
		Short: "Delete dead letters",
		Long: `Delete the dead letters the filters select, or every one with --all. Nothing
is asked: --yes is required, unless --dry-run, which lists what would be
deleted and changes nothing.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			switch {
			case ff.empty() && !all:
				return errors.New("purge needs filters (--since, --until, --bot, --webhook, --class, --id) or --all")
			case !ff.empty() && all:
				return errors.New("--all cannot be combined with filters")
			case !yes && !dryRun:
				return errors.New("purge deletes dead letters for good: add --yes to confirm, or --dry-run to see which")
			}
			f, err := ff.filter(time.Now())
			if err != nil {
				return err
			}
			s, err := a.openDLQ("hookworker-dlq")
			if err != nil {
				return err
			}
			defer s.Close()
			if all && !dryRun {
				return a.purgeAll(cmd.Context(), s)
			}
			return a.purge(cmd.Context(), s, f, dryRun, purgeAsJSON)
		},
	}
	ff.register(cmd.Flags())
	cmd.Flags().BoolVar(&all, "all", false, "delete every dead letter")
	cmd.Flags().BoolVar(&yes, "yes", false, "confirm the deletion")
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "list what would be deleted; delete nothing")
	cmd.Flags().BoolVar(&purgeAsJSON, "json", false, "with --dry-run, list the letters as JSON")
	return cmd
}

func (a *app) purge(ctx context.Context, s *dlqSession, f deadletter.Filter, dryRun, asJSON bool) error {
	letters, err := s.list(ctx, f)
	if err != nil {
		return err
	}
	if dryRun {
		if asJSON {
			return writeLettersJSON(a.io.out, letters)
		}
		if len(letters) > 0 {
			if err := writeLetterTable(a.io.out, letters); err != nil {
				return err
			}
		}
		_, err := fmt.Fprintf(a.io.out, "would delete %d dead letter%s\n", len(letters), plural(len(letters)))
		return err
	}
	deleted, failed := 0, 0
	for _, l := range letters {
		if err := ctx.Err(); err != nil {
			fmt.Fprintf(a.io.out, "deleted %d dead letter%s before being interrupted\n", deleted, plural(deleted))
			return err
		}
		if err := s.store.Delete(ctx, l.Seq); err != nil {
			if errors.Is(err, jetstream.ErrMsgNotFound) {
				continue // gone meanwhile (replayed or purged by someone else)
			}
			failed++
			fmt.Fprintf(a.io.err, "seq %d (event %s): %v\n", l.Seq, l.EventID, err)
			continue
		}
		deleted++
	}
	fmt.Fprintf(a.io.out, "deleted %d dead letter%s\n", deleted, plural(deleted))
	if failed > 0 {
		return fmt.Errorf("%d dead letter%s could not be deleted", failed, plural(failed))
	}
	return nil
}

// purgeAll purges the dead-letter stream up to its last letter, without
// reading the letters (so even undecodable ones go); letters stored
// meanwhile stay.
func (a *app) purgeAll(ctx context.Context, s *dlqSession) error {
	name := s.cfg.Names.DLQStream
	st, err := s.js.Stream(ctx, name)
	if err != nil {
		if errors.Is(err, jetstream.ErrStreamNotFound) {
			return fmt.Errorf("dead-letter stream %s not found at %s: %w", name, s.url, err)
		}
		return err
	}
	info, err := st.Info(ctx)
	if err != nil {
		return err
	}
	if info.State.Msgs > 0 {
		if err := st.Purge(ctx, jetstream.WithPurgeSequence(info.State.LastSeq+1)); err != nil {
			return fmt.Errorf("purge %s: %w", name, err)
		}
	}
	n := int(info.State.Msgs)
	_, err = fmt.Fprintf(a.io.out, "deleted %d dead letter%s\n", n, plural(n))
	return err
}

// letterJSON is a letter as the CLI prints it: with its seq.
type letterJSON struct {
	Seq uint64 `json:"seq"`
	*deadletter.Letter
}

func writeLettersJSON(w io.Writer, letters []*deadletter.Letter) error {
	out := make([]letterJSON, len(letters))
	for i, l := range letters {
		out[i] = letterJSON{Seq: l.Seq, Letter: l}
	}
	return writeJSON(w, out)
}

// writeJSON writes v as indented JSON, leaving <, > and & as they are.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

func writeLetterTable(w io.Writer, letters []*deadletter.Letter) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "SEQ\tFAILED AT\tBOT\tWEBHOOK\tEVENT ID\tCLASS\tATTEMPTS\tERROR")
	for _, l := range letters {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%d\t%s\n",
			l.Seq, l.FailedAt.UTC().Format(time.RFC3339), cell(l.BotID), cell(l.WebhookID), cell(l.EventID),
			cell(string(l.Error.Class)), len(l.Attempts), truncate(oneLine(l.Error.Message), maxErrorColumn))
	}
	return tw.Flush()
}

// cell keeps a table cell on one line and shows "-" for empty.
func cell(s string) string {
	if s == "" {
		return "-"
	}
	return oneLine(s)
}

func oneLine(s string) string {
	return strings.Join(strings.FieldsFunc(s, func(r rune) bool { return r == '\n' || r == '\r' || r == '\t' }), " ")
}

// truncate cuts s to at most n characters, ending in "…" when cut.
func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}
