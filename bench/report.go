package main

import (
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"time"
)

// row is one line of the summary: a figure (one or more metrics, such as
// p50 / p95 / max), the same-run baseline beside it, and the target.
type row struct {
	Section  string `json:"section"`
	Measure  string `json:"measure"`
	Value    string `json:"value"`
	Baseline string `json:"baseline,omitempty"`
	Target   string `json:"target,omitempty"`
	// Met is "met", "missed" or "" (no target, or no figure).
	Met string `json:"met,omitempty"`
}

// spec says where a row's figures come from.
type spec struct {
	section, measure, bench string
	metrics                 []string // shown joined with " / "
	baseline                []string // metrics of the same benchmark
	baselineLabel           string
	target                  string
	goal                    *goal
}

// goal is a target on one of a row's figures: figure index at most (or at
// least) limit; every figure from index on when all is set.
type goal struct {
	index   int
	limit   float64
	atLeast bool
	all     bool
}

func atMost(index int, limit float64) *goal { return &goal{index: index, limit: limit} }
func atLeast(limit float64) *goal           { return &goal{limit: limit, atLeast: true, all: true} }

// met tells whether vals meet the goal.
func (g *goal) met(vals []float64) bool {
	end := g.index + 1
	if g.all {
		end = len(vals)
	}
	for _, v := range vals[g.index:min(end, len(vals))] {
		if (g.atLeast && v < g.limit) || (!g.atLeast && v > g.limit) {
			return false
		}
	}
	return true
}

func pctl(prefix string, ps ...string) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = prefix + "-" + p
	}
	return out
}

func specs(p profile) []spec {
	// The connection targets are for 10,000 agents: judged only at that scale.
	var rssGoal, backGoal *goal
	scaleNote := " (at 10,000 agents: -full)"
	if p.agents >= 10000 {
		rssGoal, backGoal, scaleNote = atMost(0, 1024), atMost(0, 5000), ""
	}
	lat := func(prefix, unit string) []string { return pctl(prefix, "p50-"+unit, "p95-"+unit, "max-"+unit) }
	api := func(prefix string) []string { return pctl(prefix, "p50-ms", "p95-ms", "p99-ms") }
	w := fmt.Sprintf("%d workspaces at once", p.workspaces)
	k := fmt.Sprintf("%d streams at once", p.streams)
	return []spec{
		{section: "Workspace lifecycle (" + w + ", starter template)", measure: "create → ready, p50 / p95 / max ms", bench: "BenchmarkScaleLifecycle",
			metrics: lat("create-ready", "ms"), baseline: lat("docker-run", "ms"), baselineLabel: "`docker run -d`", target: "p50 ≤ 1000 ms", goal: atMost(0, 1000)},
		{section: "Workspace lifecycle (" + w + ", starter template)", measure: "stop", bench: "BenchmarkScaleLifecycle",
			metrics: lat("stop", "ms"), baseline: lat("docker-rm", "ms"), baselineLabel: "`docker rm -f`"},
		{section: "Workspace lifecycle (" + w + ", starter template)", measure: "start → ready", bench: "BenchmarkScaleLifecycle", metrics: lat("start", "ms")},
		{section: "Workspace lifecycle (" + w + ", starter template)", measure: "delete", bench: "BenchmarkScaleLifecycle", metrics: lat("delete", "ms")},

		{section: fmt.Sprintf("Connections (%d simulated agents)", p.agents), measure: "server memory per idle agent, KiB (heap + stacks / RSS)", bench: "BenchmarkIdleAgents",
			metrics: []string{"server-heap+stack-KiB/agent", "server-rss-KiB/agent"}, target: "≤ 64 KiB", goal: atMost(0, 64)},
		{section: fmt.Sprintf("Connections (%d simulated agents)", p.agents), measure: "server RSS with all connected, MiB", bench: "BenchmarkIdleAgents",
			metrics: []string{"server-rss-MiB"}, target: "≤ 1024 MiB" + scaleNote, goal: rssGoal},
		{section: fmt.Sprintf("Connections (%d simulated agents)", p.agents), measure: "server CPU per idle agent, ms per minute", bench: "BenchmarkIdleAgents",
			metrics: []string{"server-cpu-ms/agent/min"}},
		{section: fmt.Sprintf("Connections (%d simulated agents)", p.agents), measure: "all connected / all back after a server restart, ms", bench: "BenchmarkIdleAgents",
			metrics: []string{"reconnect-all-ms", "connect-all-ms"}, target: "back ≤ 5000 ms" + scaleNote, goal: backGoal},

		{section: "Traffic (" + k + ")", measure: "port forward, MiB/s down / up", bench: "BenchmarkConcurrentStreams",
			metrics: []string{"tcp-den-down-MiB/s", "tcp-den-up-MiB/s"}, baseline: []string{"tcp-direct-down-MiB/s", "tcp-direct-up-MiB/s"}, baselineLabel: "raw loopback TCP"},
		{section: "Traffic (" + k + ")", measure: "`den ssh`, MiB/s down / up", bench: "BenchmarkConcurrentStreams",
			metrics: []string{"gossh-den-down-MiB/s", "gossh-den-up-MiB/s"}, baseline: []string{"gossh-proc-down-MiB/s", "gossh-proc-up-MiB/s"}, baselineLabel: "the same SSH without the relay"},
		{section: "Traffic (" + k + ")", measure: "`den ssh` ÷ without the relay, down / up", bench: "BenchmarkConcurrentStreams",
			metrics: []string{"gossh-den/gossh-proc-down", "gossh-den/gossh-proc-up"}, target: "≥ 0.8", goal: atLeast(0.8)},
		{section: "Traffic (" + k + ")", measure: "round trip under that load, p50 / p95 µs", bench: "BenchmarkConcurrentStreams",
			metrics: []string{"ping-den-loaded-p50-us", "ping-den-loaded-p95-us"}, baseline: []string{"tcp-direct-loaded-p50-us", "tcp-direct-loaded-p95-us"}, baselineLabel: "raw TCP"},
		{section: "Traffic (one stream)", measure: "`den ssh` ÷ without the relay, down / up", bench: "BenchmarkSSHThroughput",
			metrics: []string{"gossh-den/gossh-proc-down", "gossh-den/gossh-proc-up"}, target: "≥ 0.8", goal: atLeast(0.8)},
		{section: "Traffic (one stream)", measure: "OpenSSH through `den config-ssh`, MiB/s down / up", bench: "BenchmarkSSHThroughput",
			metrics: []string{"openssh-den-down-MiB/s", "openssh-den-up-MiB/s"}, baseline: []string{"openssh-sshd-down-MiB/s", "openssh-sshd-up-MiB/s"}, baselineLabel: "OpenSSH to its sshd"},
		{section: "Traffic (one stream)", measure: "added round trip, p50 µs (ping / port forward / SSH)", bench: "BenchmarkRelayLatency",
			metrics: []string{"ping-den-added-p50-us", "tcp-den-added-p50-us", "ssh-den-added-p50-us"}, target: "≤ 1000 µs", goal: atMost(0, 1000)},
		{section: "Traffic (one stream)", measure: "`den ssh NAME -- true`, p50 / p95 ms", bench: "BenchmarkDenSSHCommand",
			metrics: []string{"den-ssh-p50-ms", "den-ssh-p95-ms"}, baseline: []string{"openssh-sshd-p50-ms", "openssh-sshd-p95-ms"}, baselineLabel: "`ssh` to OpenSSH's sshd", target: "p50 ≤ 100 ms", goal: atMost(0, 100)},

		{section: fmt.Sprintf("API (%d workspaces, concurrent clients)", p.apiWorkspaces), measure: "list workspaces (the dashboard's page of 25, with the count), p50 / p95 / p99 ms", bench: "BenchmarkAPILatency",
			metrics: api("list-page"), baseline: api("baseline"), baselineLabel: "GET /buildinfo", target: "p95 ≤ 20 ms", goal: atMost(1, 20)},
		{section: fmt.Sprintf("API (%d workspaces, concurrent clients)", p.apiWorkspaces), measure: "search workspaces (status and a word; a page of 25)", bench: "BenchmarkAPILatency",
			metrics: api("list-search"), target: "p95 ≤ 20 ms", goal: atMost(1, 20)},
		{section: fmt.Sprintf("API (%d workspaces, concurrent clients)", p.apiWorkspaces), measure: "list every workspace (all pages)", bench: "BenchmarkAPILatency",
			metrics: api("list-all")},
		{section: fmt.Sprintf("API (%d workspaces, concurrent clients)", p.apiWorkspaces), measure: "list my workspaces", bench: "BenchmarkAPILatency",
			metrics: api("list-own"), target: "p95 ≤ 20 ms", goal: atMost(1, 20)},
		{section: fmt.Sprintf("API (%d workspaces, concurrent clients)", p.apiWorkspaces), measure: "a workspace page's calls", bench: "BenchmarkAPILatency", metrics: api("page")},

		{section: "Workspace apps (one client, one request after another)", measure: "a page through Den, p50 / p95 µs (path app / subdomain app)", bench: "BenchmarkAppProxy",
			metrics: []string{"path-p50-us", "path-p95-us", "subdomain-p50-us", "subdomain-p95-us"}, baseline: []string{"direct-p50-us", "direct-p95-us"}, baselineLabel: "the app's server directly"},

		{section: "Build queue", measure: "pickup with idle daemons, p50 / p95 / max ms", bench: "BenchmarkJobPickup",
			metrics: pctl("pickup-idle", "p50-ms", "p95-ms", "max-ms"), target: "p95 ≤ 100 ms", goal: atMost(1, 100)},
		{section: "Build queue", measure: "pickup behind 2,000 queued jobs no daemon here takes", bench: "BenchmarkJobPickup",
			metrics: pctl("pickup-deep", "p50-ms", "p95-ms", "max-ms"), target: "p95 ≤ 100 ms", goal: atMost(1, 100)},
		{section: "Build queue", measure: "pickup in a burst of queued builds", bench: "BenchmarkJobPickup",
			metrics: pctl("pickup-burst", "p50-ms", "p95-ms", "max-ms"), target: "p95 ≤ 100 ms", goal: atMost(1, 100)},
	}
}

// report is what one run of the suite found.
type report struct {
	Profile  string                          `json:"profile"`
	Date     string                          `json:"date"`
	Commit   string                          `json:"commit"`
	Machine  map[string]string               `json:"machine"`
	Commands []string                        `json:"commands"`
	Seconds  float64                         `json:"seconds"`
	Rows     []row                           `json:"rows"`
	Metrics  map[string]map[string][]float64 `json:"metrics"`
}

func newReport(p profile, res results, commands []string, started time.Time) *report {
	r := &report{
		Profile: p.name, Date: started.UTC().Format("2006-01-02 15:04 UTC"), Commit: commit(),
		Machine: machine(), Commands: commands, Seconds: time.Since(started).Seconds(), Metrics: res,
	}
	for _, s := range specs(p) {
		vals, ok := figures(res, s.bench, s.metrics)
		x := row{Section: s.section, Measure: s.measure, Target: s.target, Value: "—"}
		if ok {
			x.Value = join(vals)
			if s.goal != nil {
				x.Met = map[bool]string{true: "met", false: "missed"}[s.goal.met(vals)]
			}
		}
		if b, ok := figures(res, s.bench, s.baseline); ok && len(s.baseline) > 0 {
			x.Baseline = s.baselineLabel + ": " + join(b)
		}
		r.Rows = append(r.Rows, x)
	}
	return r
}

// figures returns the metrics' values, if the benchmark reported them all.
func figures(res results, bench string, metrics []string) ([]float64, bool) {
	var out []float64
	for _, m := range metrics {
		v, ok := res.get(bench, m)
		if !ok {
			return nil, false
		}
		out = append(out, v)
	}
	return out, len(out) > 0
}

func join(vs []float64) string {
	s := make([]string, len(vs))
	for i, v := range vs {
		if v > 0 && v < 1 {
			// Ratios: cut, not rounded, so 0.7996 does not show as 0.800
			// beside a target of 0.8 it missed.
			v = math.Floor(v*1000+1e-9) / 1000
		}
		s[i] = strconv.FormatFloat(v, 'f', decimals(v), 64)
	}
	return strings.Join(s, " / ")
}

func decimals(v float64) int {
	switch {
	case v >= 100:
		return 0
	case v >= 10:
		return 1
	case v >= 1:
		return 2
	default:
		return 3 // ratios near a target of 0.8 must not round onto it
	}
}

// table prints the rows for people.
func (r *report) table(w io.Writer) {
	fmt.Fprintf(w, "\nDen benchmarks (%s profile), %s, commit %s, %s\n", r.Profile, r.Date, r.Commit, r.Machine["summary"])
	section := ""
	for _, x := range r.Rows {
		if x.Section != section {
			section = x.Section
			fmt.Fprintf(w, "\n%s\n", section)
		}
		verdict := ""
		if x.Met != "" {
			verdict = "  [" + x.Met + ": " + x.Target + "]"
		} else if x.Target != "" {
			verdict = "  [target " + x.Target + "]"
		}
		base := ""
		if x.Baseline != "" {
			base = "   (" + x.Baseline + ")"
		}
		fmt.Fprintf(w, "  %-58s %s%s%s\n", x.Measure, x.Value, base, verdict)
	}
	fmt.Fprintf(w, "\n%.0f s in all\n", r.Seconds)
}

func commit() string {
	out, err := exec.Command("git", "describe", "--always", "--dirty").Output()
	if err != nil {
		return "unknown"
	}
	return strings.TrimSpace(string(out))
}

// machine describes where the figures were measured.
func machine() map[string]string {
	m := map[string]string{"cores": strconv.Itoa(runtime.NumCPU()), "go": runtime.Version()}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(l, ":"); ok && strings.TrimSpace(k) == "model name" {
				m["cpu"] = strings.TrimSpace(v)
				break
			}
		}
	}
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if f := strings.Fields(l); len(f) >= 2 && f[0] == "MemTotal:" {
				kb, _ := strconv.ParseFloat(f[1], 64)
				m["memory"] = fmt.Sprintf("%.0f GiB", kb/(1<<20))
			}
		}
	}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m["kernel"] = strings.TrimSpace(string(b))
	}
	if b, err := os.ReadFile("/proc/loadavg"); err == nil {
		m["load_at_end"] = strings.Join(strings.Fields(string(b))[:3], " ")
	}
	m["summary"] = fmt.Sprintf("%s cores (%s), %s, kernel %s, %s", m["cores"], m["cpu"], m["memory"], m["kernel"], m["go"])
	return m
}
