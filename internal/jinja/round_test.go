package jinja

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestRoundFloatAsRational: round(f, n) with n >= 0 (strconv's exact
// formatting read back) is what exact rational arithmetic gives, for
// ties, signs, zeros, huge and tiny values and random ones.
func TestRoundFloatAsRational(t *testing.T) {
	tests := []struct {
		f    float64
		prec int
		want float64 // 0: only compared with roundFloatRat
	}{
		{2.5, 0, 2}, {3.5, 0, 4}, {-2.5, 0, -2}, {0.125, 2, 0.12}, {0.375, 2, 0.38},
		{2.675, 2, 2.67}, {181.64000000000001, 2, 181.64}, {1.005, 2, 1}, {-0.4, 0, 0},
		{0.5, 0, 0}, {1e-320, 5, 0}, {math.MaxFloat64, 0, math.MaxFloat64}, {-math.MaxFloat64, 3, -math.MaxFloat64},
		{5e-324, 323, 0}, {123456789.987654321, 4, 0}, {1e22, 1, 1e22}, {0.1 + 0.2, 15, 0.3},
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 20000 {
		f := math.Float64frombits(rng.Uint64())
		if math.IsNaN(f) || math.IsInf(f, 0) {
			continue
		}
		tests = append(tests, struct {
			f    float64
			prec int
			want float64
		}{f, rng.IntN(30), 0})
		// Values with few decimals, where ties are common.
		g := float64(rng.IntN(2000000)-1000000) / float64(int(1)<<rng.IntN(12))
		tests = append(tests, struct {
			f    float64
			prec int
			want float64
		}{g, rng.IntN(6), 0})
	}
	for _, tt := range tests {
		got, ref := roundFloat(tt.f, tt.prec), roundFloatRat(tt.f, tt.prec)
		if math.Float64bits(got) != math.Float64bits(ref) {
			t.Fatalf("round(%v, %d) = %v, exact arithmetic %v", tt.f, tt.prec, got, ref)
		}
		if tt.want != 0 && got != tt.want {
			t.Errorf("round(%v, %d) = %v, want %v", tt.f, tt.prec, got, tt.want)
		}
		if got == 0 && math.Signbit(got) != math.Signbit(tt.f) {
			t.Errorf("round(%v, %d) = %v: the sign of zero", tt.f, tt.prec, got)
		}
	}
}
