package main

import (
	"bufio"
	"io"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// results holds the metrics each benchmark reported: bench name (without
// the -GOMAXPROCS suffix) → metric unit → value. A benchmark run with
// -count above 1 keeps every run's value, in order.
type results map[string]map[string][]float64

var benchLine = regexp.MustCompile(`^(Benchmark[^\s]+?)(?:-\d+)?\s+\d+\s+(.+)$`)

// parse reads `go test -bench` output and collects the metrics of every
// benchmark result line ("BenchmarkX-2  1  123 ns/op  4.5 some-metric").
// Lines that are not results are ignored.
func parse(r io.Reader, into results) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 4<<20)
	for sc.Scan() {
		m := benchLine.FindStringSubmatch(strings.TrimRight(sc.Text(), "\r"))
		if m == nil {
			continue
		}
		fields := strings.Fields(m[2])
		if len(fields)%2 != 0 {
			continue
		}
		for i := 0; i+1 < len(fields); i += 2 {
			v, err := strconv.ParseFloat(fields[i], 64)
			if err != nil {
				continue
			}
			if into[m[1]] == nil {
				into[m[1]] = map[string][]float64{}
			}
			into[m[1]][fields[i+1]] = append(into[m[1]][fields[i+1]], v)
		}
	}
	return sc.Err()
}

// get returns the median of a metric's values, and whether it was there.
func (r results) get(bench, metric string) (float64, bool) {
	vs := r[bench][metric]
	if len(vs) == 0 {
		return 0, false
	}
	return median(vs), true
}

func median(vs []float64) float64 {
	s := slices.Clone(vs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}
