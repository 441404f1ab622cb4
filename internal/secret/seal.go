package secret

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/nats-io/nkeys"
)

// A sealed secret is a JSON record naming the recipient's public curve key
// (X...), the ephemeral sender key the writer made for this one value, and
// the box: nkeys' X25519 + XSalsa20-Poly1305 seal of {bot, name, value}.
// The writer forgets the ephemeral private key at once, so the only key
// that opens the box is the recipient's private one, which only workers
// hold. Bot and name are inside the box and checked on opening: a sealed
// value copied to another bot's or name's key does not open there.

// sealVersion is the record format written by Seal.
const sealVersion = 1

// MaxValueLen bounds one secret value.
const MaxValueLen = 64 << 10

// MaxSealedLen bounds a sealed record: the JSON of a value escapes a byte
// into at most six, the box adds its overhead, base64 a third.
const MaxSealedLen = (6*MaxValueLen+1024)*4/3 + 1024

type sealedRecord struct {
	Version   int    `json:"v"`
	Recipient string `json:"recipient"`
	Sender    string `json:"sender"`
	Box       []byte `json:"box"`
}

type boxed struct {
	Bot   string `json:"bot"`
	Name  string `json:"name"`
	Value string `json:"value"`
}

// Sealer seals values for the holders of one curve key pair: a writer
// needs only the public key.
type Sealer struct {
	recipient string
}

// NewSealer seals for the public curve key (X...) of the workers.
func NewSealer(publicKey string) (*Sealer, error) {
	publicKey = strings.TrimSpace(publicKey)
	if !nkeys.IsValidPublicCurveKey(publicKey) {
		return nil, fmt.Errorf("secret: %q is not a public curve key (X...)", clip(publicKey))
	}
	return &Sealer{recipient: publicKey}, nil
}

// Recipient is the public key the Sealer seals for.
func (s *Sealer) Recipient() string { return s.recipient }

// Seal seals value as bot's secret name.
func (s *Sealer) Seal(bot, name, value string) ([]byte, error) {
	if err := CheckName(name); err != nil {
		return nil, err
	}
	if err := checkBot(bot); err != nil {
		return nil, err
	}
	switch {
	case value == "":
		return nil, errors.New("secret: the value is empty")
	case len(value) > MaxValueLen:
		return nil, fmt.Errorf("secret: the value is %d bytes, over the %d-byte limit", len(value), MaxValueLen)
	}
	eph, err := nkeys.CreateCurveKeys()
	if err != nil {
		return nil, fmt.Errorf("secret: %w", err)
	}
	defer eph.Wipe()
	sender, err := eph.PublicKey()
	if err != nil {
		return nil, fmt.Errorf("secret: %w", err)
	}
	plain, err := json.Marshal(boxed{Bot: bot, Name: name, Value: value})
	if err != nil {
		return nil, fmt.Errorf("secret: %w", err)
	}
	box, err := eph.Seal(plain, s.recipient)
	clear(plain)
	if err != nil {
		return nil, fmt.Errorf("secret: seal: %w", err)
	}
	return json.Marshal(sealedRecord{Version: sealVersion, Recipient: s.recipient, Sender: sender, Box: box})
}

// Opener opens sealed values with the workers' private curve keys.
type Opener struct {
	keys    map[string]nkeys.KeyPair
	current string
}

// NewOpener opens values sealed for any of seeds (SX...); the first is
// the current key, whose public half writers should seal for. More than
// one seed serves a rotation: values sealed for an older key still open.
func NewOpener(seeds [][]byte) (*Opener, error) {
	o := &Opener{keys: map[string]nkeys.KeyPair{}}
	for i, seed := range seeds {
		kp, err := nkeys.FromCurveSeed(bytes.TrimSpace(seed))
		if err != nil {
			return nil, fmt.Errorf("secret: sealing key %d is not a curve seed (SX...): %w", i+1, err)
		}
		pub, err := kp.PublicKey()
		if err != nil {
			return nil, fmt.Errorf("secret: sealing key %d: %w", i+1, err)
		}
		if o.current == "" {
			o.current = pub
		}
		o.keys[pub] = kp
	}
	if o.current == "" {
		return nil, errors.New("secret: no sealing key")
	}
	return o, nil
}

// PublicKey is the public half of the current key.
func (o *Opener) PublicKey() string { return o.current }

// ErrSealed is matched by every failure to open a sealed value.
var ErrSealed = errors.New("sealed secret cannot be opened")

// Open opens data, which must be bot's secret name.
func (o *Opener) Open(bot, name string, data []byte) (string, error) {
	var rec sealedRecord
	if err := json.Unmarshal(data, &rec); err != nil {
		return "", fmt.Errorf("%w: not a sealed record: %v", ErrSealed, err)
	}
	if rec.Version != sealVersion {
		return "", fmt.Errorf("%w: record version %d is not %d", ErrSealed, rec.Version, sealVersion)
	}
	kp, ok := o.keys[rec.Recipient]
	if !ok {
		return "", fmt.Errorf("%w: sealed for key %s, which this worker does not hold", ErrSealed, clip(rec.Recipient))
	}
	plain, err := kp.Open(rec.Box, rec.Sender)
	if err != nil {
		return "", fmt.Errorf("%w: %v", ErrSealed, err)
	}
	defer clear(plain)
	var b boxed
	if err := json.Unmarshal(plain, &b); err != nil {
		return "", fmt.Errorf("%w: box content: %v", ErrSealed, err)
	}
	if b.Bot != bot || b.Name != name {
		// Copied from another key: never usable where it was copied to.
		return "", fmt.Errorf("%w: sealed as another bot's or name's secret", ErrSealed)
	}
	return b.Value, nil
}

// NewKey makes a curve key pair: its seed (SX..., for the workers) and
// its public key (X..., for writers).
func NewKey() (seed []byte, public string, err error) {
	kp, err := nkeys.CreateCurveKeys()
	if err != nil {
		return nil, "", fmt.Errorf("secret: %w", err)
	}
	if seed, err = kp.Seed(); err != nil {
		return nil, "", fmt.Errorf("secret: %w", err)
	}
	if public, err = kp.PublicKey(); err != nil {
		return nil, "", fmt.Errorf("secret: %w", err)
	}
	return seed, public, nil
}

// ReadSeeds reads the seeds of a key file: one SX... seed per line, the
// current one first; blank lines and lines starting with # are skipped.
func ReadSeeds(path string) ([][]byte, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("secret: sealing key file: %w", err)
	}
	var seeds [][]byte
	for line := range bytes.Lines(data) {
		line = bytes.TrimSpace(line)
		if len(line) == 0 || line[0] == '#' {
			continue
		}
		seeds = append(seeds, line)
	}
	if len(seeds) == 0 {
		return nil, fmt.Errorf("secret: sealing key file %s holds no seed", path)
	}
	return seeds, nil
}

// clip shortens s for an error message.
func clip(s string) string {
	if len(s) > 64 {
		return s[:64] + "…"
	}
	return s
}
