package main

import (
	"errors"
	"fmt"
	"os"

	"github.com/hookworker/hookworker/internal/check"
	"github.com/hookworker/hookworker/render"
	"github.com/spf13/cobra"
)

func (a *app) validateCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "validate [PATH...]",
		Short: "Check webhook definition and Webhook Template files, reporting every error",
		Long: `Check webhook definition files and Webhook Template files without running
anything, and print each error as "file:line: message" (the line of the
YAML node at fault; JSON files as well). With no PATH, check the config's
webhooks.dir and webhooks.templates_dir (a missing one is skipped).

Which files:
  - a PATH that is a file is checked as it is;
  - a directory with a "webhooks" or "templates" subdirectory (a configs
    directory) stands for those subdirectories, nothing else in it;
  - any other directory stands for its *.yaml, *.yml and *.json files (not
    its subdirectories), as "run" reads it.

Definition or template:
  - files in webhooks.dir, or in a directory named "webhooks", are webhook
    definitions;
  - files in webhooks.templates_dir, or in a directory named "templates",
    are Webhook Templates (read from *.yaml and *.yml only);
  - any other file is a template when its top level has a "webhook:" or
    "params:" key, else a definition.

Checks: YAML (or JSON) syntax; the strict schema (unknown fields are
errors); the definition rules (method, url required, header names, auth,
retry, success, cvars, ...) and the template rules (params declared once,
required ones without default, ...); that every template parses (url,
query.*, headers.*, body, auth.*, signing.secrets[i], string parameters)
and every cvars[i].mapper compiles; that "uses" names a known template and
"with" gives its required parameters and no others; that an id is defined
once across all files (definitions and templates apart). "uses" resolves
against the templates checked, or, when none are, the config's
webhooks.templates_dir.

Exit status 1 on any error; 0, printing "N files OK", otherwise. "run"
refuses to start on the same errors.`,
		RunE: func(cmd *cobra.Command, args []string) error { return a.validate(args) },
	}
}

func (a *app) validate(paths []string) error {
	cfg, err := a.config()
	if err != nil {
		return err
	}
	if len(paths) == 0 {
		for _, dir := range []string{cfg.Webhooks.Dir, cfg.Webhooks.TemplatesDir} {
			if dir == "" {
				continue
			}
			if _, err := os.Stat(dir); errors.Is(err, os.ErrNotExist) {
				continue
			}
			paths = append(paths, dir)
		}
	}
	files, err := check.Collect(paths, cfg.Webhooks.Dir, cfg.Webhooks.TemplatesDir)
	if err != nil {
		return err
	}
	if len(files) == 0 {
		fmt.Fprintln(a.io.out, "no webhook or template files found")
		return nil
	}
	opts := check.Options{TemplatesDir: cfg.Webhooks.TemplatesDir, Env: render.NewEnv(renderLimits(cfg.Render))}
	problems := check.Files(files, opts)
	if len(problems) == 0 {
		_, err := fmt.Fprintf(a.io.out, "%d file%s OK\n", len(files), plural(len(files)))
		return err
	}
	bad := map[string]bool{}
	for _, p := range problems {
		fmt.Fprintln(a.io.out, p.String())
		bad[p.File] = true
	}
	return fmt.Errorf("%d error%s in %d of %d file%s", len(problems), plural(len(problems)), len(bad), len(files), plural(len(files)))
}
