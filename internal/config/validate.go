package config

import (
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/hookworker/hookworker/internal/egress"
	"github.com/hookworker/hookworker/trigger"
	"github.com/nats-io/nkeys"
)

// Validate checks the configuration; the error names the field.
func (c *Config) Validate() error {
	var p problems
	for _, section := range []func(badFunc){
		c.validateNATS, c.validateNames, c.validateWorker, c.validateRetry,
		c.validateIsolation, c.validateHTTP, c.validateRender, c.validateSecrets, c.validateResults, c.validateLog, c.validateOps,
	} {
		section(p.bad)
	}
	return errors.Join(p...)
}

// problems collects what Validate finds, each naming its YAML key.
type problems []error

// badFunc reports one problem with the setting at field.
type badFunc func(field, format string, args ...any)

func (p *problems) bad(field, format string, args ...any) {
	*p = append(*p, fmt.Errorf("%s: %s", field, fmt.Sprintf(format, args...)))
}

// validateNames checks the names of the contract and of the buckets.
func (c *Config) validateNames(bad badFunc) {
	for field, tok := range map[string]string{
		"names.stream": c.Names.Stream, "names.consumer": c.Names.Consumer, "names.dlq_stream": c.Names.DLQStream,
		"names.advisory_stream": c.Names.AdvisoryStream, "names.attempts_bucket": c.Names.AttemptsBucket,
		"names.retry_stream": c.Names.RetryStream,
	} {
		if !trigger.ValidToken(tok) {
			bad(field, "%q is not a valid name", tok)
		}
	}
	for field, s := range map[string]string{
		"names.fired_prefix": c.Names.FiredPrefix, "names.ordered_prefix": c.Names.OrderedPrefix, "names.result_prefix": c.Names.ResultPrefix, "names.dlq_prefix": c.Names.DLQPrefix,
		"names.replay_prefix": c.Names.ReplayPrefix, "names.retry_prefix": c.Names.RetryPrefix,
	} {
		if !trigger.ValidSubject(s) {
			bad(field, "%q is not a valid subject prefix", s)
		}
	}
	// The trigger stream's subject prefixes, and the retry stream's, must
	// not overlap: each decides what an event is (fired, ordered, a
	// replay, a retry that is due).
	prefixes := []struct{ key, p string }{
		{"names.fired_prefix", c.Names.FiredPrefix}, {"names.ordered_prefix", c.Names.OrderedPrefix},
		{"names.replay_prefix", c.Names.ReplayPrefix}, {"names.retry_prefix", c.Names.RetryPrefix},
	}
	for i, a := range prefixes {
		for _, b := range prefixes[:i] {
			if a.p == b.p || strings.HasPrefix(a.p, b.p+".") || strings.HasPrefix(b.p, a.p+".") {
				bad(a.key, "%q overlaps %s %q", a.p, b.key, b.p)
			}
		}
	}
	if p := c.Ordering.Partitions; p < 0 || p > 1024 {
		bad("ordering.partitions", "%d is outside 0..1024", p)
	}
	if b := c.Webhooks.Bucket; b != "" && !validBucket(b) {
		bad("webhooks.bucket", "%q is not a valid bucket name (letters, digits, - and _)", b)
	}
}

func (c *Config) validateWorker(bad badFunc) {
	w := c.Worker
	if w.Concurrency < 1 || w.Concurrency > 10000 {
		bad("worker.concurrency", "%d is outside 1..10000", w.Concurrency)
	}
	if !(w.BotShare > 0 && w.BotShare <= 1) {
		bad("worker.bot_share", "%v is outside (0, 1]", w.BotShare)
	}
	if w.ParkMax < 0 || w.ParkMax > 1_000_000 {
		bad("worker.park_max", "%d is outside 0..1000000", w.ParkMax)
	}
	if w.ParkBytes < 0 {
		bad("worker.park_bytes", "%d is negative", w.ParkBytes)
	}
	if w.ParkMax > 0 && (w.ParkWait < 100*time.Millisecond || w.ParkWait > 10*time.Minute) {
		bad("worker.park_wait", "%s is outside 100ms..10m", w.ParkWait)
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
	if w.PullBatch < 0 || w.PullBatch > w.MaxAckPending {
		bad("worker.pull_batch", "%d is outside 0..worker.max_ack_pending (%d)", w.PullBatch, w.MaxAckPending)
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
	if w.TopologyCheck != 0 && (w.TopologyCheck < 100*time.Millisecond || w.TopologyCheck > 25*time.Second) {
		bad("worker.topology_check", "%s: want 100ms to 25s (what is deleted is recreated within it and a few seconds), or 0 for never", w.TopologyCheck)
	}
}

func (c *Config) validateRetry(bad badFunc) {
	r, w := c.Retry, c.Worker
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
}

func (c *Config) validateIsolation(bad badFunc) {
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
}

func (c *Config) validateHTTP(bad badFunc) {
	if c.HTTP.MaxResponseBytes < 1 {
		bad("http.max_response_bytes", "must be positive")
	}
	if c.HTTP.MaxRedirects < 0 || c.HTTP.MaxRedirects > 20 {
		bad("http.max_redirects", "%d is outside 0..20", c.HTTP.MaxRedirects)
	}
	for i, a := range c.HTTP.Allow {
		if _, err := egress.ParseAllow([]string{a}); err != nil {
			bad(fmt.Sprintf("http.allow[%d]", i), "%q is not a CIDR, an address or a host name (*.name allowed), with an optional :port", a)
		}
	}
	if c.HTTP.MaxIdleConnsPerHost < 1 {
		bad("http.max_idle_conns_per_host", "must be positive")
	}
}

// validateSecrets checks the shared names (written out, no wildcard),
// the bucket and the sealing keys.
func (c *Config) validateSecrets(bad badFunc) {
	sc := c.Secrets
	for i, n := range sc.Shared {
		field := fmt.Sprintf("secrets.shared[%d]", i)
		switch {
		case strings.ContainsAny(n, "*?>"):
			bad(field, "%q: no wildcards; list each shared name", n)
		case !secretName(n):
			bad(field, "%q is not a secret name (letters, digits, _ and -)", n)
		}
	}
	if b := sc.Bucket; b != "" && !validBucket(b) {
		bad("secrets.bucket", "%q is not a valid bucket name (letters, digits, - and _)", b)
	}
	if sc.KeyFile != "" && sc.Key != "" {
		bad("secrets.key", "give secrets.key or secrets.key_file, not both")
	}
	fileExists(bad, "secrets.key_file", sc.KeyFile)
	if sc.Key != "" {
		if _, err := nkeys.FromCurveSeed([]byte(strings.TrimSpace(sc.Key))); err != nil {
			bad("secrets.key", "not a curve seed (SX...; `hookworker secret keygen` makes one)")
		}
	}
	if k := sc.PublicKey; k != "" && !nkeys.IsValidPublicCurveKey(k) {
		bad("secrets.public_key", "%q is not a public curve key (X...)", k)
	}
}

// secretName reports whether s can name a secret.
func secretName(s string) bool {
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return s != "" && len(s) <= 128
}

// validateResults checks the reply allow list's patterns.
func (c *Config) validateResults(bad badFunc) {
	for i, p := range c.Results.ReplyAllow {
		if !validPattern(p) {
			bad(fmt.Sprintf("results.reply_allow[%d]", i), "%q is not a subject pattern (tokens, * for one, > for the rest)", p)
		}
	}
}

// validPattern reports whether s is a NATS subject, possibly with
// wildcards: * for a whole token, > for the last one.
func validPattern(s string) bool {
	toks := strings.Split(s, ".")
	for i, t := range toks {
		switch {
		case t == ">":
			if i != len(toks)-1 {
				return false
			}
		case t == "*":
		case !trigger.ValidToken(t):
			return false
		}
	}
	return s != ""
}

func (c *Config) validateLog(bad badFunc) {
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
	if c.Log.SuccessSample < 0 || c.Log.SuccessSample > 1_000_000 {
		bad("log.success_sample", "%d is outside 0..1000000", c.Log.SuccessSample)
	}
}

func (c *Config) validateOps(bad badFunc) {
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
}

// validateNATS checks the client's security settings and, when the
// embedded server is used, the embedded server's.
func (c *Config) validateNATS(bad badFunc) {
	n := c.NATS
	if r := n.Replicas; r < 1 || r > 5 {
		bad("nats.replicas", "%d is outside 1..5", r)
	}
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
	if e.Port < 0 || e.Port > 65535 {
		bad("embedded.port", "%d is not a port", e.Port)
	}
	if e.StoreDir == "" {
		bad("embedded.store_dir", "required when nats.url is empty")
	}
	if !loopbackHost(e.Host) && !e.RequiresAuth() {
		bad("embedded.host", "%q listens beyond loopback: set embedded.token, embedded.user/password or embedded.nkeys, or listen on 127.0.0.1", e.Host)
	}
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
func pair(bad badFunc, f1, v1, f2, v2 string) {
	switch {
	case v1 != "" && v2 == "":
		bad(f2, "required with %s", f1)
	case v1 == "" && v2 != "":
		bad(f1, "required with %s", f2)
	}
}

// fileExists reports a named file that is missing or not a regular file.
func fileExists(bad badFunc, field, path string) {
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

// loopbackHost: "localhost" or a loopback address (the embedded server's
// own rule, natsd.LoopbackHost).
func loopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(strings.Trim(host, "[]"))
	return ip != nil && ip.IsLoopback()
}

// validateRender checks the template bounds. The nesting bound has a
// ceiling: the parser and evaluator recurse per level, and a deeper
// template must never reach Go's stack limit.
func (c *Config) validateRender(bad badFunc) {
	r := c.Render
	for _, b := range []struct {
		field     string
		v, lo, hi int64
	}{
		{"render.max_template_size", int64(r.MaxTemplateSize), 1, 16 << 20},
		{"render.max_depth", int64(r.MaxDepth), 1, 1000},
		{"render.max_output", int64(r.MaxOutput), 1, 64 << 20},
		{"render.max_memory", r.MaxMemory, 1 << 10, 1 << 30},
		{"render.max_steps", r.MaxSteps, 1000, 1_000_000_000},
		{"render.max_call_depth", int64(r.MaxCallDepth), 1, 1000},
	} {
		if b.v < b.lo || b.v > b.hi {
			bad(b.field, "%d is out of range (%d to %d)", b.v, b.lo, b.hi)
		}
	}
}
