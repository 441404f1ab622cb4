// Package config is hookworker's process configuration: a struct with
// documented fields and defaults, read from a YAML file and overridden by
// HOOKWORKER_* environment variables, checked by Validate before anything
// starts.
//
// Every field's YAML key and environment variable are in its struct tags;
// configs/hookworker.yaml documents each of them.
package config

import (
	"strings"
	"time"
)

// Config is the whole process configuration.
type Config struct {
	NATS      NATS      `yaml:"nats"`
	Embedded  Embedded  `yaml:"embedded"`
	Names     Names     `yaml:"names"`
	Worker    Worker    `yaml:"worker"`
	Ordering  Ordering  `yaml:"ordering"`
	Retry     Retry     `yaml:"retry"`
	Isolation Isolation `yaml:"isolation"`
	HTTP      HTTP      `yaml:"http"`
	Webhooks  Webhooks  `yaml:"webhooks"`
	Render    Render    `yaml:"render"`
	Secrets   Secrets   `yaml:"secrets"`
	Results   Results   `yaml:"results"`
	Log       Log       `yaml:"log"`
	Ops       Ops       `yaml:"ops"`
}

// NATS is how to reach the NATS server.
type NATS struct {
	// URL of the NATS server(s), comma separated. Empty: start an embedded
	// JetStream server (see Embedded) and connect to it.
	URL string `yaml:"url" env:"HOOKWORKER_NATS_URL" natsenv:"NATS_URL"`
	// Name is the client connection name shown by the server.
	Name string `yaml:"name" env:"HOOKWORKER_NATS_NAME"`
	// Replicas is how many copies of each stream and KV bucket hookworker
	// creates when it is missing (trigger, dead letters, advisories,
	// attempts and webhook buckets): 1, or 3 (or 5) on a cluster. Existing
	// ones keep their own; consumers follow their stream. When the trigger
	// stream exists with more replicas, `run` creates the rest with as many.
	Replicas int `yaml:"replicas" env:"HOOKWORKER_NATS_REPLICAS"`

	// At most one way to authenticate: User and Password, Token,
	// NKeySeedFile or CredsFile. None: no credentials are sent, except
	// that a client of the embedded server (URL empty) uses the embedded
	// server's Token or User and Password (see Embedded).

	// User and Password authenticate with a username and password.
	User     string `yaml:"user" env:"HOOKWORKER_NATS_USER" natsenv:"NATS_USER"`
	Password string `yaml:"password" env:"HOOKWORKER_NATS_PASSWORD" natsenv:"NATS_PASSWORD" secret:"true"`
	// Token authenticates with a token.
	Token string `yaml:"token" env:"HOOKWORKER_NATS_TOKEN" secret:"true"`
	// NKeySeedFile is a file holding a user NKey seed (SU...): the client
	// signs the server's challenge with it.
	NKeySeedFile string `yaml:"nkey_seed_file" env:"HOOKWORKER_NATS_NKEY_SEED_FILE" natsenv:"NATS_NKEY"`
	// CredsFile is a .creds file (user JWT and NKey seed) of a server in
	// operator (decentralised JWT) mode.
	CredsFile string `yaml:"creds_file" env:"HOOKWORKER_NATS_CREDS_FILE" natsenv:"NATS_CREDS"`
	// Context names a context of the nats CLI (~/.config/nats/context/
	// <name>.json, or a path to such a file) whose server URL, credentials
	// and TLS files fill the settings above that nothing higher sets (see
	// docs/configuration.md, precedence).
	Context string `yaml:"context" env:"HOOKWORKER_NATS_CONTEXT" natsenv:"NATS_CONTEXT"`
	// TLS: any of its files set makes the client require TLS.
	TLS ClientTLS `yaml:"tls"`
}

// ClientTLS is the client side of TLS to the NATS server. There is no
// way to skip verification of the server's certificate.
type ClientTLS struct {
	// CAFile holds the PEM certificate(s) that signed the server's
	// certificate. Empty: the system's roots (for the embedded server
	// with TLS: its own certificate, Embedded.TLS.CertFile).
	CAFile string `yaml:"ca_file" env:"HOOKWORKER_NATS_TLS_CA_FILE" natsenv:"NATS_CA"`
	// CertFile and KeyFile are the client certificate and its key (PEM),
	// for a server that verifies clients; both or neither.
	CertFile string `yaml:"cert_file" env:"HOOKWORKER_NATS_TLS_CERT_FILE" natsenv:"NATS_CERT"`
	KeyFile  string `yaml:"key_file" env:"HOOKWORKER_NATS_TLS_KEY_FILE" natsenv:"NATS_KEY"`
}

// AuthMethods lists the ways to authenticate that n sets, by config key.
func (n NATS) AuthMethods() []string {
	var m []string
	if n.User != "" || n.Password != "" {
		m = append(m, "user/password")
	}
	if n.Token != "" {
		m = append(m, "token")
	}
	if n.NKeySeedFile != "" {
		m = append(m, "nkey_seed_file")
	}
	if n.CredsFile != "" {
		m = append(m, "creds_file")
	}
	return m
}

// Embedded configures the in-process server started when NATS.URL is empty.
type Embedded struct {
	// Enabled: with NATS.URL empty, `run` starts the embedded server and
	// the other commands connect to it. Off (configs/production.yaml): an
	// empty NATS.URL is an error, never a private server.
	Enabled bool `yaml:"enabled" env:"HOOKWORKER_EMBEDDED_ENABLED"`
	// Host to listen on.
	Host string `yaml:"host" env:"HOOKWORKER_EMBEDDED_HOST"`
	// Port to listen on.
	Port int `yaml:"port" env:"HOOKWORKER_EMBEDDED_PORT"`
	// StoreDir holds the JetStream file store.
	StoreDir string `yaml:"store_dir" env:"HOOKWORKER_EMBEDDED_STORE_DIR"`

	// Authentication the server requires of every client. None set: any
	// client may connect. Token cannot be combined with the others;
	// User/Password and NKeys can (a client uses either).

	// Token, when set, is required of every client.
	Token string `yaml:"token" env:"HOOKWORKER_EMBEDDED_TOKEN" secret:"true"`
	// User and Password, when set, are required of every client.
	User     string `yaml:"user" env:"HOOKWORKER_EMBEDDED_USER"`
	Password string `yaml:"password" env:"HOOKWORKER_EMBEDDED_PASSWORD" secret:"true"`
	// NKeys are user public keys (U...) that may connect by signing with
	// their seed (a client's NATS.NKeySeedFile).
	NKeys []string `yaml:"nkeys" env:"HOOKWORKER_EMBEDDED_NKEYS"`
	// TLS: with CertFile and KeyFile the server requires TLS.
	TLS ServerTLS `yaml:"tls"`
}

// ServerTLS is the embedded server's TLS.
type ServerTLS struct {
	// CertFile and KeyFile are the server's certificate (naming the host
	// clients dial, such as 127.0.0.1) and its key (PEM); both or neither.
	CertFile string `yaml:"cert_file" env:"HOOKWORKER_EMBEDDED_TLS_CERT_FILE"`
	KeyFile  string `yaml:"key_file" env:"HOOKWORKER_EMBEDDED_TLS_KEY_FILE"`
	// CAFile, when set, makes the server require client certificates
	// signed by these CA certificates (PEM).
	CAFile string `yaml:"ca_file" env:"HOOKWORKER_EMBEDDED_TLS_CA_FILE"`
}

// RequiresAuth reports whether the embedded server requires credentials.
func (e Embedded) RequiresAuth() bool {
	return e.Token != "" || e.User != "" || e.Password != "" || len(e.NKeys) > 0
}

// Names are the JetStream and subject names of the contract.
type Names struct {
	// Stream is the trigger stream.
	Stream string `yaml:"stream" env:"HOOKWORKER_STREAM"`
	// FiredPrefix: events arrive on <FiredPrefix>.<bot_id>[.…].
	FiredPrefix string `yaml:"fired_prefix" env:"HOOKWORKER_FIRED_PREFIX"`
	// OrderedPrefix: events that must run in order within their
	// conversation arrive on <OrderedPrefix>.<bot_id>.<conversation_id>
	// (see Ordering).
	OrderedPrefix string `yaml:"ordered_prefix" env:"HOOKWORKER_ORDERED_PREFIX"`
	// Consumer is the durable pull consumer every worker shares.
	Consumer string `yaml:"consumer" env:"HOOKWORKER_CONSUMER"`
	// ResultPrefix: Results of events without reply_to go to
	// <ResultPrefix>.<bot_id>.
	ResultPrefix string `yaml:"result_prefix" env:"HOOKWORKER_RESULT_PREFIX"`
	// DLQStream and DLQPrefix name the dead-letter stream and its subjects.
	DLQStream string `yaml:"dlq_stream" env:"HOOKWORKER_DLQ_STREAM"`
	DLQPrefix string `yaml:"dlq_prefix" env:"HOOKWORKER_DLQ_PREFIX"`
	// AdvisoryStream captures the consumer's MAX_DELIVERIES advisories, so
	// that events that exhausted their deliveries without the worker
	// seeing it (a crash loop) are dead-lettered too.
	AdvisoryStream string `yaml:"advisory_stream" env:"HOOKWORKER_ADVISORY_STREAM"`
	// AttemptsBucket is the KV bucket keeping the attempt history of
	// events waiting for a delayed retry.
	AttemptsBucket string `yaml:"attempts_bucket" env:"HOOKWORKER_ATTEMPTS_BUCKET"`
	// ReplayPrefix: `hookworker replay` re-publishes dead letters to
	// <ReplayPrefix>.<bot_id>[.…] in the trigger stream. Only there is an
	// event a replay (its Result says replayed, with its own Nats-Msg-Id):
	// engines must not be permitted to publish there.
	ReplayPrefix string `yaml:"replay_prefix" env:"HOOKWORKER_REPLAY_PREFIX"`
	// RetryStream holds events waiting for a delayed retry as message
	// schedules, on <RetryPrefix>.>; when one is due the stream delivers it
	// to the workers. Only workers may publish there.
	RetryStream string `yaml:"retry_stream" env:"HOOKWORKER_RETRY_STREAM"`
	RetryPrefix string `yaml:"retry_prefix" env:"HOOKWORKER_RETRY_PREFIX"`
}

// Retry is the default retry policy; a webhook's retry settings override
// max_attempts, max_age, max_delay and on.
type Retry struct {
	// MaxAttempts is the most attempts of one event, the first included.
	MaxAttempts int `yaml:"max_attempts" env:"HOOKWORKER_RETRY_MAX_ATTEMPTS"`
	// MaxAge bounds the time from an event's first delivery to its last
	// attempt.
	MaxAge time.Duration `yaml:"max_age" env:"HOOKWORKER_RETRY_MAX_AGE"`
	// MaxDelay caps one delay, a target's Retry-After included.
	MaxDelay time.Duration `yaml:"max_delay" env:"HOOKWORKER_RETRY_MAX_DELAY"`
	// Schedule is the durable retry schedule: the k-th hand-back to
	// JetStream waits Schedule[k] (the last entry repeats).
	Schedule []time.Duration `yaml:"schedule" env:"HOOKWORKER_RETRY_SCHEDULE"`
	// QuickAttempts is how many retries may run inside the worker, with
	// exponential backoff and jitter, before the event is handed back.
	QuickAttempts int `yaml:"quick_attempts" env:"HOOKWORKER_RETRY_QUICK_ATTEMPTS"`
	// QuickInitial is the first in-worker backoff delay.
	QuickInitial time.Duration `yaml:"quick_initial" env:"HOOKWORKER_RETRY_QUICK_INITIAL"`
	// QuickMaxWait is the longest in-worker wait; a longer delay (such as
	// a long Retry-After) hands the event back to JetStream instead.
	QuickMaxWait time.Duration `yaml:"quick_max_wait" env:"HOOKWORKER_RETRY_QUICK_MAX_WAIT"`
	// Floor429 is the least delay after a 429 without Retry-After.
	Floor429 time.Duration `yaml:"floor_429" env:"HOOKWORKER_RETRY_FLOOR_429"`
}

// Worker tunes consumption.
type Worker struct {
	// Concurrency is how many events one process handles at once.
	Concurrency int `yaml:"concurrency" env:"HOOKWORKER_CONCURRENCY"`
	// BotShare is the share of Concurrency that the events of one bot
	// may hold at once (at least one event), 0 < BotShare <= 1: an event
	// of a bot at its share is deferred (moved to the retry stream for
	// a second or two, no attempt made), so that one flooding bot cannot
	// take every slot of the fleet. 1: no limit.
	BotShare float64 `yaml:"bot_share" env:"HOOKWORKER_BOT_SHARE"`
	// ParkMax is how many deliveries one process may hold in memory, in
	// arrival order, while their bot is at its share and its events are
	// moving, instead of deferring them: the consumer goes on pulling, so
	// another bot's events stored behind a flood reach a slot at once.
	// At most half of MaxAckPending less a pull batch is used; 0: no
	// parking (an event of a bot at its share is deferred).
	ParkMax int `yaml:"park_max" env:"HOOKWORKER_PARK_MAX"`
	// ParkBytes bounds the payload of one process's parked deliveries.
	ParkBytes int64 `yaml:"park_bytes" env:"HOOKWORKER_PARK_BYTES"`
	// ParkWait is the longest a delivery is meant to stay parked: one
	// that its bot's recent rate of finished events says would wait
	// longer is deferred instead, and one parked longer (its bot's events
	// stopped moving) goes back to the share, which defers it.
	ParkWait time.Duration `yaml:"park_wait" env:"HOOKWORKER_PARK_WAIT"`
	// MaxAckPending bounds unacknowledged events across the whole fleet
	// (a consumer setting).
	MaxAckPending int `yaml:"max_ack_pending" env:"HOOKWORKER_MAX_ACK_PENDING"`
	// AckWait is how long the server waits for an ack before redelivering.
	AckWait time.Duration `yaml:"ack_wait" env:"HOOKWORKER_ACK_WAIT"`
	// MaxDeliver bounds deliveries of one event (a consumer setting).
	MaxDeliver int `yaml:"max_deliver" env:"HOOKWORKER_MAX_DELIVER"`
	// PullExpiry bounds one pull request; a short value limits a stalled
	// pull to this long (a pull the server lost while the client thinks it
	// outstanding ends only when the client's heartbeat check expires it,
	// seen with nats.go v1.55 and nats-server v2.15).
	PullExpiry time.Duration `yaml:"pull_expiry" env:"HOOKWORKER_PULL_EXPIRY"`
	// PullBatch is the most events one pull asks for (the client's
	// buffer; it pulls again once half is used); 0: twice Concurrency,
	// at most MaxAckPending. Larger
	// pulls cost the server less per event, but buffered events already
	// count against MaxAckPending and their AckWait is running.
	PullBatch int `yaml:"pull_batch" env:"HOOKWORKER_PULL_BATCH"`
	// ShutdownGrace is how long in-flight events may run after SIGTERM
	// before they are handed back.
	ShutdownGrace time.Duration `yaml:"shutdown_grace" env:"HOOKWORKER_SHUTDOWN_GRACE"`
	// StreamRefresh is how often the worker re-reads which streams capture
	// reply subjects (to choose JetStream or core publish for Results).
	StreamRefresh time.Duration `yaml:"stream_refresh" env:"HOOKWORKER_STREAM_REFRESH"`
	// TopologyCheck is how often the worker checks that the streams,
	// consumers and buckets it created still exist, and recreates those
	// that do not (with the settings they last had); 0: never.
	TopologyCheck time.Duration `yaml:"topology_check" env:"HOOKWORKER_TOPOLOGY_CHECK"`
	// GCPercent is the Go garbage collector's target (GOGC) for `run`: a
	// higher value trades memory for CPU. The GOGC environment variable,
	// when set, wins. -1 turns the collector off (do not).
	GCPercent int `yaml:"gc_percent" env:"HOOKWORKER_GC_PERCENT"`
}

// Ordering runs the events of one conversation one after another, in
// firing order, for events published to the ordered subjects
// (<names.ordered_prefix>.<bot_id>.<conversation_id>). The trigger stream
// maps each conversation to one of Partitions partitions (a subject
// transform); each partition has its own durable consumer that lets one
// event at a time be in flight across the fleet (MaxAckPending 1), so
// different conversations still run in parallel. Events on the fired
// subjects are not affected.
type Ordering struct {
	// Partitions is the number of ordered lanes; 0: no ordered subjects
	// on a stream without them. The trigger stream's lane count holds: a
	// worker configured with another one refuses to start (changing it
	// takes draining the lanes and editing the stream, see
	// docs/configuration.md).
	Partitions int `yaml:"partitions" env:"HOOKWORKER_ORDERING_PARTITIONS"`
}

// Isolation keeps one target host from hurting the others: a host over
// its limits, or whose circuit breaker is open, has its events handed back
// to JetStream with a delay instead of holding worker slots.
type Isolation struct {
	// PerHostConcurrency bounds the attempts in flight to one host (host
	// and port) in this process; 0: no bound beyond worker.concurrency.
	PerHostConcurrency int `yaml:"per_host_concurrency" env:"HOOKWORKER_ISOLATION_PER_HOST_CONCURRENCY"`
	// Rate bounds the attempts per second to one host (token bucket of
	// Burst); 0: no bound.
	Rate  float64 `yaml:"rate" env:"HOOKWORKER_ISOLATION_RATE"`
	Burst int     `yaml:"burst" env:"HOOKWORKER_ISOLATION_BURST"`
	// The circuit breaker opens when, over BreakerWindow, at least
	// BreakerMinRequests attempts to a host finished and at least
	// BreakerFailureRatio of them failed (network, timeout, 5xx, 429); it
	// stays open BreakerOpenFor, then lets BreakerProbes attempts through
	// and closes when they succeed. BreakerFailureRatio 0 turns it off.
	BreakerFailureRatio float64       `yaml:"breaker_failure_ratio" env:"HOOKWORKER_ISOLATION_BREAKER_FAILURE_RATIO"`
	BreakerMinRequests  int           `yaml:"breaker_min_requests" env:"HOOKWORKER_ISOLATION_BREAKER_MIN_REQUESTS"`
	BreakerWindow       time.Duration `yaml:"breaker_window" env:"HOOKWORKER_ISOLATION_BREAKER_WINDOW"`
	BreakerOpenFor      time.Duration `yaml:"breaker_open_for" env:"HOOKWORKER_ISOLATION_BREAKER_OPEN_FOR"`
	BreakerProbes       int           `yaml:"breaker_probes" env:"HOOKWORKER_ISOLATION_BREAKER_PROBES"`
}

// HTTP tunes the shared HTTP client.
type HTTP struct {
	// MaxResponseBytes caps a response body; more is a too_large failure.
	MaxResponseBytes int64 `yaml:"max_response_bytes" env:"HOOKWORKER_MAX_RESPONSE_BYTES"`
	// MaxIdleConnsPerHost is the keep-alive pool per target host.
	MaxIdleConnsPerHost int `yaml:"max_idle_conns_per_host" env:"HOOKWORKER_MAX_IDLE_CONNS_PER_HOST"`
	// UserAgent is sent with every request.
	UserAgent string `yaml:"user_agent" env:"HOOKWORKER_USER_AGENT"`
	// Allow lists CIDRs (or addresses) that requests may reach although
	// the egress guard refuses their range (loopback, private networks,
	// link-local, ...). Empty: only public addresses. A development
	// setup allows loopback; a production one should not.
	Allow []string `yaml:"allow" env:"HOOKWORKER_HTTP_ALLOW"`
	// HTTPSOnly refuses plain http targets.
	HTTPSOnly bool `yaml:"https_only" env:"HOOKWORKER_HTTP_HTTPS_ONLY"`
	// MaxRedirects is how many redirects a request follows, each hop
	// checked by the egress guard; 0: none (a 3xx is the answer).
	MaxRedirects int `yaml:"max_redirects" env:"HOOKWORKER_HTTP_MAX_REDIRECTS"`
}

// Webhooks locates webhook definitions.
type Webhooks struct {
	// Dir holds webhook definitions (*.yaml, *.yml, *.json) by id.
	Dir string `yaml:"dir" env:"HOOKWORKER_WEBHOOKS_DIR"`
	// TemplatesDir holds the Webhook Template marketplace (*.yaml).
	TemplatesDir string `yaml:"templates_dir" env:"HOOKWORKER_TEMPLATES_DIR"`
	// Bucket is the NATS KV bucket of definitions, watched by every
	// worker; its entries win over files of the same id. Empty: none.
	Bucket string `yaml:"bucket" env:"HOOKWORKER_WEBHOOKS_BUCKET"`
}

// Secrets are what {{ secrets.NAME }} resolves. In an event of bot B it
// resolves B's own secret NAME (the bucket), or, when NAME is shared, the
// worker's own: a HOOKWORKER_SECRET_<NAME> environment variable or the
// file NAME in Dir. Nothing else: not another bot's secret, not an
// unshared one of the worker's.
type Secrets struct {
	// Dir holds one file per secret, named after it (Docker or Kubernetes
	// secret mounts). Empty: none.
	Dir string `yaml:"dir" env:"HOOKWORKER_SECRETS_DIR"`
	// Shared lists the names of the worker's own secrets (environment and
	// Dir) that every bot's events may use, each name written out (no
	// wildcard). Empty: the worker's own secrets reach no bot.
	Shared []string `yaml:"shared" env:"HOOKWORKER_SECRETS_SHARED"`
	// Bucket is the KV bucket of bot secrets (`hookworker secret put`),
	// sealed for the workers' key. Empty: no bot secrets.
	Bucket string `yaml:"bucket" env:"HOOKWORKER_SECRETS_BUCKET"`
	// KeyFile holds the workers' sealing key: curve seeds (SX...), one
	// per line, the current one first (older ones still open what was
	// sealed for them). A worker publishes the current key's public half
	// in the bucket when the bucket names none. Empty, with Key empty
	// too: with the embedded server, <embedded.store_dir>/secrets.nk
	// (made when missing); otherwise bot secrets are off.
	KeyFile string `yaml:"key_file" env:"HOOKWORKER_SECRETS_KEY_FILE"`
	// Key is a sealing key seed (SX...) given directly, instead of KeyFile.
	Key string `yaml:"key" env:"HOOKWORKER_SECRETS_KEY" secret:"true"`
	// PublicKey is the workers' public sealing key (X...) that `hookworker
	// secret put` seals for. Empty: the one the bucket names. A writer
	// that is given it trusts no one who can write the bucket.
	PublicKey string `yaml:"public_key" env:"HOOKWORKER_SECRETS_PUBLIC_KEY"`
}

// Results configures where Results may go.
type Results struct {
	// ReplyAllow, when not empty, lists the subjects (wildcards allowed,
	// such as _INBOX.>) an event's reply_to may name, beyond its own bot's
	// result subjects; an event naming another is invalid_event. Empty:
	// any subject the contract does not refuse (JetStream, KV, object
	// store and system subjects, the trigger, ordered, replay, retry and
	// dead-letter subjects, another bot's results, the service API).
	ReplyAllow []string `yaml:"reply_allow" env:"HOOKWORKER_RESULTS_REPLY_ALLOW"`
}

// Log configures logging.
type Log struct {
	// Level is debug, info, warn or error.
	Level string `yaml:"level" env:"HOOKWORKER_LOG_LEVEL"`
	// Format is json (production) or console (development).
	Format string `yaml:"format" env:"HOOKWORKER_LOG_FORMAT"`
	// SuccessSample samples the info lines of succeeded and skipped
	// events ("event done"): each second the first SuccessSample are
	// written, then one in SuccessSample. Failed events are always
	// written. 0 writes every line.
	SuccessSample int `yaml:"success_sample" env:"HOOKWORKER_LOG_SUCCESS_SAMPLE"`
}

// Ops is the operations listener of `hookworker run`: Prometheus metrics
// and health probes over HTTP.
type Ops struct {
	// Listen is the host:port serving /metrics, /healthz and /readyz
	// (port 0: any free port). Empty, or "off" (the environment cannot
	// set an empty value): no listener.
	Listen string `yaml:"listen" env:"HOOKWORKER_OPS_LISTEN"`
	// Pprof adds Go's profiles under /debug/pprof/ to the listener, for
	// diagnosing CPU and memory use. Off by default: profiles reveal
	// internals, so enable it only where operators alone reach the port.
	Pprof bool `yaml:"pprof" env:"HOOKWORKER_OPS_PPROF"`
}

// Addr is the address to listen on, or "" when the listener is off.
func (o Ops) Addr() string {
	if strings.EqualFold(strings.TrimSpace(o.Listen), "off") {
		return ""
	}
	return o.Listen
}

// Render bounds what one template may cost (docs/jinja.md, "Bounds").
// Each bound holds for every request template, condition and mapper; one
// exceeded fails only that event, with an error naming its key. The
// defaults are those of render.DefaultLimits.
type Render struct {
	// MaxTemplateSize is the largest template source accepted, in bytes.
	MaxTemplateSize int `yaml:"max_template_size" env:"HOOKWORKER_RENDER_MAX_TEMPLATE_SIZE"`
	// MaxDepth bounds the nesting of a template (brackets, statements,
	// links of a.b.c and x|f|g chains), checked while parsing.
	MaxDepth int `yaml:"max_depth" env:"HOOKWORKER_RENDER_MAX_DEPTH"`
	// MaxOutput is the largest output of one template, in bytes.
	MaxOutput int `yaml:"max_output" env:"HOOKWORKER_RENDER_MAX_OUTPUT"`
	// MaxMemory bounds the bytes of the values one request's templates,
	// condition and mappers build, counted before each is built.
	MaxMemory int64 `yaml:"max_memory" env:"HOOKWORKER_RENDER_MAX_MEMORY"`
	// MaxSteps bounds the work of one request's templates, condition and
	// mappers: a deterministic count of expression nodes, loop turns and
	// items handled.
	MaxSteps int64 `yaml:"max_steps" env:"HOOKWORKER_RENDER_MAX_STEPS"`
	// MaxCallDepth bounds macro calls and recursive loops inside one
	// another.
	MaxCallDepth int `yaml:"max_call_depth" env:"HOOKWORKER_RENDER_MAX_CALL_DEPTH"`
}
