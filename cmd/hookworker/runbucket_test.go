package main

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/hookworker/hookworker/internal/jstest"
	"github.com/hookworker/hookworker/internal/registry"
	"github.com/hookworker/hookworker/trigger/webhook"
)

// TestFollowBucketRecreated: the webhook bucket is deleted under run and
// created again (as the topology watchdog does); a definition put into
// the new bucket reaches the registry without a restart, and the ones it
// had stay.
func TestFollowBucketRecreated(t *testing.T) {
	srv := jstest.Server(t)
	nc, js := jstest.Connect(t, srv)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	kc := testBucket("hookworker-webhooks")
	reg := registry.New(nil, nil, nil)
	core, logs := observer.New(zapcore.WarnLevel)
	if err := followBucket(ctx, nc, kc, reg, zap.New(core), 200*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	put := func(id string) {
		t.Helper()
		kv, err := js.KeyValue(ctx, kc.Bucket)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := json.Marshal(webhook.Definition{ID: id, URL: "https://example.com/" + id})
		if _, err := kv.Put(ctx, id, b); err != nil {
			t.Fatal(err)
		}
	}
	has := func(id string, within time.Duration) bool {
		deadline := time.Now().Add(within)
		for {
			if _, err := reg.Lookup(ctx, id, 0); err == nil {
				return true
			}
			if time.Now().After(deadline) {
				return false
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	put("before")
	if !has("before", 5*time.Second) {
		t.Fatal("a definition put before the fault is not live")
	}
	if err := js.DeleteKeyValue(ctx, kc.Bucket); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond)
	if _, err := js.CreateKeyValue(ctx, kc); err != nil {
		t.Fatal(err)
	}
	put("after")
	if !has("after", 5*time.Second) {
		t.Fatal("a definition put into the recreated bucket did not reach the registry within 5s")
	}
	if !has("before", 0) {
		t.Error("the definition from before the fault is gone")
	}
	if logs.FilterMessageSnippet("webhook bucket was recreated").Len() == 0 {
		t.Error("no warning that the bucket was recreated")
	}
}
