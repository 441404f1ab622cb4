// Package secret resolves {{ secrets.NAME }} for the worker, never from
// events, and keeps every bot's secrets apart from every other's.
//
// Bot secrets live in the KV bucket hookworker-secrets, one entry per bot
// and name ([Key]), sealed ([Sealer]) for the workers' curve key pair: a
// writer needs only the public key, and only a holder of the private key
// (the workers, [Opener]) can open a value. [Store] is the writers' side
// (put, list names, delete); [Bots] is the workers' cache, following the
// bucket. [Scope] gives each bot's events a [Source] that resolves that
// bot's own secrets and, for the names the configuration shares, the
// worker's own.
//
// The worker's own secrets: [Env] reads HOOKWORKER_SECRET_<NAME>; [Dir]
// reads the file NAME in a directory (Docker and Kubernetes secret
// mounts), with one trailing newline dropped; [Chain] asks each source in
// turn.
package secret

import (
	"os"
	"path/filepath"
	"strings"
)

// EnvPrefix starts the environment variable of each secret.
const EnvPrefix = "HOOKWORKER_SECRET_"

// Env resolves secrets from environment variables.
type Env struct {
	// Getenv reads a variable; os.Getenv when nil.
	Getenv func(string) string
}

// Secret returns HOOKWORKER_SECRET_<NAME>; NAME is used as written and
// upper-cased.
func (e Env) Secret(name string) (string, bool) {
	get := e.Getenv
	if get == nil {
		get = os.Getenv
	}
	for _, n := range []string{name, strings.ToUpper(name)} {
		if v := get(EnvPrefix + n); v != "" {
			return v, true
		}
	}
	return "", false
}

// Dir resolves secrets from files named after them.
type Dir string

// Secret returns the content of the file dir/name, one trailing newline
// dropped. Names with path separators or dots at the start are refused.
func (d Dir) Secret(name string) (string, bool) {
	if d == "" || name == "" || strings.ContainsAny(name, `/\`) || strings.HasPrefix(name, ".") {
		return "", false
	}
	b, err := os.ReadFile(filepath.Join(string(d), name))
	if err != nil {
		return "", false
	}
	s := strings.TrimSuffix(string(b), "\n")
	return strings.TrimSuffix(s, "\r"), true
}

// Source resolves one secret by name.
type Source interface {
	Secret(name string) (string, bool)
}

// Chain asks each source in order.
type Chain []Source

// Secret returns the first source's answer.
func (c Chain) Secret(name string) (string, bool) {
	for _, s := range c {
		if v, ok := s.Secret(name); ok {
			return v, true
		}
	}
	return "", false
}
