package secret

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nats-io/nkeys"
)

func newOpener(t *testing.T) (*Opener, *Sealer) {
	t.Helper()
	seed, pub, err := NewKey()
	if err != nil {
		t.Fatal(err)
	}
	o, err := NewOpener([][]byte{seed})
	if err != nil {
		t.Fatal(err)
	}
	if o.PublicKey() != pub {
		t.Fatalf("opener's key %s, want %s", o.PublicKey(), pub)
	}
	s, err := NewSealer(pub)
	if err != nil {
		t.Fatal(err)
	}
	return o, s
}

func TestSealOpen(t *testing.T) {
	o, s := newOpener(t)
	for _, v := range []string{"tok-123", "ünïcödé ✓", strings.Repeat("x", MaxValueLen), "line\nbreak"} {
		data, err := s.Seal("bot-a", "ZENDESK_TOKEN", v)
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(data, []byte(v)) {
			t.Fatalf("sealed record holds the value in clear")
		}
		got, err := o.Open("bot-a", "ZENDESK_TOKEN", data)
		if err != nil || got != v {
			t.Fatalf("Open = %q, %v", clip(got), err)
		}
	}
}

// A sealed value moved to another bot's key (or another name of the same
// bot) does not open there: a writer of bot-a's keys who copies bot-b's
// sealed entry gains nothing.
func TestSealedValueBoundToBotAndName(t *testing.T) {
	o, s := newOpener(t)
	data, err := s.Seal("bot-b", "TOKEN", "b-secret-value")
	if err != nil {
		t.Fatal(err)
	}
	for _, at := range [][2]string{{"bot-a", "TOKEN"}, {"bot-b", "OTHER"}, {"bot-b2", "TOKEN"}} {
		if v, err := o.Open(at[0], at[1], data); !errors.Is(err, ErrSealed) || v != "" {
			t.Errorf("Open as %s/%s = %q, %v; want ErrSealed", at[0], at[1], v, err)
		}
	}
}

// Writers hold the public key only; neither it nor the record opens the
// box. Only the recipient's seed does: another worker key fails.
func TestOnlyTheRecipientOpens(t *testing.T) {
	_, s := newOpener(t)
	data, err := s.Seal("bot-a", "TOKEN", "the-value")
	if err != nil {
		t.Fatal(err)
	}
	other, _ := newOpener(t)
	if _, err := other.Open("bot-a", "TOKEN", data); !errors.Is(err, ErrSealed) {
		t.Fatalf("another key opened it: %v", err)
	}
	// The sender key in the record is public; the writer's ephemeral
	// private key is gone. Opening with a fresh key pair as the sender's
	// peer fails too.
	var rec sealedRecord
	if err := json.Unmarshal(data, &rec); err != nil {
		t.Fatal(err)
	}
	kp, _ := nkeys.CreateCurveKeys()
	if _, err := kp.Open(rec.Box, rec.Sender); err == nil {
		t.Fatal("a key pair other than the recipient's opened the box")
	}
}

func TestRotation(t *testing.T) {
	oldSeed, oldPub, _ := NewKey()
	newSeed, newPub, _ := NewKey()
	oldSealer, _ := NewSealer(oldPub)
	data, _ := oldSealer.Seal("bot-a", "T", "sealed-for-old")
	o, err := NewOpener([][]byte{newSeed, oldSeed})
	if err != nil {
		t.Fatal(err)
	}
	if o.PublicKey() != newPub {
		t.Fatalf("current key %s, want the first seed's %s", o.PublicKey(), newPub)
	}
	if v, err := o.Open("bot-a", "T", data); err != nil || v != "sealed-for-old" {
		t.Fatalf("Open = %q, %v", v, err)
	}
}

func TestSealRefuses(t *testing.T) {
	_, s := newOpener(t)
	tests := []struct{ bot, name, value, want string }{
		{"bot-a", "", "v", "name is empty"},
		{"bot-a", "a.b", "v", "letters, digits"},
		{"bot-a", strings.Repeat("n", MaxNameLen+1), "v", "limit"},
		{"bot.a", "N", "v", "bot id"},
		{"", "N", "v", "bot id"},
		{"bot-a", "N", "", "empty"},
		{"bot-a", "N", strings.Repeat("v", MaxValueLen+1), "limit"},
	}
	for _, tt := range tests {
		if _, err := s.Seal(tt.bot, tt.name, tt.value); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Seal(%q, %q) = %v, want an error with %q", tt.bot, clip(tt.name), err, tt.want)
		}
	}
	if _, err := NewSealer("UABC"); err == nil {
		t.Error("NewSealer took a non-curve key")
	}
	if _, err := NewOpener([][]byte{[]byte("SUAB")}); err == nil {
		t.Error("NewOpener took a non-curve seed")
	}
	if _, err := NewOpener(nil); err == nil {
		t.Error("NewOpener took no seed")
	}
}

func TestOpenRefusesGarbage(t *testing.T) {
	o, s := newOpener(t)
	good, _ := s.Seal("bot-a", "T", "value")
	var rec sealedRecord
	_ = json.Unmarshal(good, &rec)
	flipped := rec
	flipped.Box = append([]byte(nil), rec.Box...)
	flipped.Box[len(flipped.Box)-1] ^= 1
	badBox, _ := json.Marshal(flipped)
	v2 := rec
	v2.Version = 2
	badVersion, _ := json.Marshal(v2)
	for name, data := range map[string][]byte{
		"not json": []byte("plain text"), "tampered": badBox, "version": badVersion, "empty": nil,
	} {
		if _, err := o.Open("bot-a", "T", data); !errors.Is(err, ErrSealed) {
			t.Errorf("%s: Open = %v, want ErrSealed", name, err)
		}
	}
}

func TestReadSeeds(t *testing.T) {
	a, _, _ := NewKey()
	b, _, _ := NewKey()
	p := filepath.Join(t.TempDir(), "worker.nk")
	body := "# current key first\n" + string(a) + "\n\n  " + string(b) + "  \n"
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	seeds, err := ReadSeeds(p)
	if err != nil || len(seeds) != 2 || !bytes.Equal(seeds[0], a) || !bytes.Equal(seeds[1], b) {
		t.Fatalf("ReadSeeds = %q, %v", seeds, err)
	}
	empty := filepath.Join(t.TempDir(), "empty.nk")
	_ = os.WriteFile(empty, []byte("# nothing\n"), 0o600)
	if _, err := ReadSeeds(empty); err == nil {
		t.Fatal("an empty key file was accepted")
	}
}

func TestKeys(t *testing.T) {
	tests := []struct{ bot, name, key string }{
		{"bot-a", "TOKEN", "bot-a.TOKEN"},
		{"bot_1", "a-b", "bot_1.a-b"},
		{"bot:a", "T", "=Ym90OmE.T"},
		{"=x", "T", "=PXg.T"},
		{"bot/a", "T", "=Ym90L2E.T"},
		{"bötä", "T", "=YsO2dMOk.T"},
	}
	keys := map[string]bool{}
	for _, tt := range tests {
		k := Key(tt.bot, tt.name)
		if k != tt.key {
			t.Errorf("Key(%q, %q) = %q, want %q", tt.bot, tt.name, k, tt.key)
		}
		if keys[k] {
			t.Errorf("two bots share key %q", k)
		}
		keys[k] = true
		bot, name, ok := ParseKey(k)
		if !ok || bot != tt.bot || name != tt.name {
			t.Errorf("ParseKey(%q) = %q, %q, %v", k, bot, name, ok)
		}
	}
	for _, k := range []string{KeyEntry, "a.b.c", "=YWJj.T", "=!!.T", ".T", "a."} {
		if _, _, ok := ParseKey(k); ok {
			t.Errorf("ParseKey(%q) accepted a key Key cannot make", k)
		}
	}
}

// The worst value for JSON (every byte escaped to six) still seals within
// MaxSealedLen, the bucket's value limit.
func TestSealedSizeBound(t *testing.T) {
	_, s := newOpener(t)
	data, err := s.Seal("bot-a", strings.Repeat("N", MaxNameLen), strings.Repeat("\x01", MaxValueLen))
	if err != nil {
		t.Fatal(err)
	}
	if len(data) > MaxSealedLen {
		t.Fatalf("sealed record %d bytes, over MaxSealedLen %d", len(data), MaxSealedLen)
	}
}
