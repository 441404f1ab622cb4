package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/spf13/cobra"

	"github.com/hookworker/hookworker/internal/config"
	"github.com/hookworker/hookworker/internal/secret"
	"github.com/hookworker/hookworker/internal/streams"
)

func (a *app) secretCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "secret",
		Short: "Manage bot secrets in the sealed NATS KV bucket",
		Long: `Manage the secrets of one bot in the KV bucket secrets.bucket (default
hookworker-secrets). In an event of bot B, {{ secrets.NAME }} is B's own
secret NAME; no other bot's event can use it.

Values are sealed for the workers' public key (secrets.public_key, or the one
a worker published in the bucket) before they leave this process: writing a
secret needs no power to read one, and nothing here can show a value. A value
is read from standard input only, never from the command line (which shells
keep in their history and every process can see).`,
	}
	cmd.AddCommand(a.secretPutCmd(), a.secretListCmd(), a.secretDeleteCmd(), a.secretKeygenCmd())
	return cmd
}

func (a *app) secretPutCmd() *cobra.Command {
	var bot string
	cmd := &cobra.Command{
		Use:   "put --bot BOT NAME < value",
		Short: "Seal the value on standard input as the bot's secret NAME",
		Long: `Read the value from standard input (one trailing newline dropped, at most
64 KiB), seal it for the workers' key and store it as the bot's secret NAME.
Every worker has it within moments; events of other bots cannot use it.`,
		Example: `  printf %s "$ZENDESK_TOKEN" | hookworker secret put --bot acme-support ZENDESK_API_TOKEN`,
		Args:    cobra.ExactArgs(1),
		RunE:    func(cmd *cobra.Command, args []string) error { return a.secretPut(cmd.Context(), bot, args[0]) },
	}
	botFlag(cmd, &bot)
	return cmd
}

func (a *app) secretListCmd() *cobra.Command {
	var bot string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "list --bot BOT",
		Short: "List the bot's secret names and when each was written (never values)",
		Args:  cobra.NoArgs,
		RunE:  func(cmd *cobra.Command, _ []string) error { return a.secretList(cmd.Context(), bot, asJSON) },
	}
	botFlag(cmd, &bot)
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON: [{name, updated, revision}]")
	return cmd
}

func (a *app) secretDeleteCmd() *cobra.Command {
	var bot string
	cmd := &cobra.Command{
		Use:   "delete --bot BOT NAME",
		Short: "Delete the bot's secret NAME",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.withSecrets(cmd.Context(), false, func(s *secretSession) error {
				if err := s.store.Delete(cmd.Context(), bot, args[0]); err != nil {
					return err
				}
				fmt.Fprintf(a.io.out, "deleted secret %s of bot %s\n", args[0], bot)
				return nil
			})
		},
	}
	botFlag(cmd, &bot)
	return cmd
}

func (a *app) secretKeygenCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "keygen > secrets.nk",
		Short: "Make a sealing key: the seed (for the workers) on standard output",
		Long: `Print a new curve key seed (SX...) on standard output, for the workers'
secrets.key_file (mode 0600), and its public key (X...) on standard error,
for writers' secrets.public_key. To rotate, put the new seed first in the
key file and keep the old one after it until every value is sealed again.`,
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			seed, pub, err := secret.NewKey()
			if err != nil {
				return err
			}
			fmt.Fprintf(a.io.out, "%s\n", seed)
			fmt.Fprintf(a.io.err, "public key: %s\n", pub)
			return nil
		},
	}
}

func botFlag(cmd *cobra.Command, bot *string) {
	cmd.Flags().StringVar(bot, "bot", "", "the bot (bot_id) the secret belongs to (required)")
	_ = cmd.MarkFlagRequired("bot")
}

// secretSession is a connection to the secrets bucket.
type secretSession struct {
	cfg   config.Config
	nc    *nats.Conn
	store *secret.Store
}

// withSecrets connects as the other commands do, opens the secrets
// bucket (creating it, as run does, when create is set) and runs fn.
func (a *app) withSecrets(ctx context.Context, create bool, fn func(*secretSession) error) error {
	cfg, err := a.config()
	if err != nil {
		return err
	}
	if cfg.Secrets.Bucket == "" {
		return errors.New("no secrets bucket is configured (secrets.bucket, HOOKWORKER_SECRETS_BUCKET)")
	}
	nc, url, err := connectNATS(cfg, "hookworker-secret")
	if err != nil {
		return err
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		return err
	}
	var kv jetstream.KeyValue
	if create {
		c, _ := streams.InheritReplicas(ctx, js, cfg)
		kv, err = streams.EnsureKeyValue(ctx, js, streams.NewTopology(c).Secrets())
	} else if kv, err = js.KeyValue(ctx, cfg.Secrets.Bucket); errors.Is(err, jetstream.ErrBucketNotFound) {
		err = fmt.Errorf("secrets bucket %s not found at %s (nothing was put yet, and no worker has run): %w", cfg.Secrets.Bucket, url, err)
	}
	if err != nil {
		return err
	}
	return fn(&secretSession{cfg: cfg, nc: nc, store: secret.NewStore(kv)})
}

// readSecretValue reads a value from r: at most MaxValueLen bytes, one
// trailing newline (LF or CRLF) dropped.
func readSecretValue(r io.Reader) (string, error) {
	b, err := io.ReadAll(io.LimitReader(r, secret.MaxValueLen+3))
	if err != nil {
		return "", fmt.Errorf("read the value from standard input: %w", err)
	}
	b = bytes.TrimSuffix(b, []byte("\n"))
	b = bytes.TrimSuffix(b, []byte("\r"))
	switch {
	case len(b) == 0:
		return "", errors.New("no value on standard input (pipe it in: printf %s \"$VALUE\" | hookworker secret put ...)")
	case len(b) > secret.MaxValueLen:
		return "", fmt.Errorf("the value is over the %d-byte limit", secret.MaxValueLen)
	}
	return string(b), nil
}

func (a *app) secretPut(ctx context.Context, bot, name string) error {
	if err := secret.CheckName(name); err != nil {
		return usageError(err)
	}
	value, err := readSecretValue(a.io.in)
	if err != nil {
		return err
	}
	return a.withSecrets(ctx, true, func(s *secretSession) error {
		sealer, err := s.store.Sealer(ctx, s.cfg.Secrets.PublicKey)
		if err != nil {
			return err
		}
		rev, err := s.store.Put(ctx, sealer, bot, name, value)
		if err != nil {
			return err
		}
		fmt.Fprintf(a.io.out, "stored secret %s of bot %s (revision %d, sealed for %s)\n", name, bot, rev, sealer.Recipient())
		return nil
	})
}

func (a *app) secretList(ctx context.Context, bot string, asJSON bool) error {
	return a.withSecrets(ctx, false, func(s *secretSession) error {
		list, err := s.store.List(ctx, bot)
		if err != nil {
			return err
		}
		if asJSON {
			if list == nil {
				list = []secret.Entry{}
			}
			enc := json.NewEncoder(a.io.out)
			enc.SetIndent("", "  ")
			return enc.Encode(list)
		}
		if len(list) == 0 {
			fmt.Fprintf(a.io.out, "bot %s has no secrets\n", bot)
			return nil
		}
		tw := tabwriter.NewWriter(a.io.out, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "NAME\tUPDATED")
		for _, e := range list {
			fmt.Fprintf(tw, "%s\t%s\n", e.Name, e.Updated.Format(time.RFC3339))
		}
		return tw.Flush()
	})
}
