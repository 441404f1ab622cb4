package egress

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
)

// BenchmarkEndInformational: what the 1xx guard adds to a round trip
// (base: the transport alone), in allocations per request.
func BenchmarkEndInformational(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") }))
	defer srv.Close()
	base := &http.Transport{}
	for _, m := range []struct {
		name string
		rt   http.RoundTripper
	}{{"base", base}, {"wrapped", EndInformational(base)}} {
		b.Run(m.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				req, _ := http.NewRequest("GET", srv.URL, nil)
				resp, err := m.rt.RoundTrip(req)
				if err != nil {
					b.Fatal(err)
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
		})
	}
}
