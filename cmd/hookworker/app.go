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
	environ    []string
	getenv     func(string) string
	configPath string
	root       *cobra.Command
	warned     bool
}

// run runs the command line and returns the exit status. environ is the
// process environment (os.Environ): a variable set to "" is set.
func run(ctx context.Context, args []string, io stdio, environ []string) int {
	env := map[string]string{}
	for _, kv := range environ {
		if k, v, ok := strings.Cut(kv, "="); ok {
			env[k] = v
		}
	}
	a := &app{ctx: ctx, io: io, environ: environ, getenv: func(k string) string { return env[k] }}
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
	a.root = root
	pf := root.PersistentFlags()
	pf.StringVar(&a.configPath, "config", "", "config file (default "+defaultConfigPath+" when it exists)")
	pf.StringP("server", "s", "", "NATS server URL(s), comma separated (overrides nats.url, NATS_URL and HOOKWORKER_NATS_URL)")
	pf.String("nats-url", "", "the same as --server")
	pf.String("creds", "", "NATS credentials (.creds) file (overrides nats.creds_file, NATS_CREDS and HOOKWORKER_NATS_CREDS_FILE)")
	pf.String("context", "", "nats CLI context: a name under ~/.config/nats/context, or a file (overrides nats.context, NATS_CONTEXT)")
	root.AddCommand(a.runCmd(), a.fireCmd(), a.renderCmd(), a.demoTargetCmd(), a.dlqCmd(), a.replayCmd(), a.webhookCmd(), a.secretCmd(), a.validateCmd(), a.benchCmd(), a.versionCmd(), a.configCmd(), a.consoleCmd())
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
		strings.HasPrefix(err.Error(), "accepts "), strings.HasPrefix(err.Error(), "unknown flag"),
		strings.HasPrefix(err.Error(), "required flag"):
		return exitUsage // cobra's own command-line errors
	}
	return 1
}

// config loads and validates the configuration (see loadConfig).
func (a *app) config() (config.Config, error) {
	l, err := a.loadConfig()
	if err != nil {
		return config.Config{}, err
	}
	if err := l.Validate(); err != nil {
		return l.Config, fmt.Errorf("config: %w", err)
	}
	return l.Config, nil
}

// natsFlags are the persistent flags that set a configuration key.
var natsFlags = []struct{ flag, key string }{
	{"nats-url", "nats.url"}, {"server", "nats.url"}, {"creds", "nats.creds_file"}, {"context", "nats.context"},
}

// loadConfig reads the defaults, the config file, a nats CLI context, the
// NATS_* and HOOKWORKER_* environment and the flags, each over the one
// before; warnings (unknown HOOKWORKER_* variables) go to standard error
// once.
func (a *app) loadConfig() (*config.Loaded, error) {
	path := a.configPath
	if path == "" {
		if _, err := os.Stat(defaultConfigPath); err == nil {
			path = defaultConfigPath
		}
	}
	o := config.Options{Path: path, Environ: a.environ, Flags: map[string]string{}, Origins: map[string]string{}}
	for _, f := range natsFlags {
		if fl := a.root.PersistentFlags().Lookup(f.flag); fl != nil && fl.Changed {
			if prev, ok := o.Origins[f.key]; ok && o.Flags[f.key] != fl.Value.String() {
				return nil, usageError(fmt.Errorf("%s and --%s disagree", prev, f.flag))
			}
			o.Flags[f.key], o.Origins[f.key] = fl.Value.String(), "--"+f.flag
		}
	}
	l, err := config.Load(o)
	if !a.warned {
		a.warned = true
		for _, w := range l.Warnings {
			fmt.Fprintln(a.io.err, "hookworker: warning:", w)
		}
	}
	return l, err
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
