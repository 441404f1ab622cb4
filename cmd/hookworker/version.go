package main

import (
	"fmt"
	"runtime/debug"
	"strings"

	"github.com/spf13/cobra"

	"github.com/hookworker/hookworker/internal/metrics"
)

// version is the release, set at build time with
// -ldflags "-X main.version=v1.2.3"; empty: the module version Go recorded
// (a tag for `go install ...@v1.2.3`, "(devel)" for a build from a checkout).
var version string

// buildInfo is what this binary knows of its build.
func buildInfo() metrics.BuildInfo {
	b := metrics.BuildInfo{Version: version, Revision: "unknown", GoVersion: "unknown"}
	if info, ok := debug.ReadBuildInfo(); ok {
		b.GoVersion = info.GoVersion
		if b.Version == "" {
			b.Version = info.Main.Version
		}
		for _, s := range info.Settings {
			switch s.Key {
			case "vcs.revision":
				b.Revision = s.Value
			case "vcs.modified":
				if s.Value == "true" {
					b.Revision += "-dirty"
				}
			}
		}
	}
	if b.Version == "" {
		b.Version = "(devel)"
	}
	return b
}

// versionLine is what `hookworker version` and `--version` print.
func versionLine() string {
	b := buildInfo()
	return fmt.Sprintf("hookworker %s (revision %s, %s)", b.Version, b.Revision, b.GoVersion)
}

func (a *app) versionCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version, the source revision and the Go version of this binary",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, err := fmt.Fprintln(a.io.out, versionLine())
			return err
		},
	}
}

// exitUsage is the exit status of a command line that cannot be run: an
// unknown command or flag, a missing subcommand, wrong arguments.
const exitUsage = 2

// usageError marks an error in the command line itself.
func usageError(err error) error { return &exitError{code: exitUsage, err: err} }

// strictGroups makes every command that only groups subcommands (dlq,
// webhook, config) refuse what is not one of them, with a suggestion,
// instead of printing help and exiting 0.
func strictGroups(c *cobra.Command) {
	for _, sub := range c.Commands() {
		strictGroups(sub)
	}
	if !c.HasSubCommands() || c.Runnable() || !c.HasParent() {
		return
	}
	c.Args = cobra.ArbitraryArgs
	c.SuggestionsMinimumDistance = 2
	c.RunE = func(cmd *cobra.Command, args []string) error {
		if len(args) == 0 {
			cmd.SetOut(cmd.ErrOrStderr())
			_ = cmd.Help()
			return usageError(fmt.Errorf("%s needs a subcommand", cmd.CommandPath()))
		}
		msg := fmt.Sprintf("unknown command %q for %q", args[0], cmd.CommandPath())
		if s := cmd.SuggestionsFor(args[0]); len(s) > 0 {
			msg += " (did you mean " + strings.Join(s, " or ") + "?)"
		}
		return usageError(fmt.Errorf("%s; see %s --help", msg, cmd.CommandPath()))
	}
}
