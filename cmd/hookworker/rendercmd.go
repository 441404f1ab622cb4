package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/hookworker/hookworker/internal/config"
	"github.com/hookworker/hookworker/internal/marketplace"
	"github.com/hookworker/hookworker/internal/preview"
	"github.com/hookworker/hookworker/internal/secret"
	"github.com/hookworker/hookworker/mapper"
	"github.com/hookworker/hookworker/render"
	"github.com/hookworker/hookworker/trigger"
	"github.com/hookworker/hookworker/trigger/webhook"
)

type renderFlags struct {
	cvars, context, response string
	status                   int
	headers                  []string
	secrets                  []string
	asJSON                   bool
	strict                   bool
	statusGiven              bool
}

func (a *app) renderCmd() *cobra.Command {
	var f renderFlags
	cmd := &cobra.Command{
		Use:   "render WEBHOOK.yaml",
		Short: "Show the request a webhook makes and the CVars it maps, sending nothing",
		Long: `The Webhook Builder's test: render the webhook in WEBHOOK.yaml (or .json)
over the CVars in --cvars and print the request it would send, secrets
masked. Given a sample response body (--response), also print the CVars
its Response Mapper sets and the ones it leaves unmapped. Nothing is sent.

Secrets come from HOOKWORKER_SECRET_<NAME>, the secrets directory of the
config, or --secret NAME=VALUE.

A variable the request reads that the CVars and context do not define is
reported as a warning on standard error (it renders empty, as in Jinja2);
with --strict it is an error (exit status 1). --status says what the
worker would make of a response with that status: success (the mappers
run), retried, or failed at once.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			f.statusGiven = cmd.Flags().Changed("status")
			return a.render(args[0], f)
		},
	}
	cmd.Flags().StringVar(&f.cvars, "cvars", "", "JSON file with the conversation's CVars (an object)")
	cmd.Flags().StringVar(&f.context, "context", "", "JSON file with the conversation's system variables (an object)")
	cmd.Flags().StringVar(&f.response, "response", "", "file with a sample response body")
	cmd.Flags().IntVar(&f.status, "status", 200, "status code of the sample response")
	cmd.Flags().StringArrayVar(&f.headers, "header", nil, "header of the sample response, 'Name: value' (repeatable)")
	cmd.Flags().StringArrayVar(&f.secrets, "secret", nil, "secret for this preview, NAME=VALUE (repeatable)")
	cmd.Flags().BoolVar(&f.asJSON, "json", false, "print JSON instead of text")
	cmd.Flags().BoolVar(&f.strict, "strict", false, "fail when the request reads an undefined variable")
	return cmd
}

// renderOutput is what render prints with --json.
type renderOutput struct {
	Request  renderedRequest   `json:"request"`
	CVars    map[string]any    `json:"cvars,omitempty"`
	Unmapped []string          `json:"unmapped,omitempty"`
	Outcome  *preview.Outcome  `json:"outcome,omitempty"`
	Warnings []preview.Warning `json:"warnings"`
}

type renderedRequest struct {
	Method  string            `json:"method"`
	URL     string            `json:"url"`
	Headers map[string]string `json:"headers"`
	Body    string            `json:"body,omitempty"`
}

func (a *app) render(path string, f renderFlags) error {
	def, err := loadDefinition(path)
	if err != nil {
		return err
	}
	ev := &trigger.Event{ID: "render-preview", BotID: "bot", ConversationID: "conversation", Webhook: def}
	if ev.CVars, err = readObject(f.cvars, "--cvars"); err != nil {
		return err
	}
	if ev.Context, err = readObject(f.context, "--context"); err != nil {
		return err
	}
	flagSecrets := render.Secrets{}
	for _, s := range f.secrets {
		name, value, ok := strings.Cut(s, "=")
		if !ok || name == "" {
			return fmt.Errorf("--secret %q: want NAME=VALUE", s)
		}
		flagSecrets[name] = value
	}
	cfg, err := a.config()
	if err != nil {
		return err
	}
	secrets := secret.Chain{flagSecrets, secret.Env{Getenv: a.getenv}, secret.Dir(cfg.Secrets.Dir)}
	if def.Uses != "" {
		market, err := marketplace.LoadDir(cfg.Webhooks.TemplatesDir)
		if err != nil {
			return err
		}
		if def, err = market.Resolve(def); err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		ev.Webhook = def
	}

	env := render.NewEnv(renderLimits(cfg.Render))
	w, err := env.CompileWebhook(def)
	if err != nil {
		return err
	}
	m, err := mapper.Compile(env, def.CVars, mapper.Options{})
	if err != nil {
		return fmt.Errorf("%s: cvars: %w", path, err)
	}
	vars := render.RequestVars(ev, render.Scope{Secrets: secrets, Attempt: 1})
	if err := env.RenderParams(def, vars); err != nil {
		return fmt.Errorf("%s", render.NewRedactor(vars.UsedSecrets()).Redact(err.Error()))
	}
	warnings := preview.Undefined(env, def, vars)
	if !f.asJSON || f.strict {
		for _, w := range warnings {
			fmt.Fprintf(a.io.err, "hookworker: warning: %s\n", w)
		}
	}
	if f.strict && len(warnings) > 0 {
		return fmt.Errorf("--strict: undefined variable%s: %s", plural(len(warnings)), strings.Join(preview.Names(warnings), ", "))
	}
	req, err := w.Render(vars)
	if err != nil {
		return fmt.Errorf("%s", render.NewRedactor(vars.UsedSecrets()).Redact(err.Error()))
	}
	req.Header.Set("Idempotency-Key", ev.ID)
	red := req.Redacted()
	out := renderOutput{Request: renderedRequest{Method: red.Method, URL: red.URL, Headers: map[string]string{}, Body: string(red.Body)},
		Warnings: warnings}
	if out.Warnings == nil {
		out.Warnings = []preview.Warning{}
	}
	outcome := preview.ForStatus(def, f.status)
	if f.statusGiven || f.response != "" && outcome.Status != trigger.StatusSucceeded {
		out.Outcome = &outcome
	}
	for k := range red.Header {
		out.Request.Headers[k] = red.Header.Get(k)
	}
	if f.response != "" {
		body, err := readFile(f.response)
		if err != nil {
			return err
		}
		resp := &mapper.Response{StatusCode: f.status, Header: http.Header{}, Body: body}
		for _, h := range f.headers {
			name, value, ok := strings.Cut(h, ":")
			if !ok {
				return fmt.Errorf("--header %q: want 'Name: value'", h)
			}
			resp.Header.Add(strings.TrimSpace(name), strings.TrimSpace(value))
		}
		if outcome.Status == trigger.StatusSucceeded {
			res, err := m.Apply(resp, ev.CVars, render.ConversationVars(ev))
			if err != nil {
				return err
			}
			out.CVars, out.Unmapped = res.CVars, res.Unmapped
			if out.Unmapped == nil {
				out.Unmapped = []string{}
			}
		}
	}
	if f.asJSON {
		enc := json.NewEncoder(a.io.out)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	}
	return printRendered(a.io.out, out, f.response != "" && outcome.Status == trigger.StatusSucceeded)
}

func printRendered(w io.Writer, out renderOutput, mapped bool) error {
	var b bytes.Buffer
	fmt.Fprintf(&b, "%s %s\n", out.Request.Method, out.Request.URL)
	names := make([]string, 0, len(out.Request.Headers))
	for k := range out.Request.Headers {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		fmt.Fprintf(&b, "%s: %s\n", k, out.Request.Headers[k])
	}
	if out.Request.Body != "" {
		fmt.Fprintf(&b, "\n%s\n", out.Request.Body)
	}
	if mapped {
		b.WriteString("\nCVars:\n")
		for _, k := range slices.Sorted(maps.Keys(out.CVars)) {
			v, err := json.Marshal(out.CVars[k])
			if err != nil {
				return err
			}
			fmt.Fprintf(&b, "  %s = %s\n", k, v)
		}
		if len(out.Unmapped) > 0 {
			fmt.Fprintf(&b, "Unmapped: %s\n", strings.Join(out.Unmapped, ", "))
		}
	}
	if out.Outcome != nil {
		fmt.Fprintf(&b, "\nResponse status: %s\n", out.Outcome.Reason)
	}
	_, err := w.Write(b.Bytes())
	return err
}

// loadDefinition reads a webhook file (YAML, or JSON by extension); an id
// is not required here.
func loadDefinition(path string) (*webhook.Definition, error) {
	data, err := readFile(path)
	if err != nil {
		return nil, err
	}
	def, err := webhook.Decode(data, filepath.Ext(path))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if err := def.Validate(); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return def, nil
}

// readObject reads a JSON object file with numbers kept exact; "" gives an
// empty object.
func readObject(path, flag string) (map[string]any, error) {
	if path == "" {
		return map[string]any{}, nil
	}
	data, err := readFile(path)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("%s %s: want a JSON object: %w", flag, path, err)
	}
	return render.Normalize(m).(map[string]any), nil
}

func readFile(path string) ([]byte, error) { return readFileLimited(path, 8<<20) }

// renderLimits are the engine's bounds of the render section.
func renderLimits(c config.Render) render.Limits {
	return render.Limits{
		MaxTemplateSize: c.MaxTemplateSize,
		MaxDepth:        c.MaxDepth,
		MaxOutput:       c.MaxOutput,
		MaxMemory:       c.MaxMemory,
		MaxSteps:        c.MaxSteps,
		MaxCallDepth:    c.MaxCallDepth,
	}
}
