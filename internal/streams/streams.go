// Package streams creates the JetStream streams and KV buckets hookworker
// needs when they do not exist, and leaves existing ones as their operator
// configured them: replicas, limits, placement and storage are never
// changed. The only changes made to an existing stream are adding a
// subject it must capture and lacks, and setting the subject transform
// hookworker asks for (the ordered lanes' partitioning). Topology says
// what every object is created with (Objects lists them, for the worker's
// watchdog), and WriteFault what a failed write into a stream means.
//
// (CreateOrUpdateStream would send hookworker's own configuration, whose
// unset Replicas the server reads as 1: starting a worker would shrink a
// stream created with three replicas.)
package streams

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/nats-io/nats.go/jetstream"
)

// Ensure returns the stream named cfg.Name, creating it from cfg when it
// does not exist. An existing stream keeps its configuration, except that
// subjects of cfg it lacks are added and a non-nil cfg.SubjectTransform
// replaces a different one. Safe to run from many processes at once.
func Ensure(ctx context.Context, js jetstream.JetStream, cfg jetstream.StreamConfig) (jetstream.Stream, error) {
	s, err := js.Stream(ctx, cfg.Name)
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		s, err = js.CreateStream(ctx, cfg)
		if errors.Is(err, jetstream.ErrStreamNameAlreadyInUse) {
			s, err = js.Stream(ctx, cfg.Name) // another process created it
		}
	}
	if err != nil {
		return nil, fmt.Errorf("stream %s: %w", cfg.Name, err)
	}
	have := s.CachedInfo().Config
	var missing []string
	for _, subj := range cfg.Subjects {
		if !slices.Contains(have.Subjects, subj) {
			missing = append(missing, subj)
		}
	}
	transform := cfg.SubjectTransform != nil &&
		(have.SubjectTransform == nil || *have.SubjectTransform != *cfg.SubjectTransform)
	if len(missing) == 0 && !transform {
		return s, nil
	}
	have.Subjects = append(have.Subjects, missing...)
	if transform {
		have.SubjectTransform = cfg.SubjectTransform
	}
	if s, err = js.UpdateStream(ctx, have); err != nil {
		return nil, fmt.Errorf("stream %s: add subjects %v, transform %v: %w", cfg.Name, missing, transform, err)
	}
	return s, nil
}

// EnsureKeyValue returns the bucket named cfg.Bucket, creating it from cfg
// when it does not exist; an existing bucket is used as it is.
func EnsureKeyValue(ctx context.Context, js jetstream.JetStream, cfg jetstream.KeyValueConfig) (jetstream.KeyValue, error) {
	kv, err := js.KeyValue(ctx, cfg.Bucket)
	if errors.Is(err, jetstream.ErrBucketNotFound) {
		kv, err = js.CreateKeyValue(ctx, cfg)
		if errors.Is(err, jetstream.ErrBucketExists) {
			kv, err = js.KeyValue(ctx, cfg.Bucket)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("bucket %s: %w", cfg.Bucket, err)
	}
	return kv, nil
}
