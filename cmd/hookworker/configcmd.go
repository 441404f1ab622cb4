package main

import (
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"go.yaml.in/yaml/v3"

	"github.com/hookworker/hookworker/internal/config"
)

func (a *app) configCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "config",
		Short: "Show the effective configuration",
	}
	cmd.AddCommand(&cobra.Command{
		Use:   "print",
		Short: "Print every setting, its value and where it came from, secrets masked",
		Long: `Print the configuration the other commands would use, one setting a line
(key: value, YAML), each with its source: default, file (the config file),
context (a nats CLI context), env (the variable: NATS_* or HOOKWORKER_*) or
flag. Passwords and tokens are shown as **** when set. The configuration is
validated: an invalid one is printed, then reported, exit status 1.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			l, err := a.loadConfig()
			if err != nil {
				return err
			}
			tw := tabwriter.NewWriter(a.io.out, 0, 0, 2, ' ', 0)
			for _, s := range l.Settings() {
				fmt.Fprintf(tw, "%s: %s\t# %s\n", s.Key, displayValue(s), describeSource(s))
			}
			if err := tw.Flush(); err != nil {
				return err
			}
			if err := l.Validate(); err != nil {
				return fmt.Errorf("config: %w", err)
			}
			return nil
		},
	})
	return cmd
}

// displayValue writes a setting's value as YAML, a secret masked.
func displayValue(s config.Setting) string {
	switch v := s.Value.(type) {
	case string:
		if s.Secret && v != "" {
			return "'****'"
		}
	case time.Duration:
		return v.String()
	case []time.Duration:
		parts := make([]string, len(v))
		for i, d := range v {
			parts[i] = d.String()
		}
		return "[" + strings.Join(parts, ", ") + "]"
	}
	out, err := yaml.Marshal(s.Value)
	if err != nil {
		return fmt.Sprint(s.Value)
	}
	text := strings.TrimSpace(string(out))
	if l, ok := s.Value.([]string); ok {
		quoted := make([]string, len(l))
		for i, e := range l {
			b, _ := yaml.Marshal(e)
			quoted[i] = strings.TrimSpace(string(b))
		}
		text = "[" + strings.Join(quoted, ", ") + "]"
	}
	return text
}

func describeSource(s config.Setting) string {
	switch s.Source {
	case config.SourceDefault:
		if s.Env != "" {
			return "default (" + s.Env + ")"
		}
		return "default"
	case config.SourceFile:
		return "file " + s.Origin
	case config.SourceContext:
		return s.Origin
	case config.SourceFlag:
		return "flag " + s.Origin
	}
	return "env " + s.Origin
}
