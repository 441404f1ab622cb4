package jinja

import (
	"sync"
	"testing"
)

// TestCaseMappingConcurrent renders case-mapping filters from several
// goroutines at once (workers render in parallel): with -race it fails
// if the Unicode casers are shared state.
func TestCaseMappingConcurrent(t *testing.T) {
	env := NewEnv(Limits{})
	tpl, err := env.Compile("{{ s | upper }}|{{ s | lower }}|{{ s.casefold() }}|{{ s | title }}")
	if err != nil {
		t.Fatal(err)
	}
	ctx, err := DecodeJSON(`{"s": "straße ΣΑΣ İx ǅ ﬁ"}`, 0)
	if err != nil {
		t.Fatal(err)
	}
	const want = "STRASSE ΣΑΣ İX Ǆ FI|straße σας i̇x ǆ ﬁ|strasse σασ i̇x ǆ fi|Straße Σας İx Ǆ FI" // Jinja2 3.1.2
	var wg sync.WaitGroup
	errs := make(chan string, 8)
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 200; i++ {
				got, err := env.NewRenderer(ctx.Dict()).Render(tpl)
				if err != nil || got != want {
					errs <- got
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for got := range errs {
		t.Errorf("got %q, want %q", got, want)
	}
}
