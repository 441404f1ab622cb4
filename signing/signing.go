package signing

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// The Standard Webhooks headers. [SignRequest] sets them with
// [http.Header.Set], which canonicalizes them (Webhook-Id and so on); header
// names are case-insensitive.
const (
	HeaderID        = "webhook-id"
	HeaderTimestamp = "webhook-timestamp"
	HeaderSignature = "webhook-signature"
)

// SecretPrefix marks a secret serialized per the spec: base64 of the key.
const SecretPrefix = "whsec_"

// DefaultTolerance is the replay window the official libraries use.
const DefaultTolerance = 5 * time.Minute

// version is the signature identifier of the symmetric (HMAC-SHA256) scheme.
const version = "v1"

// Errors returned by [Verify], for [errors.Is].
var (
	ErrMissingHeader    = errors.New("signing: missing webhook header")
	ErrBadTimestamp     = errors.New("signing: webhook-timestamp is not an integer")
	ErrTimestampTooOld  = errors.New("signing: webhook-timestamp too old")
	ErrTimestampTooNew  = errors.New("signing: webhook-timestamp too new")
	ErrNoMatch          = errors.New("signing: no matching signature")
	ErrNoSecrets        = errors.New("signing: no secrets")
	ErrInvalidTolerance = errors.New("signing: tolerance must be positive")
)

// Signer signs requests with one or more secrets (several during rotation:
// one signature each).
type Signer struct {
	keys [][]byte
}

// NewSigner parses secrets: "whsec_<base64>" is decoded, anything else is
// used byte for byte. It fails on an empty list, on an empty key and on bad
// base64, naming the secret by its index and never printing it.
func NewSigner(secrets []string) (*Signer, error) {
	keys, err := parseSecrets(secrets)
	if err != nil {
		return nil, err
	}
	return &Signer{keys: keys}, nil
}

func parseSecrets(secrets []string) ([][]byte, error) {
	if len(secrets) == 0 {
		return nil, ErrNoSecrets
	}
	keys := make([][]byte, len(secrets))
	for i, s := range secrets {
		k, err := parseSecret(s)
		if err != nil {
			return nil, fmt.Errorf("signing: secret[%d]: %w", i, err)
		}
		keys[i] = k
	}
	return keys, nil
}

func parseSecret(s string) ([]byte, error) {
	enc, ok := strings.CutPrefix(s, SecretPrefix)
	if !ok {
		if s == "" {
			return nil, errors.New("empty")
		}
		return []byte(s), nil
	}
	k, err := base64.StdEncoding.DecodeString(enc)
	if err != nil {
		// Unpadded base64 is common (the Python library accepts it).
		k, err = base64.RawStdEncoding.DecodeString(enc)
	}
	if err != nil {
		// The error is not wrapped: the position it names is harmless, but
		// keep the message free of anything derived from the secret.
		return nil, errors.New("invalid base64 after " + SecretPrefix)
	}
	if len(k) == 0 {
		return nil, errors.New("empty key after " + SecretPrefix)
	}
	return k, nil
}

// String reports the number of secrets, never the secrets.
func (s *Signer) String() string {
	return fmt.Sprintf("signing.Signer{%d secrets}", len(s.keys))
}

// GoString is String, so %#v does not print the keys either.
func (s *Signer) GoString() string { return s.String() }

// Sign returns the webhook-signature header value for the message: one
// "v1,<base64>" per secret, in the order given to [NewSigner], separated by
// single spaces. ts is truncated to unix seconds.
func (s *Signer) Sign(msgID string, ts time.Time, body []byte) string {
	content := signedContent(msgID, ts.Unix(), body)
	var b strings.Builder
	for i, k := range s.keys {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(version)
		b.WriteByte(',')
		b.WriteString(base64.StdEncoding.EncodeToString(mac(k, content)))
	}
	return b.String()
}

// SignRequest sets webhook-id, webhook-timestamp and webhook-signature on
// req, replacing any values already there. It does not touch the body: the
// request must carry exactly body.
func (s *Signer) SignRequest(req *http.Request, msgID string, ts time.Time, body []byte) {
	if req.Header == nil {
		req.Header = make(http.Header)
	}
	s.SignHeader(req.Header, msgID, ts, body)
}

// SignHeader is SignRequest for the header of a request that carries
// exactly body.
func (s *Signer) SignHeader(h http.Header, msgID string, ts time.Time, body []byte) {
	h.Set(HeaderID, msgID)
	h.Set(HeaderTimestamp, strconv.FormatInt(ts.Unix(), 10))
	h.Set(HeaderSignature, s.Sign(msgID, ts, body))
}

// Verify checks a received webhook: the three headers must be present, the
// timestamp must be within tolerance of now (either way), and some v1
// signature must match some secret (compared in constant time). Signatures
// of other versions are ignored. Secrets are parsed as by [NewSigner];
// tolerance must be positive (see [DefaultTolerance]).
func Verify(secrets []string, h http.Header, body []byte, now time.Time, tolerance time.Duration) error {
	keys, err := parseSecrets(secrets)
	if err != nil {
		return err
	}
	if tolerance <= 0 {
		return ErrInvalidTolerance
	}
	id, tsHeader := h.Get(HeaderID), h.Get(HeaderTimestamp)
	sigs := h.Values(HeaderSignature)
	switch {
	case id == "":
		return fmt.Errorf("%w: %s", ErrMissingHeader, HeaderID)
	case tsHeader == "":
		return fmt.Errorf("%w: %s", ErrMissingHeader, HeaderTimestamp)
	case len(sigs) == 0:
		return fmt.Errorf("%w: %s", ErrMissingHeader, HeaderSignature)
	}
	ts, err := strconv.ParseInt(tsHeader, 10, 64)
	if err != nil {
		return ErrBadTimestamp
	}
	sent := time.Unix(ts, 0)
	if now.Sub(sent) > tolerance {
		return ErrTimestampTooOld
	}
	if sent.Sub(now) > tolerance {
		return ErrTimestampTooNew
	}

	content := signedContent(id, ts, body)
	want := make([][]byte, len(keys))
	for i, k := range keys {
		want[i] = mac(k, content)
	}
	for _, v := range sigs {
		for _, vs := range strings.Fields(v) {
			ver, enc, ok := strings.Cut(vs, ",")
			if !ok || ver != version {
				continue
			}
			got, err := base64.StdEncoding.DecodeString(enc)
			if err != nil {
				continue
			}
			for _, w := range want {
				if hmac.Equal(got, w) {
					return nil
				}
			}
		}
	}
	return ErrNoMatch
}

// signedContent is "<id>.<unix seconds>.<body>".
func signedContent(msgID string, ts int64, body []byte) []byte {
	b := make([]byte, 0, len(msgID)+22+len(body))
	b = append(b, msgID...)
	b = append(b, '.')
	b = strconv.AppendInt(b, ts, 10)
	b = append(b, '.')
	return append(b, body...)
}

func mac(key, content []byte) []byte {
	m := hmac.New(sha256.New, key)
	m.Write(content)
	return m.Sum(nil)
}
