package main

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestParse(t *testing.T) {
	out := `goos: linux
BenchmarkScaleLifecycle-2   	       1	9123456 ns/op	       412.5 create-ready-p50-ms	  10 workspaces
--- BENCH: BenchmarkScaleLifecycle-2
    scale_bench_test.go:10: round 1
BenchmarkAPILatency    1   5 ns/op   3.5 list-all-p95-ms
BenchmarkAPILatency    1   5 ns/op   4.5 list-all-p95-ms
BenchmarkAPILatency    1   5 ns/op   9.5 list-all-p95-ms
BenchmarkBroken-2   1   oops
PASS
`
	r := results{}
	if err := parse(strings.NewReader(out), r); err != nil {
		t.Fatal(err)
	}
	if v, ok := r.get("BenchmarkScaleLifecycle", "create-ready-p50-ms"); !ok || v != 412.5 {
		t.Errorf("create-ready-p50-ms = %v, %v", v, ok)
	}
	if v, ok := r.get("BenchmarkScaleLifecycle", "workspaces"); !ok || v != 10 {
		t.Errorf("workspaces = %v, %v", v, ok)
	}
	if v, _ := r.get("BenchmarkAPILatency", "list-all-p95-ms"); v != 4.5 {
		t.Errorf("the median of three runs = %v, want 4.5", v)
	}
	if _, ok := r.get("BenchmarkBroken", "oops"); ok {
		t.Error("a malformed line gave a metric")
	}
	if _, ok := r.get("BenchmarkNone", "x"); ok {
		t.Error("a missing benchmark gave a metric")
	}
}

func FuzzParse(f *testing.F) {
	f.Add("BenchmarkX-2 1 5 ns/op 3 a-ms\n")
	f.Add("BenchmarkY 1 1e400 b NaN c\n")
	f.Fuzz(func(t *testing.T, s string) {
		r := results{}
		_ = parse(strings.NewReader(s), r)
		for b, ms := range r {
			for m := range ms {
				r.get(b, m)
			}
		}
	})
}

func TestReportAndMarkdown(t *testing.T) {
	res := results{}
	out := "BenchmarkScaleLifecycle-2 1 5 ns/op 420 create-ready-p50-ms 900 create-ready-p95-ms 1200 create-ready-max-ms " +
		"300 docker-run-p50-ms 400 docker-run-p95-ms 500 docker-run-max-ms\n" +
		"BenchmarkAPILatency-2 1 5 ns/op 3 list-page-p50-ms 25 list-page-p95-ms 40 list-page-p99-ms\n"
	if err := parse(strings.NewReader(out), res); err != nil {
		t.Fatal(err)
	}
	r := newReport(quick, res, []string{"go test ./e2e"}, time.Now())
	byMeasure := map[string]row{}
	for _, x := range r.Rows {
		byMeasure[x.Measure] = x
	}
	create := byMeasure["create → ready, p50 / p95 / max ms"]
	if create.Value != "420 / 900 / 1200" || create.Met != "met" || create.Baseline != "`docker run -d`: 300 / 400 / 500" {
		t.Errorf("create row = %+v", create)
	}
	list := byMeasure["list workspaces (the dashboard's page of 25, with the count), p50 / p95 / p99 ms"]
	if list.Met != "missed" {
		t.Errorf("a p95 of 25 ms against 20 ms: %+v", list)
	}
	if stop := byMeasure["stop"]; stop.Value != "—" || stop.Met != "" {
		t.Errorf("a row without figures: %+v", stop)
	}

	path := filepath.Join(t.TempDir(), "BENCHMARKS.md")
	if err := os.WriteFile(path, []byte("# Benchmarks\n\nIntro.\n\n## Older\n\ntext\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for range 2 { // the second run replaces the first summary
		if err := r.updateMarkdown(path); err != nil {
			t.Fatal(err)
		}
	}
	b, _ := os.ReadFile(path)
	text := string(b)
	if strings.Count(text, beginMarker) != 1 || strings.Count(text, endMarker) != 1 {
		t.Fatalf("markers:\n%s", text)
	}
	if !strings.HasPrefix(text, "# Benchmarks\n\nIntro.\n\n"+beginMarker) || !strings.HasSuffix(text, "## Older\n\ntext\n") {
		t.Errorf("summary placement:\n%s", text)
	}
	if !strings.Contains(text, "| create → ready, p50 / p95 / max ms | 420 / 900 / 1200 | `docker run -d`: 300 / 400 / 500 | p50 ≤ 1000 ms | met |") ||
		!strings.Contains(text, "**missed**") {
		t.Errorf("summary rows:\n%s", text)
	}
}

func TestShellQuote(t *testing.T) {
	for in, want := range map[string]string{"./e2e": "./e2e", "^$": "'^$'", "A|B": "'A|B'", "it's": `'it'\''s'`, "": "''"} {
		if got := shellQuote(in); got != want {
			t.Errorf("shellQuote(%q) = %s, want %s", in, got, want)
		}
	}
}

func TestRereportFromJSON(t *testing.T) {
	dir := t.TempDir()
	res := results{"BenchmarkSSHThroughput": {"gossh-den/gossh-proc-down": {0.93}, "gossh-den/gossh-proc-up": {0.7968}}}
	r := newReport(fullProfile, res, []string{"go test ./e2e"}, time.Now())
	r.Commit = "abc1234"
	from := filepath.Join(dir, "run.json")
	if err := r.write(from, "", io.Discard); err != nil {
		t.Fatal(err)
	}
	md := filepath.Join(dir, "BENCHMARKS.md")
	if err := os.WriteFile(md, []byte("# Benchmarks\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	if err := rereport(from, "", md, &out); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(md)
	// The run's commit and profile, and a ratio just under 0.8 shown as such.
	for _, want := range []string{"commit abc1234; profile full", "| 0.930 / 0.796 |", "**missed**"} {
		if !strings.Contains(string(b), want) {
			t.Errorf("the summary lacks %q:\n%s", want, b)
		}
	}
}
