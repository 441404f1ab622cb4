package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"

	"github.com/hookworker/hookworker/internal/config"
	"github.com/hookworker/hookworker/internal/secret"
	"github.com/hookworker/hookworker/internal/streams"
)

// secretScope is what {{ secrets.NAME }} resolves in `run`: each bot's
// own secrets from the bucket (followed until ctx ends), and the
// worker's own (environment, secrets.dir) for the shared names only.
func (a *app) secretScope(ctx context.Context, cfg config.Config, nc *nats.Conn, log *zap.Logger) (*secret.Scope, error) {
	own := secret.Chain{secret.Env{Getenv: a.getenv}, secret.Dir(cfg.Secrets.Dir)}
	seeds, from, err := sealingSeeds(cfg)
	if err != nil {
		return nil, err
	}
	if cfg.Secrets.Bucket == "" || seeds == nil {
		log.Info("bot secrets are off: only the shared names resolve",
			zap.Strings("shared", cfg.Secrets.Shared),
			zap.String("why", map[bool]string{true: "no secrets.bucket", false: "no sealing key (secrets.key_file or secrets.key)"}[cfg.Secrets.Bucket == ""]))
		return secret.NewScope(nil, own, cfg.Secrets.Shared), nil
	}
	opener, err := secret.NewOpener(seeds)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", from, err)
	}
	js, err := jetstream.New(nc)
	if err != nil {
		return nil, err
	}
	kv, err := streams.EnsureKeyValue(ctx, js, streams.NewTopology(cfg).Secrets())
	if err != nil {
		return nil, fmt.Errorf("secrets %w", err)
	}
	bots := secret.NewBots(opener, log.Named("secrets"))
	var named string
	// A bucket recreated empty (the topology watchdog) gets the key
	// announced again and is watched from then on.
	err = followKV(ctx, js, kv, log.Named("secrets"), cfg.Worker.TopologyCheck, "secrets bucket", func(ctx context.Context, kv jetstream.KeyValue) error {
		var err error
		if named, err = secret.NewStore(kv).PublishKey(ctx, opener.PublicKey()); err != nil {
			return err
		}
		return bots.Watch(ctx, kv)
	})
	if err != nil {
		return nil, err
	}
	log.Info("bot secrets: sealed in the bucket, opened with this worker's key",
		zap.String("bucket", cfg.Secrets.Bucket), zap.String("public_key", opener.PublicKey()),
		zap.String("key_from", from), zap.Int("secrets", bots.Len()), zap.Strings("shared", cfg.Secrets.Shared))
	if named != opener.PublicKey() {
		log.Error("the secrets bucket names another sealing key than this worker's current one: writers seal for that key",
			zap.String("bucket_key", named), zap.String("worker_key", opener.PublicKey()))
	}
	return secret.NewScope(bots, own, cfg.Secrets.Shared), nil
}

// sealingSeeds reads the workers' sealing key: secrets.key, or the seeds
// of secrets.key_file, or, with the embedded server and neither given,
// <embedded.store_dir>/secrets.nk, made when missing. None (nil) when
// there is no key.
func sealingSeeds(cfg config.Config) (seeds [][]byte, from string, err error) {
	sc := cfg.Secrets
	switch {
	case sc.Key != "":
		return [][]byte{[]byte(strings.TrimSpace(sc.Key))}, "secrets.key", nil
	case sc.KeyFile != "":
		seeds, err := secret.ReadSeeds(sc.KeyFile)
		return seeds, sc.KeyFile, err
	case cfg.NATS.URL != "" || cfg.Secrets.Bucket == "":
		return nil, "", nil
	}
	// A development machine: one key for the embedded server's store.
	path := filepath.Join(cfg.Embedded.StoreDir, "secrets.nk")
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		seed, _, err := secret.NewKey()
		if err != nil {
			return nil, "", err
		}
		if err := os.MkdirAll(cfg.Embedded.StoreDir, 0o700); err != nil {
			return nil, "", fmt.Errorf("sealing key: %w", err)
		}
		body := "# hookworker sealing key (curve seed), made for the embedded server's store\n" + string(seed) + "\n"
		if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
			return nil, "", fmt.Errorf("sealing key: %w", err)
		}
	}
	seeds, err = secret.ReadSeeds(path)
	return seeds, path, err
}
