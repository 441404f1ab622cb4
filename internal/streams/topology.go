package streams

import (
	"context"
	"regexp"
	"strconv"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/hookworker/hookworker/internal/config"
	"github.com/hookworker/hookworker/internal/secret"
)

// Topology is every stream, consumer and bucket hookworker creates, each
// with the configuration it is created with. It is the one place that
// says so: the worker's setup, the dead-letter store, the webhook bucket's
// commands (and anything that recreates what went missing) read it here.
type Topology struct {
	names      config.Names
	replicas   int
	partitions int
	worker     config.Worker
	retry      config.Retry
	webhooks   string
	secrets    string
}

// NewTopology is the topology cfg asks for.
func NewTopology(cfg config.Config) Topology {
	return Topology{
		names:      cfg.Names,
		replicas:   cfg.NATS.Replicas,
		partitions: cfg.Ordering.Partitions,
		worker:     cfg.Worker,
		retry:      cfg.Retry,
		webhooks:   cfg.Webhooks.Bucket,
		secrets:    cfg.Secrets.Bucket,
	}
}

// Trigger is the trigger stream: a work queue of fired events and of
// replayed ones (and, with ordered lanes, of ordered ones, spread over
// the lanes by a subject transform), deduplicated by Nats-Msg-Id over two
// minutes.
func (t Topology) Trigger() jetstream.StreamConfig {
	sc := jetstream.StreamConfig{
		Name:       t.names.Stream,
		Subjects:   []string{t.names.FiredPrefix + ".>", t.names.ReplayPrefix + ".>"},
		Retention:  jetstream.WorkQueuePolicy,
		Storage:    jetstream.FileStorage,
		Duplicates: 2 * time.Minute,
		Replicas:   t.replicas,
	}
	if t.partitions > 0 {
		sc.Subjects = append(sc.Subjects, t.names.OrderedPrefix+".*.*")
		sc.SubjectTransform = t.OrderedTransform()
	}
	return sc
}

// Consumer is the durable pull consumer every worker shares: fired and
// replayed events.
func (t Topology) Consumer() jetstream.ConsumerConfig {
	return jetstream.ConsumerConfig{
		Durable:        t.names.Consumer,
		FilterSubjects: []string{t.names.FiredPrefix + ".>", t.names.ReplayPrefix + ".>"},
		AckPolicy:      jetstream.AckExplicitPolicy,
		AckWait:        t.worker.AckWait,
		MaxDeliver:     t.worker.MaxDeliver,
		MaxAckPending:  t.worker.MaxAckPending,
		DeliverPolicy:  jetstream.DeliverAllPolicy,
	}
}

// Partitions is the number of ordered lanes.
func (t Topology) Partitions() int { return t.partitions }

// LaneName is the durable consumer of ordered lane p.
func (t Topology) LaneName(p int) string {
	return t.names.Consumer + "-ordered-" + strconv.Itoa(p)
}

// Lane is the consumer of ordered lane p: one event in flight on it across
// the fleet (MaxAckPending 1), so the lane's next event is delivered only
// once the previous one is acked or terminated. An event handed back with
// a delay still counts, so it runs again before the next.
func (t Topology) Lane(p int) jetstream.ConsumerConfig {
	cc := t.Consumer()
	cc.Durable = t.LaneName(p)
	cc.FilterSubjects = nil
	cc.FilterSubject = t.names.OrderedPrefix + "." + strconv.Itoa(p) + ".>"
	cc.MaxAckPending = 1
	return cc
}

// OrderedTransform maps <ordered>.<bot>.<conversation> to
// <ordered>.<lane>.<bot>.<conversation>, the lane a hash of bot and
// conversation.
func (t Topology) OrderedTransform() *jetstream.SubjectTransformConfig {
	return orderedTransform(t.names.OrderedPrefix, t.partitions)
}

func orderedTransform(prefix string, partitions int) *jetstream.SubjectTransformConfig {
	return &jetstream.SubjectTransformConfig{
		Source:      prefix + ".*.*",
		Destination: prefix + ".{{partition(" + strconv.Itoa(partitions) + ",1,2)}}.{{wildcard(1)}}.{{wildcard(2)}}",
	}
}

// partitionCount reads N from a transform made by orderedTransform.
var partitionCount = regexp.MustCompile(`\{\{partition\((\d+),1,2\)\}\}`)

// LaneCount reads the lane count of a stream's subject transform: ours
// reports the count it spreads over; foreign is true when tr is someone
// else's transform (or not the one we would write for its count). A nil
// transform has 0 lanes and is not foreign.
func (t Topology) LaneCount(tr *jetstream.SubjectTransformConfig) (lanes int, foreign bool) {
	if tr == nil {
		return 0, false
	}
	if tr.Source != t.names.OrderedPrefix+".*.*" {
		return 0, true
	}
	if m := partitionCount.FindStringSubmatch(tr.Destination); m != nil {
		lanes, _ = strconv.Atoi(m[1])
	}
	return lanes, *tr != *orderedTransform(t.names.OrderedPrefix, lanes)
}

// DeadLetters is the dead-letter stream: kept until purged or replayed,
// deduplicated over ten minutes.
func (t Topology) DeadLetters() jetstream.StreamConfig {
	return jetstream.StreamConfig{
		Name:       t.names.DLQStream,
		Subjects:   []string{t.names.DLQPrefix + ".>"},
		Storage:    jetstream.FileStorage,
		Retention:  jetstream.LimitsPolicy,
		Duplicates: 10 * time.Minute,
		Replicas:   t.replicas,
	}
}

// AdvisorySubjects are where the server announces that a message of the
// trigger consumer, of an ordered lane's, or of the retry consumer (a due
// retry) ran out of deliveries.
func (t Topology) AdvisorySubjects() []string {
	const adv = "$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES."
	prefix := adv + t.names.Stream + "."
	subjects := []string{prefix + t.names.Consumer}
	for p := range t.partitions {
		subjects = append(subjects, prefix+t.LaneName(p))
	}
	return append(subjects, adv+t.names.RetryStream+"."+t.RetryConsumer().Durable)
}

// Advisories captures the MAX_DELIVERIES advisories (core messages, seen
// only by current subscribers otherwise) for a week.
func (t Topology) Advisories() jetstream.StreamConfig {
	return jetstream.StreamConfig{
		Name:      t.names.AdvisoryStream,
		Subjects:  t.AdvisorySubjects(),
		Storage:   jetstream.FileStorage,
		Retention: jetstream.WorkQueuePolicy,
		MaxAge:    7 * 24 * time.Hour,
		Replicas:  t.replicas,
	}
}

// Backstop is the durable consumer every worker shares to read the
// advisories.
func (t Topology) Backstop() jetstream.ConsumerConfig {
	return jetstream.ConsumerConfig{
		Durable:   t.names.Consumer + "-backstop",
		AckPolicy: jetstream.AckExplicitPolicy,
		AckWait:   time.Minute,
	}
}

// Attempts is the bucket of attempt histories of events waiting for a
// delayed retry; an entry outlives the longest retry by a day.
func (t Topology) Attempts() jetstream.KeyValueConfig {
	return jetstream.KeyValueConfig{
		Bucket:   t.names.AttemptsBucket,
		TTL:      t.retry.MaxAge + 24*time.Hour,
		Storage:  jetstream.FileStorage,
		Replicas: t.replicas,
	}
}

// Webhooks is the registry's bucket of definitions, keeping 64 revisions
// of each so that pinned revisions can be replayed; "" when none is
// configured.
func (t Topology) Webhooks() jetstream.KeyValueConfig {
	return jetstream.KeyValueConfig{
		Bucket:      t.webhooks,
		Description: "hookworker webhook definitions (JSON) by id",
		History:     64,
		Storage:     jetstream.FileStorage,
		Replicas:    t.replicas,
	}
}

// Secrets is the bucket of bot secrets, sealed for the workers' key: the
// last revision of each name only (an older one is no more readable), and
// no entry larger than the sealed form of the largest value; "" when none
// is configured.
func (t Topology) Secrets() jetstream.KeyValueConfig {
	return jetstream.KeyValueConfig{
		Bucket:       t.secrets,
		Description:  "hookworker bot secrets, sealed for the workers' key, by <bot>.<name>",
		History:      1,
		MaxValueSize: secret.MaxSealedLen,
		Storage:      jetstream.FileStorage,
		Replicas:     t.replicas,
	}
}

// Kind is what a topology Object is.
type Kind string

// The kinds of Object.
const (
	KindStream   Kind = "stream"
	KindConsumer Kind = "consumer"
	KindBucket   Kind = "bucket"
)

// Object is one stream, consumer or bucket of the topology, with the
// configuration it is created with: exactly one of Stream, Consumer and
// Bucket is set, as Kind says.
type Object struct {
	Kind Kind
	// Name is the stream's name, the consumer's durable name or the
	// bucket's name.
	Name string
	// On is the stream a consumer belongs to ("" for the others).
	On       string
	Stream   *jetstream.StreamConfig
	Consumer *jetstream.ConsumerConfig
	Bucket   *jetstream.KeyValueConfig
}

// String names the object for people: "stream CONNECTIONS", "consumer
// hookworker on CONNECTIONS", "bucket hookworker-attempts".
func (o Object) String() string {
	if o.Kind == KindConsumer {
		return string(o.Kind) + " " + o.Name + " on " + o.On
	}
	return string(o.Kind) + " " + o.Name
}

// Objects lists every stream, consumer and bucket hookworker creates,
// streams first and each consumer after its stream, so that creating them
// in order succeeds: the trigger stream, the dead letters, the advisories,
// the shared consumer, the ordered lanes' consumers, the backstop, the
// retry stream and its consumer, the attempt-history bucket and, when one
// is configured, the webhook bucket.
func (t Topology) Objects() []Object {
	stream := func(c jetstream.StreamConfig) Object {
		return Object{Kind: KindStream, Name: c.Name, Stream: &c}
	}
	consumer := func(on string, c jetstream.ConsumerConfig) Object {
		return Object{Kind: KindConsumer, Name: c.Durable, On: on, Consumer: &c}
	}
	bucket := func(c jetstream.KeyValueConfig) Object {
		return Object{Kind: KindBucket, Name: c.Bucket, Bucket: &c}
	}
	out := []Object{
		stream(t.Trigger()),
		stream(t.DeadLetters()),
		stream(t.Advisories()),
		consumer(t.names.Stream, t.Consumer()),
	}
	for p := range t.partitions {
		out = append(out, consumer(t.names.Stream, t.Lane(p)))
	}
	out = append(out, consumer(t.names.AdvisoryStream, t.Backstop()),
		stream(t.Retry()), consumer(t.names.RetryStream, t.RetryConsumer()), bucket(t.Attempts()))
	if t.webhooks != "" {
		out = append(out, bucket(t.Webhooks()))
	}
	if t.secrets != "" {
		out = append(out, bucket(t.Secrets()))
	}
	return out
}

// InheritReplicas is cfg with nats.replicas raised to the trigger
// stream's replica count when that stream exists with more (and true
// then): what hookworker creates next to an operator's replicated stream
// (the retry and dead-letter streams, the buckets) is replicated as much,
// not left at a default of 1 on the one node that may fail. A stream that
// cannot be read leaves cfg as it is.
func InheritReplicas(ctx context.Context, js jetstream.JetStream, cfg config.Config) (config.Config, bool) {
	s, err := js.Stream(ctx, cfg.Names.Stream)
	if err != nil {
		return cfg, false
	}
	if r := s.CachedInfo().Config.Replicas; r > max(cfg.NATS.Replicas, 1) {
		cfg.NATS.Replicas = r
		return cfg, true
	}
	return cfg, false
}
