package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/hookworker/hookworker/trigger"
)

// Exit status of fire when the Result says failed.
const exitFailedResult = 3

func (a *app) fireCmd() *cobra.Command {
	var (
		timeout time.Duration
		noWait  bool
		newID   bool
		ordered bool
	)
	cmd := &cobra.Command{
		Use:   "fire EVENT.json",
		Short: "Publish one ConnectionFired event and print its Result",
		Long: `Publish the event in EVENT.json ("-" for standard input) to
connections.fired.<bot_id> with Nats-Msg-Id set to its id, wait for its
Result on a fresh inbox (the event's reply_to is replaced), and print the
Result as JSON. Exit status: 0 when the Result is succeeded or skipped,
3 when it is failed, 1 on any error (including no Result within --timeout).
With --no-wait, publish the event as it is and print the publish ack.
With --ordered (or an inline webhook marked "ordered: true"), publish to
connections.ordered.<bot_id>.<conversation_id> instead, where the events
of one conversation run one after another in firing order.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.fire(cmd.Context(), args[0], timeout, noWait, newID, ordered)
		},
	}
	cmd.Flags().DurationVar(&timeout, "timeout", 30*time.Second, "how long to wait for the Result")
	cmd.Flags().BoolVar(&noWait, "no-wait", false, "publish only; do not wait for the Result")
	cmd.Flags().BoolVar(&ordered, "ordered", false, "publish to the ordered subject of the event's conversation (per-conversation order)")
	cmd.Flags().BoolVar(&newID, "new-id", false, "append a unique suffix to the event id, to fire the same file again within the dedup window")
	return cmd
}

func (a *app) fire(ctx context.Context, path string, timeout time.Duration, noWait, newID, ordered bool) error {
	data, err := a.readInput(path)
	if err != nil {
		return err
	}
	ev, err := trigger.Decode(data)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if newID {
		ev.ID = fmt.Sprintf("%s-%d", ev.ID, time.Now().UnixNano())
		if len(ev.ID) > trigger.MaxIDLen {
			ev.ID = ev.ID[len(ev.ID)-trigger.MaxIDLen:]
		}
	}
	cfg, err := a.config()
	if err != nil {
		return err
	}
	nc, _, err := connectNATS(cfg, "hookworker-fire")
	if err != nil {
		return err
	}
	defer nc.Close()
	opts := []trigger.Option{trigger.WithFiredPrefix(cfg.Names.FiredPrefix), trigger.WithOrderedPrefix(cfg.Names.OrderedPrefix)}
	if ordered {
		opts = append(opts, trigger.WithOrderedBots(ev.BotID))
	}
	client, err := trigger.NewClient(nc, opts...)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	enc := json.NewEncoder(a.io.out)
	enc.SetIndent("", "  ")
	if noWait {
		ack, err := client.Publish(ctx, ev)
		if err != nil {
			return err
		}
		return enc.Encode(ack)
	}
	res, err := client.Fire(ctx, ev)
	if err != nil {
		if errors.Is(err, trigger.ErrDuplicate) {
			return fmt.Errorf("event id %q was already published within the stream's dedup window; use --new-id to fire it again: %w", ev.ID, err)
		}
		if errors.Is(err, context.DeadlineExceeded) {
			return fmt.Errorf("no Result for event %q within %s (is a worker running?): %w", ev.ID, timeout, err)
		}
		return err
	}
	if err := enc.Encode(res); err != nil {
		return err
	}
	if res.Status == trigger.StatusFailed {
		return &exitError{code: exitFailedResult, err: fmt.Errorf("event %q failed: %s: %s", ev.ID, res.Error.Class, res.Error.Message)}
	}
	return nil
}

// readInput reads a file, or standard input for "-".
func (a *app) readInput(path string) ([]byte, error) {
	if path == "-" {
		return io.ReadAll(io.LimitReader(a.io.in, trigger.MaxEventSize+1))
	}
	return readFileLimited(path, trigger.MaxEventSize)
}

// readFileLimited reads at most limit bytes of a file.
func readFileLimited(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("%s: over %d bytes", path, limit)
	}
	return data, nil
}
