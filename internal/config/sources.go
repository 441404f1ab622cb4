package config

import (
	"fmt"
	"os"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"time"
)

// Source is where a setting's value came from.
type Source string

// Sources, lowest precedence first.
const (
	SourceDefault Source = "default"
	SourceFile    Source = "file"
	SourceContext Source = "context"  // a nats CLI context (NATS_CONTEXT, --context)
	SourceNATSEnv Source = "nats-env" // NATS_URL, NATS_CREDS, ...
	SourceEnv     Source = "env"      // HOOKWORKER_*
	SourceFlag    Source = "flag"
)

// rank orders the sources.
var rank = map[Source]int{SourceDefault: 0, SourceFile: 1, SourceContext: 2, SourceNATSEnv: 3, SourceEnv: 4, SourceFlag: 5}

// Options are where Load reads: the defaults, then the YAML file at Path,
// then the nats CLI context named by nats.context, then the NATS_*
// variables of Environ, then its HOOKWORKER_* variables, then Flags; each
// overrides the ones before it.
type Options struct {
	// Path of the YAML file; "" for none.
	Path string
	// Environ is the environment, KEY=VALUE as os.Environ gives it: a
	// variable set to the empty string is set (it empties a list or a
	// string), unlike one that is absent.
	Environ []string
	// Flags are settings given on the command line, by key
	// ("nats.url": "nats://x:4222"); Origins names each one's flag.
	Flags   map[string]string
	Origins map[string]string
}

// Loaded is a configuration with where each setting came from.
type Loaded struct {
	Config
	// Sources holds each setting's source by key ("worker.concurrency").
	Sources map[string]Source
	// Origins names the variable, flag or context of a setting that came
	// from one ("HOOKWORKER_CONCURRENCY", "--server", "context prod").
	Origins map[string]string
	// Warnings are things to tell the operator once: unknown HOOKWORKER_*
	// variables that are no near miss of a known one.
	Warnings []string
}

// Load reads the configuration as Options says. An unknown YAML key, a
// HOOKWORKER_* variable that is a near miss of a known one, or a value
// that does not parse is an error naming it; Validate is left to the
// caller.
func Load(o Options) (*Loaded, error) {
	l := &Loaded{Config: Default(), Sources: map[string]Source{}, Origins: map[string]string{}}
	fields := settings(reflect.ValueOf(&l.Config).Elem(), "")
	for _, f := range fields {
		l.Sources[f.key] = SourceDefault
	}
	if o.Path != "" {
		data, err := os.ReadFile(o.Path)
		if err != nil {
			return l, fmt.Errorf("config: %w", err)
		}
		set := map[string]bool{}
		if err := decodeYAML(data, &l.Config, set); err != nil {
			return l, fmt.Errorf("config %s: %w", o.Path, err)
		}
		for k := range set {
			l.Sources[k], l.Origins[k] = SourceFile, o.Path
		}
	}
	env := environ(o.Environ)
	// The context is named by the highest layer that names one.
	ctxName := l.NATS.Context
	for _, name := range []string{"NATS_CONTEXT", "HOOKWORKER_NATS_CONTEXT"} {
		if v, ok := env[name]; ok {
			ctxName = v
		}
	}
	if v, ok := o.Flags["nats.context"]; ok {
		ctxName = v
	}
	if ctxName != "" {
		values, err := loadContext(ctxName, env)
		if err != nil {
			return l, fmt.Errorf("config: nats context %q: %w", ctxName, err)
		}
		if err := l.apply(fields, SourceContext, values, func(string) string { return "context " + ctxName }); err != nil {
			return l, err
		}
	}
	natsEnv, hwEnv := map[string]string{}, map[string]string{}
	byNATS, byHW := map[string]string{}, map[string]string{}
	for _, f := range fields {
		if v, ok := env[f.natsEnv]; ok && f.natsEnv != "" {
			natsEnv[f.key], byNATS[f.key] = v, f.natsEnv
		}
		if v, ok := env[f.env]; ok && f.env != "" {
			hwEnv[f.key], byHW[f.key] = v, f.env
		}
	}
	if err := l.apply(fields, SourceNATSEnv, natsEnv, func(k string) string { return byNATS[k] }); err != nil {
		return l, err
	}
	if err := l.apply(fields, SourceEnv, hwEnv, func(k string) string { return byHW[k] }); err != nil {
		return l, err
	}
	if err := l.apply(fields, SourceFlag, o.Flags, func(k string) string { return o.Origins[k] }); err != nil {
		return l, err
	}
	warnings, err := checkEnvNames(env, fields)
	l.Warnings = warnings
	return l, err
}

// credentialMethods are the ways to authenticate to NATS, by key: a
// source that sets one way replaces the other ways of the sources below
// it (NATS_CREDS over a context's user and password), and within one way
// only what it sets (NATS_PASSWORD over a context's password keeps its
// user).
var credentialMethods = map[string]string{
	"nats.user": "user", "nats.password": "user", "nats.token": "token",
	"nats.nkey_seed_file": "nkey", "nats.creds_file": "creds",
}

// apply sets values (by key) from source; origin names each one's
// variable or flag.
func (l *Loaded) apply(fields []setting, source Source, values map[string]string, origin func(string) string) error {
	methods := map[string]string{} // a method this source sets, and the key setting it
	for k := range values {
		if m, ok := credentialMethods[k]; ok {
			methods[m] = k
		}
	}
	for k, m := range credentialMethods {
		if _, same := methods[m]; len(methods) > 0 && !same && rank[l.Sources[k]] < rank[source] {
			f := fieldByKey(fields, k)
			if f.value.String() != "" {
				f.value.SetString("")
				for _, by := range methods {
					l.Sources[k], l.Origins[k] = source, "replaced by "+origin(by)
				}
			}
		}
	}
	for _, k := range slices.Sorted(mapKeys(values)) {
		f := fieldByKey(fields, k)
		if f == nil {
			return fmt.Errorf("config: %s: no such setting", k)
		}
		v := values[k]
		if err := setFromEnv(f.value, v); err != nil {
			return fmt.Errorf("config: %s: %q is not %s", origin(k), v, kindName(f.value.Type()))
		}
		l.Sources[k], l.Origins[k] = source, origin(k)
	}
	return nil
}

// setting is one leaf of the configuration.
type setting struct {
	key, env, natsEnv string
	secret            bool
	value             reflect.Value
}

// settings lists the leaves of struct v with their keys, in field order.
func settings(v reflect.Value, prefix string) []setting {
	var out []setting
	t := v.Type()
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if name == "" || name == "-" {
			continue
		}
		key := join(prefix, name)
		if f.Type.Kind() == reflect.Struct && f.Type != reflect.TypeFor[time.Time]() {
			out = append(out, settings(v.Field(i), key)...)
			continue
		}
		out = append(out, setting{key: key, env: f.Tag.Get("env"), natsEnv: f.Tag.Get("natsenv"),
			secret: f.Tag.Get("secret") == "true", value: v.Field(i)})
	}
	return out
}

func fieldByKey(fields []setting, key string) *setting {
	for i := range fields {
		if fields[i].key == key {
			return &fields[i]
		}
	}
	return nil
}

func mapKeys[V any](m map[string]V) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// environ maps KEY=VALUE entries; a later entry wins.
func environ(list []string) map[string]string {
	m := make(map[string]string, len(list))
	for _, kv := range list {
		if k, v, ok := strings.Cut(kv, "="); ok && k != "" {
			m[k] = v
		}
	}
	return m
}

// Kubernetes' service links for a Service whose name starts with
// hookworker (HOOKWORKER_SERVICE_HOST, HOOKWORKER_PORT_9464_TCP_ADDR,
// HOOKWORKER_OPS_SERVICE_PORT_METRICS, ...): set by the kubelet, not by the
// operator.
var serviceLink = regexp.MustCompile(`^HOOKWORKER(_[A-Z0-9_]+?)?_(SERVICE_(HOST|PORT)(_[A-Z0-9_]+)?|PORT(_[0-9]+_(TCP|UDP|SCTP)(_(PROTO|PORT|ADDR))?)?)$`)

// SecretEnvPrefix starts the variables that hold the worker's secrets.
const SecretEnvPrefix = "HOOKWORKER_SECRET_"

// reservedEnv are HOOKWORKER_* variables read elsewhere than this package.
var reservedEnv = []string{"HOOKWORKER_CONSOLE_TOKEN"}

// checkEnvNames refuses a HOOKWORKER_* variable that is a near miss of a
// known one, and lists the other unknown ones as warnings.
func checkEnvNames(env map[string]string, fields []setting) ([]string, error) {
	var known []string
	for _, f := range fields {
		if f.env != "" {
			known = append(known, strings.TrimPrefix(f.env, "HOOKWORKER_"))
		}
	}
	var warnings, misses []string
	for _, name := range slices.Sorted(mapKeys(env)) {
		rest, ok := strings.CutPrefix(name, "HOOKWORKER_")
		switch {
		case !ok, slices.Contains(known, rest), slices.Contains(reservedEnv, name),
			strings.HasPrefix(name, SecretEnvPrefix), serviceLink.MatchString(name):
			continue
		}
		if near := nearest(rest, known); near != "" {
			misses = append(misses, fmt.Sprintf("%s: unknown variable (did you mean HOOKWORKER_%s?)", name, near))
			continue
		}
		warnings = append(warnings, fmt.Sprintf("%s: unknown variable, ignored", name))
	}
	if len(misses) > 0 {
		return warnings, fmt.Errorf("config: %s", strings.Join(misses, "; "))
	}
	return warnings, nil
}

// Setting is one setting of a loaded configuration, for display.
type Setting struct {
	Key    string
	Value  any
	Secret bool   // a password or token: never show Value
	Source Source // where it came from
	Origin string // the file, variable, flag or context, when not a default
	Env    string // its HOOKWORKER_* variable
}

// Settings lists every setting in the order of the Config struct.
func (l *Loaded) Settings() []Setting {
	var out []Setting
	for _, f := range settings(reflect.ValueOf(&l.Config).Elem(), "") {
		out = append(out, Setting{Key: f.key, Value: f.value.Interface(), Secret: f.secret,
			Source: l.Sources[f.key], Origin: l.Origins[f.key], Env: f.env})
	}
	return out
}
