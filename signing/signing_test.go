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
	"sync"
	"testing"
	"time"
)

// refSign is an independent implementation of one v1 signature, from the
// spec text alone: base64(HMAC-SHA256(key, "<id>.<ts>.<body>")).
func refSign(key []byte, id string, ts int64, body string) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(id + "." + strconv.FormatInt(ts, 10) + "." + body))
	return "v1," + base64.StdEncoding.EncodeToString(m.Sum(nil))
}

func mustB64(t *testing.T, s string) []byte {
	t.Helper()
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func mustSigner(t *testing.T, secrets ...string) *Signer {
	t.Helper()
	s, err := NewSigner(secrets)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

const (
	keyA = "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw" // base64 of 24 bytes
	keyB = "c2Vjb25kLXNlY3JldC1mb3Itcm90YXRpb24tdGVzdHM="
)

func TestSignMatchesIndependentImplementation(t *testing.T) {
	ts := time.Unix(1700000000, 0)
	for _, tc := range []struct {
		name    string
		secrets []string
		keys    func(t *testing.T) [][]byte
		id      string
		ts      time.Time
		body    string
	}{
		{
			name:    "whsec secret is base64-decoded",
			secrets: []string{"whsec_" + keyA},
			keys:    func(t *testing.T) [][]byte { return [][]byte{mustB64(t, keyA)} },
			id:      "msg_1", ts: ts, body: `{"a":1}`,
		},
		{
			name:    "raw secret is used byte for byte",
			secrets: []string{"plain secret, not base64!"},
			keys:    func(*testing.T) [][]byte { return [][]byte{[]byte("plain secret, not base64!")} },
			id:      "msg_1", ts: ts, body: `{"a":1}`,
		},
		{
			name:    "unprefixed base64 is raw too",
			secrets: []string{keyA},
			keys:    func(*testing.T) [][]byte { return [][]byte{[]byte(keyA)} },
			id:      "msg_1", ts: ts, body: `{"a":1}`,
		},
		{
			name:    "unpadded whsec secret",
			secrets: []string{"whsec_" + strings.TrimRight(keyB, "=")},
			keys:    func(t *testing.T) [][]byte { return [][]byte{mustB64(t, keyB)} },
			id:      "msg_1", ts: ts, body: `{"a":1}`,
		},
		{
			name:    "empty body",
			secrets: []string{"whsec_" + keyA},
			keys:    func(t *testing.T) [][]byte { return [][]byte{mustB64(t, keyA)} },
			id:      "msg_2", ts: ts, body: "",
		},
		{
			name:    "non-ASCII body and sub-second timestamp truncated",
			secrets: []string{"whsec_" + keyA},
			keys:    func(t *testing.T) [][]byte { return [][]byte{mustB64(t, keyA)} },
			id:      "evt-42", ts: ts.Add(999 * time.Millisecond), body: "{\"text\":\"héllo ✓\"}\n",
		},
		{
			name:    "rotation: one signature per secret, in order",
			secrets: []string{"whsec_" + keyB, "whsec_" + keyA},
			keys: func(t *testing.T) [][]byte {
				return [][]byte{mustB64(t, keyB), mustB64(t, keyA)}
			},
			id: "msg_3", ts: ts, body: `{}`,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var want []string
			for _, k := range tc.keys(t) {
				want = append(want, refSign(k, tc.id, tc.ts.Unix(), tc.body))
			}
			got := mustSigner(t, tc.secrets...).Sign(tc.id, tc.ts, []byte(tc.body))
			if got != strings.Join(want, " ") {
				t.Errorf("Sign = %q, want %q", got, strings.Join(want, " "))
			}
		})
	}
}

// TestPublishedVector uses the vector of TestWebhookSign in the reference Go
// library, github.com/standard-webhooks/standard-webhooks,
// libraries/go/webhook_test.go.
func TestPublishedVector(t *testing.T) {
	s := mustSigner(t, "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
	got := s.Sign("msg_p5jXN8AQM9LWM0D4loKWxJek", time.Unix(1614265330, 0), []byte(`{"test": 2432232314}`))
	const want = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
	if got != want {
		t.Errorf("Sign = %q, want %q", got, want)
	}
}

func TestSignRequest(t *testing.T) {
	ts := time.Unix(1700000000, 0)
	body := []byte(`{"x":true}`)
	s := mustSigner(t, "whsec_"+keyA, "whsec_"+keyB)
	for _, tc := range []struct {
		name   string
		header http.Header
	}{
		{"fresh request", http.Header{}},
		{"nil header", nil},
		{"stale values replaced", http.Header{
			"Webhook-Id":        {"old"},
			"Webhook-Timestamp": {"1"},
			"Webhook-Signature": {"v1,bogus", "v1,more"},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, err := http.NewRequest(http.MethodPost, "http://example.invalid/hook", nil)
			if err != nil {
				t.Fatal(err)
			}
			req.Header = tc.header
			s.SignRequest(req, "msg_9", ts, body)
			for name, want := range map[string]string{
				HeaderID:        "msg_9",
				HeaderTimestamp: "1700000000",
				HeaderSignature: s.Sign("msg_9", ts, body),
			} {
				if got := req.Header.Values(name); len(got) != 1 || got[0] != want {
					t.Errorf("%s = %q, want [%q]", name, got, want)
				}
			}
			for _, secret := range []string{"whsec_" + keyA, "whsec_" + keyB} {
				if err := Verify([]string{secret}, req.Header, body, ts, DefaultTolerance); err != nil {
					t.Errorf("Verify: %v", err)
				}
			}
		})
	}
}

func TestVerify(t *testing.T) {
	const id = "msg_v"
	ts := time.Unix(1700000000, 0)
	body := []byte(`{"k":"v"}`)
	secA, secB := "whsec_"+keyA, "whsec_"+keyB
	rawSec := "raw-secret"
	header := func(secrets ...string) http.Header {
		h := http.Header{}
		req := &http.Request{Header: h}
		mustSigner(t, secrets...).SignRequest(req, id, ts, body)
		return h
	}
	sigA := refSign(mustB64(t, keyA), id, ts.Unix(), string(body))
	tol := 5 * time.Minute

	for _, tc := range []struct {
		name    string
		secrets []string // verifier's
		h       http.Header
		body    []byte
		now     time.Time
		tol     time.Duration
		wantErr error // nil: accepted
	}{
		{name: "valid", secrets: []string{secA}, h: header(secA)},
		{name: "valid raw secret", secrets: []string{rawSec}, h: header(rawSec)},
		{name: "rotation: first secret alone", secrets: []string{secA}, h: header(secA, secB)},
		{name: "rotation: second secret alone", secrets: []string{secB}, h: header(secA, secB)},
		{name: "verifier holds both, sender one", secrets: []string{secB, secA}, h: header(secA)},
		{name: "wrong secret", secrets: []string{secB}, h: header(secA), wantErr: ErrNoMatch},
		{name: "whsec and raw of same text differ", secrets: []string{keyA}, h: header(secA), wantErr: ErrNoMatch},
		{name: "tampered body", secrets: []string{secA}, h: header(secA), body: []byte(`{"k":"w"}`), wantErr: ErrNoMatch},
		{name: "tampered id", secrets: []string{secA}, h: with(header(secA), HeaderID, "msg_w"), wantErr: ErrNoMatch},
		{name: "tampered timestamp", secrets: []string{secA}, h: with(header(secA), HeaderTimestamp, "1700000001"), wantErr: ErrNoMatch},
		{name: "too old", secrets: []string{secA}, h: header(secA), now: ts.Add(tol + time.Second), wantErr: ErrTimestampTooOld},
		{name: "too new", secrets: []string{secA}, h: header(secA), now: ts.Add(-tol - time.Second), wantErr: ErrTimestampTooNew},
		{name: "old edge of tolerance", secrets: []string{secA}, h: header(secA), now: ts.Add(tol)},
		{name: "new edge of tolerance", secrets: []string{secA}, h: header(secA), now: ts.Add(-tol)},
		{name: "custom tolerance", secrets: []string{secA}, h: header(secA), now: ts.Add(time.Hour), tol: 2 * time.Hour},
		{name: "negative tolerance refused", secrets: []string{secA}, h: header(secA), tol: -time.Second, wantErr: ErrInvalidTolerance},
		{name: "missing id", secrets: []string{secA}, h: without(header(secA), HeaderID), wantErr: ErrMissingHeader},
		{name: "missing timestamp", secrets: []string{secA}, h: without(header(secA), HeaderTimestamp), wantErr: ErrMissingHeader},
		{name: "missing signature", secrets: []string{secA}, h: without(header(secA), HeaderSignature), wantErr: ErrMissingHeader},
		{name: "non-integer timestamp", secrets: []string{secA}, h: with(header(secA), HeaderTimestamp, "1700000000.5"), wantErr: ErrBadTimestamp},
		{
			name: "other versions and junk ignored", secrets: []string{secA},
			h: with(header(secA), HeaderSignature, "v1a,"+sigA[3:]+" junk v1,!!! v2,"+sigA[3:]+"  "+sigA),
		},
		{name: "v1a only is not v1", secrets: []string{secA}, h: with(header(secA), HeaderSignature, "v1a,"+sigA[3:]), wantErr: ErrNoMatch},
		{
			name: "signature in a second header line", secrets: []string{secA},
			h: appendTo(with(header(secA), HeaderSignature, "v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc="), HeaderSignature, sigA),
		},
		{name: "empty secret list", secrets: nil, h: header(secA), wantErr: ErrNoSecrets},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b, now, tl := tc.body, tc.now, tc.tol
			if b == nil {
				b = body
			}
			if now.IsZero() {
				now = ts
			}
			if tl == 0 {
				tl = tol
			}
			err := Verify(tc.secrets, tc.h, b, now, tl)
			if tc.wantErr == nil && err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if tc.wantErr != nil && !errors.Is(err, tc.wantErr) {
				t.Fatalf("Verify = %v, want %v", err, tc.wantErr)
			}
		})
	}
	if err := Verify([]string{secA}, header(secA), body, ts, 0); !errors.Is(err, ErrInvalidTolerance) {
		t.Errorf("Verify with zero tolerance = %v, want %v", err, ErrInvalidTolerance)
	}
}

func with(h http.Header, k, v string) http.Header     { h.Set(k, v); return h }
func without(h http.Header, k string) http.Header     { h.Del(k); return h }
func appendTo(h http.Header, k, v string) http.Header { h.Add(k, v); return h }

func TestBadSecrets(t *testing.T) {
	const leak = "TOPSECRETVALUE"
	for _, tc := range []struct {
		name    string
		secrets []string
		want    string // substring of the error
		wantIs  error
	}{
		{name: "empty list", secrets: nil, wantIs: ErrNoSecrets},
		{name: "empty slice", secrets: []string{}, wantIs: ErrNoSecrets},
		{name: "bad base64 names index", secrets: []string{"whsec_" + keyA, "whsec_" + leak + "*&^"}, want: "secret[1]: invalid base64 after whsec_"},
		{name: "empty secret", secrets: []string{""}, want: "secret[0]: empty"},
		{name: "empty key after prefix", secrets: []string{leak, "ok", "whsec_"}, want: "secret[2]: empty key after whsec_"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			errs := map[string]error{}
			_, errs["NewSigner"] = NewSigner(tc.secrets)
			errs["Verify"] = Verify(tc.secrets, http.Header{}, nil, time.Now(), time.Minute)
			for fn, err := range errs {
				if err == nil {
					t.Fatalf("%s: no error", fn)
				}
				if tc.wantIs != nil && !errors.Is(err, tc.wantIs) {
					t.Errorf("%s = %v, want %v", fn, err, tc.wantIs)
				}
				if !strings.Contains(err.Error(), tc.want) {
					t.Errorf("%s = %q, want it to contain %q", fn, err, tc.want)
				}
				if strings.Contains(err.Error(), leak) {
					t.Errorf("%s error %q prints the secret", fn, err)
				}
			}
		})
	}
}

func TestSignerDoesNotPrintSecrets(t *testing.T) {
	s := mustSigner(t, "raw-TOPSECRET", "whsec_"+keyA)
	keyABytes := fmt.Sprint(mustB64(t, keyA))
	for _, verb := range []string{"%v", "%+v", "%#v", "%s"} {
		out := fmt.Sprintf(verb, s)
		if strings.Contains(out, "TOPSECRET") || strings.Contains(out, keyABytes) || strings.Contains(out, "[") {
			t.Errorf("%s prints %q", verb, out)
		}
		if !strings.Contains(out, "2 secrets") {
			t.Errorf("%s = %q, want the secret count", verb, out)
		}
	}
}

func TestConcurrentSign(t *testing.T) {
	s := mustSigner(t, "whsec_"+keyA, "whsec_"+keyB)
	ts := time.Unix(1700000000, 0)
	want := s.Sign("msg", ts, []byte("body"))
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 100 {
				if got := s.Sign("msg", ts, []byte("body")); got != want {
					t.Errorf("Sign = %q, want %q", got, want)
					return
				}
			}
		})
	}
	wg.Wait()
}
