// Package config is hookworker's process configuration: a struct with
// documented fields and defaults, read from a YAML file and overridden by
// HOOKWORKER_* environment variables, checked by Validate before anything
// starts.
//
// Every field's YAML key and environment variable are in its struct tags;
// configs/hookworker.yaml documents each of them.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nkeys"
	"go.yaml.in/yaml/v3"

	"github.com/hookworker/hookworker/trigger"
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
	Secrets   Secrets   `yaml:"secrets"`
	Log       Log       `yaml:"log"`
	Ops       Ops       `yaml:"ops"`
}

// NATS is how to reach the NATS server.
type NATS struct {
	// URL of the NATS server(s), comma separated. Empty: start an embedded
	// JetStream server (see Embedded) and connect to it.
	URL string `yaml:"url" env:"HOOKWORKER_NATS_URL"`
	// Name is the client connection name shown by the server.
	Name string `yaml:"name" env:"HOOKWORKER_NATS_NAME"`
	// Replicas is how many copies of each stream and KV bucket hookworker
	// creates when it is missing (trigger, dead letters, advisories,
	// attempts and webhook buckets): 1, or 3 (or 5) on a cluster. Existing
	// ones keep their own; consumers follow their stream.
	Replicas int `yaml:"replicas" env:"HOOKWORKER_NATS_REPLICAS"`

	// At most one way to authenticate: User and Password, Token,
	// NKeySeedFile or CredsFile. None: no credentials are sent, except
	// that a client of the embedded server (URL empty) uses the embedded
	// server's Token or User and Password (see Embedded).

	// User and Password authenticate with a username and password.
	User     string `yaml:"user" env:"HOOKWORKER_NATS_USER"`
	Password string `yaml:"password" env:"HOOKWORKER_NATS_PASSWORD"`
	// Token authenticates with a token.
	Token string `yaml:"token" env:"HOOKWORKER_NATS_TOKEN"`
	// NKeySeedFile is a file holding a user NKey seed (SU...): the client
	// signs the server's challenge with it.
	NKeySeedFile string `yaml:"nkey_seed_file" env:"HOOKWORKER_NATS_NKEY_SEED_FILE"`
	// CredsFile is a .creds file (user JWT and NKey seed) of a server in
	// operator (decentralised JWT) mode.
	CredsFile string `yaml:"creds_file" env:"HOOKWORKER_NATS_CREDS_FILE"`
	// TLS: any of its files set makes the client require TLS.
	TLS ClientTLS `yaml:"tls"`
}

// ClientTLS is the client side of TLS to the NATS server. There is no
// way to skip verification of the server's certificate.
type ClientTLS struct {
	// CAFile holds the PEM certificate(s) that signed the server's
	// certificate. Empty: the system's roots (for the embedded server
	// with TLS: its own certificate, Embedded.TLS.CertFile).
	CAFile string `yaml:"ca_file" env:"HOOKWORKER_NATS_TLS_CA_FILE"`
	// CertFile and KeyFile are the client certificate and its key (PEM),
	// for a server that verifies clients; both or neither.
	CertFile string `yaml:"cert_file" env:"HOOKWORKER_NATS_TLS_CERT_FILE"`
	KeyFile  string `yaml:"key_file" env:"HOOKWORKER_NATS_TLS_KEY_FILE"`
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
	Token string `yaml:"token" env:"HOOKWORKER_EMBEDDED_TOKEN"`
	// User and Password, when set, are required of every client.
	User     string `yaml:"user" env:"HOOKWORKER_EMBEDDED_USER"`
	Password string `yaml:"password" env:"HOOKWORKER_EMBEDDED_PASSWORD"`
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
	// MaxAckPending bounds unacknowledged events across the whole fleet
	// (a consumer setting).
	MaxAckPending int `yaml:"max_ack_pending" env:"HOOKWORKER_MAX_ACK_PENDING"`
	// AckWait is how long the server waits for an ack before redelivering.
	AckWait time.Duration `yaml:"ack_wait" env:"HOOKWORKER_ACK_WAIT"`
	// MaxDeliver bounds deliveries of one event (a consumer setting).
	MaxDeliver int `yaml:"max_deliver" env:"HOOKWORKER_MAX_DELIVER"`
	// PullExpiry bounds one pull request; a short value limits a stalled
	// pull (see PITFALLS) to this long.
	PullExpiry time.Duration `yaml:"pull_expiry" env:"HOOKWORKER_PULL_EXPIRY"`
	// ShutdownGrace is how long in-flight events may run after SIGTERM
	// before they are handed back.
	ShutdownGrace time.Duration `yaml:"shutdown_grace" env:"HOOKWORKER_SHUTDOWN_GRACE"`
	// StreamRefresh is how often the worker re-reads which streams capture
	// reply subjects (to choose JetStream or core publish for Results).
	StreamRefresh time.Duration `yaml:"stream_refresh" env:"HOOKWORKER_STREAM_REFRESH"`
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

// Secrets locates the worker's secrets. HOOKWORKER_SECRET_<NAME>
// environment variables are always read; a directory adds files.
type Secrets struct {
	// Dir holds one file per secret, named after it (Docker or Kubernetes
	// secret mounts). Empty: none.
	Dir string `yaml:"dir" env:"HOOKWORKER_SECRETS_DIR"`
}

// Log configures logging.
type Log struct {
	// Level is debug, info, warn or error.
	Level string `yaml:"level" env:"HOOKWORKER_LOG_LEVEL"`
	// Format is json (production) or console (development).
	Format string `yaml:"format" env:"HOOKWORKER_LOG_FORMAT"`
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

// Default returns the configuration with every default filled in.
func Default() Config {
	return Config{
		Embedded: Embedded{Host: "127.0.0.1", Port: 4222, StoreDir: "./data", NKeys: []string{}},
		NATS:     NATS{Name: "hookworker", Replicas: 1},
		Names: Names{
			Stream:         trigger.DefaultStream,
			FiredPrefix:    trigger.DefaultFiredPrefix,
			OrderedPrefix:  trigger.DefaultOrderedPrefix,
			Consumer:       "hookworker",
			ResultPrefix:   trigger.DefaultResultPrefix,
			DLQStream:      trigger.DefaultDLQStream,
			DLQPrefix:      trigger.DefaultDLQPrefix,
			AdvisoryStream: "CONNECTIONS_ADVISORIES",
			AttemptsBucket: "hookworker-attempts",
		},
		Retry: Retry{
			MaxAttempts: 8,
			MaxAge:      24 * time.Hour,
			MaxDelay:    10 * time.Hour,
			Schedule: []time.Duration{
				5 * time.Second, 5 * time.Minute, 30 * time.Minute,
				2 * time.Hour, 5 * time.Hour, 10 * time.Hour,
			},
			QuickAttempts: 2,
			QuickInitial:  200 * time.Millisecond,
			QuickMaxWait:  2 * time.Second,
			Floor429:      5 * time.Second,
		},
		Worker: Worker{
			Concurrency:   64,
			MaxAckPending: 1024,
			AckWait:       30 * time.Second,
			MaxDeliver:    20,
			PullExpiry:    5 * time.Second,
			ShutdownGrace: 20 * time.Second,
			StreamRefresh: 5 * time.Second,
			GCPercent:     400,
		},
		Ordering: Ordering{Partitions: 8},
		Isolation: Isolation{
			BreakerFailureRatio: 0.5,
			BreakerMinRequests:  20,
			BreakerWindow:       30 * time.Second,
			BreakerOpenFor:      30 * time.Second,
			BreakerProbes:       1,
		},
		HTTP: HTTP{
			MaxResponseBytes:    1 << 20,
			MaxIdleConnsPerHost: 64,
			UserAgent:           "hookworker/1",
		},
		Webhooks: Webhooks{Dir: "configs/webhooks", TemplatesDir: "configs/templates", Bucket: "hookworker-webhooks"},
		Log:      Log{Level: "info", Format: "console"},
		Ops:      Ops{Listen: "127.0.0.1:9464"},
	}
}

// Load reads the YAML file at path (if path is not empty) over the
// defaults, then applies environment overrides from getenv.
func Load(path string, getenv func(string) string) (Config, error) {
	cfg := Default()
	if path != "" {
		data, err := os.ReadFile(path)
		if err != nil {
			return cfg, fmt.Errorf("config: %w", err)
		}
		dec := yaml.NewDecoder(bytes.NewReader(data))
		dec.KnownFields(true)
		if err := dec.Decode(&cfg); err != nil && err.Error() != "EOF" {
			return cfg, fmt.Errorf("config %s: %w", path, err)
		}
	}
	if err := applyEnv(reflect.ValueOf(&cfg).Elem(), getenv); err != nil {
		return cfg, fmt.Errorf("config: %w", err)
	}
	return cfg, nil
}

func applyEnv(v reflect.Value, getenv func(string) string) error {
	t := v.Type()
	for i := 0; i < t.NumField(); i++ {
		f, fv := t.Field(i), v.Field(i)
		if f.Type.Kind() == reflect.Struct {
			if err := applyEnv(fv, getenv); err != nil {
				return err
			}
			continue
		}
		name := f.Tag.Get("env")
		if name == "" {
			continue
		}
		s := getenv(name)
		if s == "" {
			continue
		}
		switch {
		case f.Type == reflect.TypeFor[[]time.Duration]():
			var ds []time.Duration
			for _, part := range strings.Split(s, ",") {
				d, err := time.ParseDuration(strings.TrimSpace(part))
				if err != nil {
					return fmt.Errorf("%s: %q is not a list of durations such as 5s,5m,30m", name, s)
				}
				ds = append(ds, d)
			}
			fv.Set(reflect.ValueOf(ds))
		case f.Type == reflect.TypeFor[[]string]():
			var list []string
			for _, part := range strings.Split(s, ",") {
				if part = strings.TrimSpace(part); part != "" {
					list = append(list, part)
				}
			}
			fv.Set(reflect.ValueOf(list))
		case f.Type == reflect.TypeFor[time.Duration]():
			d, err := time.ParseDuration(s)
			if err != nil {
				return fmt.Errorf("%s: %q is not a duration such as 5s", name, s)
			}
			fv.SetInt(int64(d))
		case f.Type.Kind() == reflect.String:
			fv.SetString(s)
		case f.Type.Kind() == reflect.Int || f.Type.Kind() == reflect.Int64:
			n, err := strconv.ParseInt(s, 10, 64)
			if err != nil {
				return fmt.Errorf("%s: %q is not an integer", name, s)
			}
			fv.SetInt(n)
		case f.Type.Kind() == reflect.Float64:
			x, err := strconv.ParseFloat(s, 64)
			if err != nil {
				return fmt.Errorf("%s: %q is not a number", name, s)
			}
			fv.SetFloat(x)
		case f.Type.Kind() == reflect.Bool:
			b, err := strconv.ParseBool(s)
			if err != nil {
				return fmt.Errorf("%s: %q is not true or false", name, s)
			}
			fv.SetBool(b)
		}
	}
	return nil
}

// Validate checks the configuration; the error names the field.
func (c *Config) Validate() error {
	var errs []error
	bad := func(field, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", field, fmt.Sprintf(format, args...)))
	}
	if c.NATS.URL == "" {
		if c.Embedded.Port < 0 || c.Embedded.Port > 65535 {
			bad("embedded.port", "%d is not a port", c.Embedded.Port)
		}
		if c.Embedded.StoreDir == "" {
			bad("embedded.store_dir", "required when nats.url is empty")
		}
	}
	c.validateNATS(bad)
	if r := c.NATS.Replicas; r < 1 || r > 5 {
		bad("nats.replicas", "%d is outside 1..5", r)
	}
	for field, tok := range map[string]string{
		"names.stream": c.Names.Stream, "names.consumer": c.Names.Consumer, "names.dlq_stream": c.Names.DLQStream,
		"names.advisory_stream": c.Names.AdvisoryStream, "names.attempts_bucket": c.Names.AttemptsBucket,
	} {
		if !trigger.ValidToken(tok) {
			bad(field, "%q is not a valid name", tok)
		}
	}
	for field, s := range map[string]string{
		"names.fired_prefix": c.Names.FiredPrefix, "names.ordered_prefix": c.Names.OrderedPrefix, "names.result_prefix": c.Names.ResultPrefix, "names.dlq_prefix": c.Names.DLQPrefix,
	} {
		if !trigger.ValidSubject(s) {
			bad(field, "%q is not a valid subject prefix", s)
		}
	}
	if f, o := c.Names.FiredPrefix, c.Names.OrderedPrefix; f == o || strings.HasPrefix(o, f+".") || strings.HasPrefix(f, o+".") {
		bad("names.ordered_prefix", "%q overlaps names.fired_prefix %q", o, f)
	}
	if p := c.Ordering.Partitions; p < 0 || p > 1024 {
		bad("ordering.partitions", "%d is outside 0..1024", p)
	}
	if b := c.Webhooks.Bucket; b != "" && !validBucket(b) {
		bad("webhooks.bucket", "%q is not a valid bucket name (letters, digits, - and _)", b)
	}
	w := c.Worker
	if w.Concurrency < 1 || w.Concurrency > 10000 {
		bad("worker.concurrency", "%d is outside 1..10000", w.Concurrency)
	}
	if w.MaxAckPending < w.Concurrency {
		bad("worker.max_ack_pending", "%d is below worker.concurrency (%d)", w.MaxAckPending, w.Concurrency)
	}
	if w.AckWait < time.Second {
		bad("worker.ack_wait", "%s is below 1s", w.AckWait)
	}
	if w.MaxDeliver < 1 && w.MaxDeliver != -1 {
		bad("worker.max_deliver", "%d: want a positive number, or -1 for no limit", w.MaxDeliver)
	}
	if w.PullExpiry < time.Second {
		bad("worker.pull_expiry", "%s is below 1s", w.PullExpiry)
	}
	if w.ShutdownGrace < 0 {
		bad("worker.shutdown_grace", "negative")
	}
	if w.GCPercent < 10 && w.GCPercent != -1 {
		bad("worker.gc_percent", "%d: want 10 or more (or -1)", w.GCPercent)
	}
	if w.StreamRefresh < 100*time.Millisecond {
		bad("worker.stream_refresh", "%s is below 100ms", w.StreamRefresh)
	}
	r := c.Retry
	if r.MaxAttempts < 1 {
		bad("retry.max_attempts", "%d is below 1", r.MaxAttempts)
	}
	if r.MaxAge <= 0 {
		bad("retry.max_age", "must be positive")
	}
	if r.MaxDelay <= 0 {
		bad("retry.max_delay", "must be positive")
	}
	if len(r.Schedule) == 0 {
		bad("retry.schedule", "needs at least one delay")
	}
	for i, d := range r.Schedule {
		if d <= 0 {
			bad(fmt.Sprintf("retry.schedule[%d]", i), "must be positive")
		}
	}
	if r.QuickAttempts < 0 {
		bad("retry.quick_attempts", "negative")
	}
	if r.QuickInitial <= 0 || r.QuickMaxWait <= 0 || r.Floor429 < 0 {
		bad("retry", "quick_initial and quick_max_wait must be positive, floor_429 not negative")
	}
	if w.MaxDeliver != -1 && w.MaxDeliver < r.MaxAttempts {
		bad("worker.max_deliver", "%d is below retry.max_attempts (%d): events would run out of deliveries", w.MaxDeliver, r.MaxAttempts)
	}
	if c.HTTP.MaxResponseBytes < 1 {
		bad("http.max_response_bytes", "must be positive")
	}
	iso := c.Isolation
	if iso.PerHostConcurrency < 0 {
		bad("isolation.per_host_concurrency", "negative")
	}
	if iso.Rate < 0 || iso.Burst < 0 {
		bad("isolation.rate", "rate and burst must not be negative")
	}
	if iso.BreakerFailureRatio < 0 || iso.BreakerFailureRatio > 1 {
		bad("isolation.breaker_failure_ratio", "%v is outside 0..1", iso.BreakerFailureRatio)
	}
	if iso.BreakerFailureRatio > 0 && (iso.BreakerMinRequests < 1 || iso.BreakerWindow <= 0 || iso.BreakerOpenFor <= 0 || iso.BreakerProbes < 1) {
		bad("isolation", "with a breaker, breaker_min_requests and breaker_probes must be at least 1, breaker_window and breaker_open_for positive")
	}
	if c.HTTP.MaxRedirects < 0 || c.HTTP.MaxRedirects > 20 {
		bad("http.max_redirects", "%d is outside 0..20", c.HTTP.MaxRedirects)
	}
	for i, a := range c.HTTP.Allow {
		if _, err := netip.ParsePrefix(a); err != nil {
			if _, err := netip.ParseAddr(a); err != nil {
				bad(fmt.Sprintf("http.allow[%d]", i), "%q is not a CIDR or an address", a)
			}
		}
	}
	if c.HTTP.MaxIdleConnsPerHost < 1 {
		bad("http.max_idle_conns_per_host", "must be positive")
	}
	switch strings.ToLower(c.Log.Level) {
	case "debug", "info", "warn", "error":
	default:
		bad("log.level", "%q is not debug, info, warn or error", c.Log.Level)
	}
	switch c.Log.Format {
	case "json", "console":
	default:
		bad("log.format", "%q is not json or console", c.Log.Format)
	}
	if a := c.Ops.Addr(); a != "" {
		_, port, err := net.SplitHostPort(a)
		if err == nil {
			var n uint64
			if n, err = strconv.ParseUint(port, 10, 16); err == nil && port != strconv.FormatUint(n, 10) {
				err = errors.New("bad port")
			}
		}
		if err != nil {
			bad("ops.listen", "%q is not host:port (such as 127.0.0.1:9464 or :9464), empty or off", c.Ops.Listen)
		}
	}
	return errors.Join(errs...)
}

// validateNATS checks the client's security settings and, when the
// embedded server is used, the embedded server's.
func (c *Config) validateNATS(bad func(field, format string, args ...any)) {
	n := c.NATS
	if m := n.AuthMethods(); len(m) > 1 {
		bad("nats", "set at most one of user/password, token, nkey_seed_file and creds_file (found %s)", strings.Join(m, ", "))
	}
	pair(bad, "nats.user", n.User, "nats.password", n.Password)
	pair(bad, "nats.tls.cert_file", n.TLS.CertFile, "nats.tls.key_file", n.TLS.KeyFile)
	fileExists(bad, "nats.nkey_seed_file", n.NKeySeedFile)
	fileExists(bad, "nats.creds_file", n.CredsFile)
	fileExists(bad, "nats.tls.ca_file", n.TLS.CAFile)
	fileExists(bad, "nats.tls.cert_file", n.TLS.CertFile)
	fileExists(bad, "nats.tls.key_file", n.TLS.KeyFile)
	if n.URL != "" {
		return // the embedded server is not used
	}
	e := c.Embedded
	if e.Token != "" && (e.User != "" || e.Password != "" || len(e.NKeys) > 0) {
		bad("embedded.token", "cannot be combined with embedded.user/password or embedded.nkeys")
	}
	pair(bad, "embedded.user", e.User, "embedded.password", e.Password)
	for i, k := range e.NKeys {
		if !nkeys.IsValidPublicUserKey(k) {
			bad(fmt.Sprintf("embedded.nkeys[%d]", i), "%q is not a user public key (U...)", k)
		}
	}
	pair(bad, "embedded.tls.cert_file", e.TLS.CertFile, "embedded.tls.key_file", e.TLS.KeyFile)
	if e.TLS.CAFile != "" && e.TLS.CertFile == "" {
		bad("embedded.tls.ca_file", "needs embedded.tls.cert_file and key_file (client certificates are verified over TLS)")
	}
	fileExists(bad, "embedded.tls.cert_file", e.TLS.CertFile)
	fileExists(bad, "embedded.tls.key_file", e.TLS.KeyFile)
	fileExists(bad, "embedded.tls.ca_file", e.TLS.CAFile)
	// The client (run's own connection, fire, ...) must be able to get in.
	if len(e.NKeys) > 0 && e.Token == "" && e.User == "" && len(n.AuthMethods()) == 0 {
		bad("nats.nkey_seed_file", "required: the embedded server accepts only the keys of embedded.nkeys")
	}
	if e.TLS.CAFile != "" && n.TLS.CertFile == "" {
		bad("nats.tls.cert_file", "required: the embedded server verifies client certificates (embedded.tls.ca_file)")
	}
}

// pair reports one of two settings that go together set without the other.
func pair(bad func(field, format string, args ...any), f1, v1, f2, v2 string) {
	switch {
	case v1 != "" && v2 == "":
		bad(f2, "required with %s", f1)
	case v1 == "" && v2 != "":
		bad(f1, "required with %s", f2)
	}
}

// fileExists reports a named file that is missing or not a regular file.
func fileExists(bad func(field, format string, args ...any), field, path string) {
	if path == "" {
		return
	}
	fi, err := os.Stat(path)
	switch {
	case err != nil:
		bad(field, "%v", err)
	case !fi.Mode().IsRegular():
		bad(field, "%s is not a regular file", path)
	}
}

// validBucket reports whether s is a valid KV bucket name.
func validBucket(s string) bool {
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return s != ""
}
