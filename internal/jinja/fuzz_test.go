package jinja

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime/metrics"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
)

// fuzzOracleFile holds Jinja2's outcomes for the cases genCase makes of
// recorded seeds (category "fuzz", named "fuzz/<hex of the seed>"). The
// normal suite reads it twice: TestOracle runs every case, and
// FuzzDifferential uses the seeds as its corpus and the outcomes as the
// expected answers. TestRecordFuzzOracle writes it from live Jinja2.
var fuzzOracleFile = filepath.Join("testdata", "oracle", "fuzz.json")

func caseKey(template, context, mode string) string {
	var b bytes.Buffer
	if json.Compact(&b, []byte(context)) == nil {
		context = b.String()
	}
	return template + "\x00" + context + "\x00" + mode
}

// loadFuzzOracle returns the recorded fuzz cases by caseKey, and their seeds.
func loadFuzzOracle(tb testing.TB) (map[string]*oracleCase, [][]byte) {
	tb.Helper()
	data, err := os.ReadFile(fuzzOracleFile)
	if err != nil {
		tb.Fatal(err)
	}
	var cases []*oracleCase
	if err := json.Unmarshal(data, &cases); err != nil {
		tb.Fatalf("%s: %v", fuzzOracleFile, err)
	}
	byKey := make(map[string]*oracleCase, len(cases))
	seeds := make([][]byte, 0, len(cases))
	for _, c := range cases {
		seed, err := hex.DecodeString(strings.TrimPrefix(c.Name, "fuzz/"))
		if err != nil {
			tb.Fatalf("%s: case %s: name is not fuzz/<hex seed>", fuzzOracleFile, c.Name)
		}
		tpl, ctx, mode := genCase(seed)
		if caseKey(tpl, ctx, mode) != caseKey(c.Template, string(c.Context), c.Mode) {
			tb.Fatalf("%s: case %s no longer matches genCase (regenerate with TestRecordFuzzOracle)", fuzzOracleFile, c.Name)
		}
		byKey[caseKey(tpl, ctx, mode)] = c
		seeds = append(seeds, seed)
	}
	return byKey, seeds
}

// FuzzDifferential compares the engine with Jinja2 on grammar-generated
// templates over random JSON contexts. Expected answers come from
// testdata/oracle/fuzz.json, or, with HOOKWORKER_JINJA2_ORACLE set, from
// live Jinja2 for every new input; without either an input is still run
// under the no-crash and time bounds of FuzzNoCrash.
func FuzzDifferential(f *testing.F) {
	recorded, seeds := loadFuzzOracle(f)
	for _, s := range seeds {
		f.Add(s)
	}
	live := startLiveOracle(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		tpl, ctx, mode := genCase(data)
		start := time.Now()
		got := runOracle(NewEnv(Limits{}), tpl, []byte(ctx), mode)
		if d := time.Since(start); d > 5*time.Second {
			t.Fatalf("%q took %v", tpl, d)
		}
		var want outcome
		if c, ok := recorded[caseKey(tpl, ctx, mode)]; ok {
			want = c.expected()
		} else if live != nil {
			a, ok := live.ask(t, tpl, ctx, mode)
			if !ok {
				return
			}
			want = a.expected()
		} else {
			return
		}
		if !matches(got, want) {
			t.Errorf("template %q (%s)\ncontext %s\n got: %s\nwant: %s", tpl, mode, ctx, got, want)
		}
	})
}

// TestRecordFuzzOracle writes testdata/oracle/fuzz.json: HOOKWORKER_JINJA2_RECORD
// seeds (random bytes from a fixed PCG seed) and live Jinja2's outcome for
// each generated case; cases Jinja2 cannot answer comparably are left out.
//
//	HOOKWORKER_JINJA2_ORACLE=$PWD/testdata/oracle/gen/server.py \
//	HOOKWORKER_JINJA2_RECORD=1500 go test -run TestRecordFuzzOracle ./internal/jinja/
func TestRecordFuzzOracle(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv("HOOKWORKER_JINJA2_RECORD"))
	if n <= 0 {
		t.Skip("HOOKWORKER_JINJA2_RECORD not set")
	}
	o := startLiveOracle(t)
	if o == nil {
		t.Skip("HOOKWORKER_JINJA2_ORACLE not set")
	}
	rng := rand.New(rand.NewPCG(12, 2026))
	lines := map[string]string{}
	for tries := 0; len(lines) < n && tries < 4*n; tries++ {
		seed := make([]byte, 16+rng.IntN(240))
		for i := range seed {
			seed[i] = byte(rng.Uint32())
		}
		tpl, ctx, mode := genCase(seed)
		a, ok := o.ask(t, tpl, ctx, mode)
		if !ok {
			continue
		}
		c := a.oracleCase
		c.Name = "fuzz/" + hex.EncodeToString(seed)
		c.Template, c.Context, c.Mode = tpl, json.RawMessage(ctx), mode
		lines[c.Name] = caseLine(t, &c)
	}
	names := make([]string, 0, len(lines))
	for name := range lines {
		names = append(names, name)
	}
	sort.Strings(names)
	var b bytes.Buffer
	b.WriteString("[\n")
	for i, name := range names {
		if i > 0 {
			b.WriteString(",\n")
		}
		b.WriteString(lines[name])
	}
	b.WriteString("\n]\n")
	if err := os.WriteFile(fuzzOracleFile, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("wrote %d cases to %s", len(names), fuzzOracleFile)
}

// caseLine is one case in the corpus's one-line form.
func caseLine(t *testing.T, c *oracleCase) string {
	t.Helper()
	type line struct {
		Name      string          `json:"name"`
		Template  string          `json:"template"`
		Context   json.RawMessage `json:"context"`
		Mode      string          `json:"mode"`
		Want      *string         `json:"want,omitempty"`
		WantJSON  *string         `json:"want_json,omitempty"`
		Undefined bool            `json:"undefined,omitempty"`
		Error     string          `json:"error,omitempty"`
		Message   string          `json:"message,omitempty"`
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	l := line(*c)
	if l.Error != "" {
		l.Message = c.Message
	}
	if err := enc.Encode(l); err != nil {
		t.Fatal(err)
	}
	return strings.TrimSuffix(b.String(), "\n")
}

// fuzzLimits are small enough that a fuzz input runs in milliseconds.
var fuzzLimits = Limits{MaxMemory: 4 << 20, MaxSteps: 200_000, MaxOutput: 256 << 10}

// heapAllocs reads the bytes allocated so far by the process.
func heapAllocs() uint64 {
	s := []metrics.Sample{{Name: "/gc/heap/allocs:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

// FuzzNoCrash runs arbitrary templates (and the same text as a mapper
// expression) over arbitrary JSON contexts: the engine must return (no
// panic, no fatal error), within a time bound, allocating at most a
// bounded multiple of its memory budget, and a bound it hits must be a
// BoundError naming its key.
func FuzzNoCrash(f *testing.F) {
	for _, s := range noCrashSeeds {
		f.Add(s, `{"a": [1, "x"], "s": "é", "n": 5}`)
	}
	f.Fuzz(func(t *testing.T, tpl, ctx string) {
		env := NewEnv(fuzzLimits)
		before, start := heapAllocs(), time.Now()
		d := NewDict(0)
		if v, err := DecodeJSON(ctx, 0); err == nil && v.Dict() != nil {
			d = v.Dict()
		}
		if tp, err := env.Compile(tpl); err == nil {
			out, err := env.NewRenderer(d).Render(tp)
			checkBound(t, tpl, err)
			if len(out) > fuzzLimits.MaxOutput {
				t.Fatalf("output of %d bytes, above MaxOutput", len(out))
			}
		}
		if x, err := env.CompileExpr(tpl); err == nil {
			_, err := env.NewRenderer(d).Eval(x)
			checkBound(t, tpl, err)
		}
		if dt := time.Since(start); dt > 10*time.Second {
			t.Fatalf("%q took %v", tpl, dt)
		}
		// Everything built is counted against MaxMemory before it is
		// built; the evaluator's own garbage is a small multiple of it.
		limit := uint64(64*fuzzLimits.MaxMemory) + 4096*uint64(len(tpl)+len(ctx))
		if got := heapAllocs() - before; got > limit {
			t.Fatalf("%q allocated %d bytes (limit %d)", tpl, got, limit)
		}
	})
}

func checkBound(t *testing.T, tpl string, err error) {
	t.Helper()
	if be, ok := err.(*BoundError); ok && be.Key == "" {
		t.Fatalf("%q: bound error without a key: %v", tpl, be)
	}
}

// noCrashSeeds are the bomb classes of issue 12 and Jinja2's hard corners.
var noCrashSeeds = []string{
	"{{ [1] | batch(100000000, 'x') | first | length }}",
	"{{ range(10000) | join('a' * 1000000) }}",
	"{{ range(3) | slice(100000000, 'x') | list | length }}",
	"{{ 'ab'.zfill(2000000000) }}",
	"{{ ('a' * 1000).replace('a', 'a' * 1000).replace('a', 'a' * 1000) }}",
	strings.Repeat("{{", 4000),
	strings.Repeat("[", 3000),
	"{% set __hookworker_budget = 0 %}{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}",
	"{{ '{:>100000000}'.format(1) }}",
	"{{ x" + strings.Repeat(".a", 4000) + " }}",
	"{{ 'x'.center(1000000000) }}{{ 'x'.ljust(1000000000) }}",
	"{{ 10 ** 10 ** 10 }}",
	"{{ (2 ** 100000) | string | length }}",
	"{% macro m(n) %}{{ m(n + 1) }}{% endmacro %}{{ m(0) }}",
	"{% for x in a recursive %}{{ loop(a) }}{% endfor %}",
	"{{ lipsum(100000, true, 1000000, 1000000) }}",
	"{{ 'a' | indent(1000000000) }}",
	"{{ 'a b' | wordwrap(1) | center(999999999) }}",
	"{{ [[1] * 1000] * 1000 }}",
	"{{ {'a': 1} | dictsort | list * 100000000 }}",
	"{% set ns = namespace(l=[]) %}{% for i in range(100000) %}{% set _ = ns.l.append(ns.l) %}{% endfor %}{{ ns.l | length }}",
	"{{ '%*d' % (1000000000, 1) }}",
	"{{ 'é' * 100000000 }}",
	"{{ a | tojson(indent=100000000) }}",
	"{{ (s ~ s) * 9999999999 }}",
	"{{ x is number if y }}{%- raw %}{{{% endraw -%}",
	"{% if %}",
	"{{ 1e400 }}{{ -0.0 // 1 }}{{ 7 % -3 }}{{ 10 / 0 }}",
}
