package main

import (
	"context"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"

	"github.com/hookworker/hookworker/internal/registry"
	"github.com/hookworker/hookworker/internal/streams"
)

// followBucket has the registry watch the webhook bucket (created from kc
// when it does not exist) and keeps it watching the bucket that exists
// (see followKV). It returns once the first watch has read the current
// definitions; the following ends with ctx.
func followBucket(ctx context.Context, nc *nats.Conn, kc jetstream.KeyValueConfig, reg *registry.Registry, log *zap.Logger, every time.Duration) error {
	js, err := jetstream.New(nc)
	if err != nil {
		return err
	}
	kv, err := streams.EnsureKeyValue(ctx, js, kc)
	if err != nil {
		return fmt.Errorf("webhook %w", err)
	}
	err = followKV(ctx, js, kv, log, every, "webhook bucket", func(ctx context.Context, kv jetstream.KeyValue) error {
		if err := reg.Watch(ctx, kv); err != nil {
			return fmt.Errorf("webhook bucket %s: %w", kc.Bucket, err)
		}
		return nil
	})
	return err
}

// followKV calls watch on kv with a context of its own, and keeps it on
// the bucket that exists: a KV watch does not see a bucket deleted and
// created again (the topology watchdog recreates it), so every `every`
// the bucket's stream is looked at and, when it is another one than the
// watch started on (its creation time differs), the old watch's context
// is cancelled and watch called on the new bucket, with a warning naming
// what. It returns the first watch's error; the following ends with ctx.
func followKV(ctx context.Context, js jetstream.JetStream, kv jetstream.KeyValue, log *zap.Logger, every time.Duration, what string,
	watch func(context.Context, jetstream.KeyValue) error) error {
	bucket := kv.Bucket()
	created, err := bucketCreated(ctx, js, bucket)
	if err != nil {
		return fmt.Errorf("%s %s: %w", what, bucket, err)
	}
	wctx, cancel := context.WithCancel(ctx)
	if err := watch(wctx, kv); err != nil {
		cancel()
		return err
	}
	if every <= 0 {
		context.AfterFunc(ctx, cancel)
		return nil
	}
	go func() {
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				cancel()
				return
			case <-t.C:
			}
			now, err := bucketCreated(ctx, js, bucket)
			if err != nil || now.Equal(created) {
				continue // gone (the watchdog recreates it), or the same
			}
			kv, err := js.KeyValue(ctx, bucket)
			if err != nil {
				continue
			}
			cancel()
			wctx, cancel = context.WithCancel(ctx)
			if err := watch(wctx, kv); err != nil {
				log.Warn(what+" was recreated; watching it failed, trying again", zap.String("bucket", bucket), zap.Error(err))
				continue
			}
			created = now
			log.Warn(what+" was recreated: watching the new one (what it lacks stays as it was)", zap.String("bucket", bucket))
		}
	}()
	return nil
}

// bucketCreated is when the stream behind bucket was created.
func bucketCreated(ctx context.Context, js jetstream.JetStream, bucket string) (time.Time, error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	s, err := js.Stream(ctx, "KV_"+bucket)
	if err != nil {
		return time.Time{}, err
	}
	return s.CachedInfo().Created, nil
}
