package tracectx

import (
	"errors"
	"regexp"
	"testing"
)

const (
	validTrace  = "4bf92f3577b34da6a3ce929d0e0e4736"
	validParent = "00f067aa0ba902b7"
)

func TestParse(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		err     error // nil: valid
		flags   byte
		trace   string
		parent  string
		version string // what String gives back, when valid
	}{
		{name: "sampled", in: "00-" + validTrace + "-" + validParent + "-01", flags: 1},
		{name: "not sampled", in: "00-" + validTrace + "-" + validParent + "-00", flags: 0},
		{name: "other flags kept", in: "00-" + validTrace + "-" + validParent + "-03", flags: 3},
		{name: "future version", in: "01-" + validTrace + "-" + validParent + "-01", flags: 1},
		{name: "future version with more fields", in: "cc-" + validTrace + "-" + validParent + "-01-what-the-future-holds", flags: 1},

		{name: "empty", in: "", err: ErrMalformed},
		{name: "version ff", in: "ff-" + validTrace + "-" + validParent + "-01", err: ErrVersion},
		{name: "version 00 with more fields", in: "00-" + validTrace + "-" + validParent + "-01-extra", err: ErrMalformed},
		{name: "future version, no dash after flags", in: "01-" + validTrace + "-" + validParent + "-01x", err: ErrMalformed},
		{name: "uppercase trace id", in: "00-4BF92F3577B34DA6A3CE929D0E0E4736-" + validParent + "-01", err: ErrMalformed},
		{name: "uppercase parent id", in: "00-" + validTrace + "-00F067AA0BA902B7-01", err: ErrMalformed},
		{name: "uppercase version", in: "0A-" + validTrace + "-" + validParent + "-01", err: ErrMalformed},
		{name: "uppercase flags", in: "00-" + validTrace + "-" + validParent + "-0A", err: ErrMalformed},
		{name: "all-zero trace id", in: "00-00000000000000000000000000000000-" + validParent + "-01", err: ErrZeroID},
		{name: "all-zero parent id", in: "00-" + validTrace + "-0000000000000000-01", err: ErrZeroID},
		{name: "short trace id", in: "00-" + validTrace[:31] + "-" + validParent + "-01", err: ErrMalformed},
		{name: "long trace id", in: "00-" + validTrace + "0-" + validParent + "-01", err: ErrMalformed},
		{name: "short parent id", in: "00-" + validTrace + "-" + validParent[:15] + "-01", err: ErrMalformed},
		{name: "long parent id", in: "00-" + validTrace + "-" + validParent + "0-01", err: ErrMalformed},
		{name: "one-digit flags", in: "00-" + validTrace + "-" + validParent + "-1", err: ErrMalformed},
		{name: "three-digit flags", in: "00-" + validTrace + "-" + validParent + "-011", err: ErrMalformed},
		{name: "one-digit version", in: "0-" + validTrace + "-" + validParent + "-01", err: ErrMalformed},
		{name: "non-hex", in: "00-" + validTrace[:31] + "g-" + validParent + "-01", err: ErrMalformed},
		{name: "underscores", in: "00_" + validTrace + "_" + validParent + "_01", err: ErrMalformed},
		{name: "surrounding space", in: " 00-" + validTrace + "-" + validParent + "-01", err: ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := Parse(tt.in)
			if tt.err != nil {
				if !errors.Is(err, tt.err) {
					t.Fatalf("Parse(%q) = %v, %v; want error %v", tt.in, p, err, tt.err)
				}
				if p.IsValid() {
					t.Errorf("Parse(%q) failed but returned a valid %v", tt.in, p)
				}
				return
			}
			if err != nil {
				t.Fatalf("Parse(%q): %v", tt.in, err)
			}
			if p.TraceID.String() != validTrace || p.SpanID.String() != validParent || p.Flags != tt.flags {
				t.Errorf("Parse(%q) = trace %s parent %s flags %02x", tt.in, p.TraceID, p.SpanID, p.Flags)
			}
			want := "00-" + validTrace + "-" + validParent + "-" + tt.in[53:55]
			if got := p.String(); got != want {
				t.Errorf("String() = %q, want %q (always version 00)", got, want)
			}
			if p.Sampled() != (tt.flags&1 == 1) {
				t.Errorf("Sampled() = %v with flags %02x", p.Sampled(), tt.flags)
			}
		})
	}
}

var wellFormed = regexp.MustCompile(`^00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$`)

func TestChild(t *testing.T) {
	p, err := Parse("00-" + validTrace + "-" + validParent + "-01")
	if err != nil {
		t.Fatal(err)
	}
	seen := map[SpanID]bool{}
	for range 1000 {
		c := p.Child()
		if c.TraceID != p.TraceID || c.Flags != p.Flags {
			t.Fatalf("child %v of %v changed the trace id or flags", c, p)
		}
		if c.SpanID == p.SpanID || !c.SpanID.IsValid() {
			t.Fatalf("child span id %s (parent %s)", c.SpanID, p.SpanID)
		}
		if seen[c.SpanID] {
			t.Fatalf("span id %s made twice", c.SpanID)
		}
		seen[c.SpanID] = true
		if s := c.String(); !wellFormed.MatchString(s) {
			t.Fatalf("child formats as %q", s)
		}
		if back, err := Parse(c.String()); err != nil || back != c {
			t.Fatalf("round trip of %q: %v, %v", c, back, err)
		}
	}
}

func TestNew(t *testing.T) {
	a, b := New(), New()
	if !a.IsValid() || a.TraceID == b.TraceID || a.SpanID == b.SpanID {
		t.Errorf("New gave %v and %v", a, b)
	}
	if a.Sampled() || a.Flags != 0 {
		t.Errorf("a new trace is sampled: %v", a)
	}
	if back, err := Parse(a.String()); err != nil || back != a {
		t.Errorf("round trip of %q: %v, %v", a, back, err)
	}
}
