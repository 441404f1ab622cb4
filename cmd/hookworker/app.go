package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/hookworker/hookworker/internal/config"
)

// stdio is where a command reads and writes.
type stdio struct {
	in       io.Reader
	out, err io.Writer
}

// exitError carries an exit status other than 1.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }

// defaultConfigPath is read when --config is not given and it exists.
const defaultConfigPath = "configs/hookworker.yaml"

// app holds what every subcommand shares.
type app struct {
	ctx        context.Context
	io         stdio
	getenv     func(string) string
	configPath string
	natsURL    string
}

// run runs the command line and returns the exit status.
func run(ctx context.Context, args []string, io stdio, getenv func(string) string) int {
	a := &app{ctx: ctx, io: io, getenv: getenv}
	root := &cobra.Command{
		Use:           "hookworker",
		Short:         "Run chatbot webhooks from NATS JetStream events",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetIn(io.in)
	root.SetOut(io.out)
	root.SetErr(io.err)
	root.SetArgs(args)
	root.PersistentFlags().StringVar(&a.configPath, "config", "", "config file (default "+defaultConfigPath+" when it exists)")
	root.PersistentFlags().StringVar(&a.natsURL, "nats-url", "", "NATS server URL (overrides nats.url and HOOKWORKER_NATS_URL)")
	root.AddCommand(a.runCmd(), a.fireCmd(), a.renderCmd(), a.demoTargetCmd(), a.dlqCmd(), a.replayCmd(), a.webhookCmd(), a.validateCmd(), a.benchCmd(), a.versionCmd())
	root.Version = versionLine()
	root.SetVersionTemplate("{{.Version}}\n")
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return usageError(fmt.Errorf("%w; see %s --help", err, c.CommandPath()))
	})
	strictGroups(root)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return 0
	}
	fmt.Fprintln(io.err, "hookworker:", err)
	var ee *exitError
	switch {
	case errors.As(err, &ee):
		return ee.code
	case strings.HasPrefix(err.Error(), "unknown command "), strings.Contains(err.Error(), " arg(s), received "),
		strings.HasPrefix(err.Error(), "accepts "), strings.HasPrefix(err.Error(), "unknown flag"):
		return exitUsage // cobra's own command-line errors
	}
	return 1
}

// config loads the configuration: file, environment, then flags.
func (a *app) config() (config.Config, error) {
	path := a.configPath
	if path == "" {
		if _, err := os.Stat(defaultConfigPath); err == nil {
			path = defaultConfigPath
		}
	}
	cfg, err := config.Load(path, a.getenv)
	if err != nil {
		return cfg, err
	}
	if a.natsURL != "" {
		cfg.NATS.URL = a.natsURL
	}
	if err := cfg.Validate(); err != nil {
		return cfg, fmt.Errorf("config: %w", err)
	}
	return cfg, nil
}

// logger builds the zap logger the config asks for, writing to w.
func newLogger(c config.Log, w io.Writer) (*zap.Logger, error) {
	level, err := zapcore.ParseLevel(strings.ToLower(c.Level))
	if err != nil {
		return nil, fmt.Errorf("log.level: %w", err)
	}
	var enc zapcore.Encoder
	if c.Format == "json" {
		enc = zapcore.NewJSONEncoder(zap.NewProductionEncoderConfig())
	} else {
		ec := zap.NewDevelopmentEncoderConfig()
		ec.EncodeTime = zapcore.ISO8601TimeEncoder
		enc = zapcore.NewConsoleEncoder(ec)
	}
	core := zapcore.NewCore(enc, zapcore.Lock(zapcore.AddSync(w)), level)
	return zap.New(core), nil
}
