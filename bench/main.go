// Command bench is Den's benchmark suite and scale harness: it runs the
// benchmarks of package server (API latency with 1,000 workspaces, the
// build queue) and of package e2e (concurrent workspace lifecycles on the
// real Docker engine beside `docker run`, simulated agents, concurrent SSH
// and port-forward streams beside raw TCP and OpenSSH), reads the figures
// they report, and prints one table against the targets for people and
// JSON for machines. With -update it writes the table into BENCHMARKS.md
// with the machine, date and commit.
//
//	go run ./bench                 # the quick profile (a few minutes); make bench
//	go run ./bench -full           # larger: 20 workspaces, 256 MiB streams, 3 runs
//	go run ./bench -json out.json -update BENCHMARKS.md
//
// Everything runs on loopback; every load loop is bounded in count and time.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"time"
)

func main() {
	full := flag.Bool("full", false, "the larger profile: 20 workspaces, 256 MiB streams, each benchmark three times (medians)")
	jsonOut := flag.String("json", "", "write the results as JSON to this file")
	update := flag.String("update", "", "write the summary into this Markdown file (BENCHMARKS.md) between its markers")
	only := flag.String("only", "", "run only the steps whose names contain this (server, e2e-lifecycle, e2e-traffic, e2e-agents)")
	from := flag.String("from", "", "run nothing: report again the figures of an earlier -json file")
	flag.Parse()
	var err error
	if *from != "" {
		err = rereport(*from, *jsonOut, *update, os.Stdout)
	} else {
		err = run(*full, *only, *jsonOut, *update, os.Stdout, os.Stderr)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func run(full bool, only, jsonOut, update string, stdout, stderr io.Writer) error {
	p := quick
	if full {
		p = fullProfile
	}
	started := time.Now()
	res := results{}
	var ran []string
	for _, s := range p.steps {
		if only != "" && !strings.Contains(s.name, only) {
			continue
		}
		cmdline, err := s.run(res, stderr)
		ran = append(ran, cmdline)
		if err != nil {
			return fmt.Errorf("%s: %w (the figures so far are not written)", s.name, err)
		}
	}
	rep := newReport(p, res, ran, started)
	rep.Seconds = time.Since(started).Seconds()
	return rep.write(jsonOut, update, stdout)
}

// rereport reports again what an earlier run wrote with -json: the rows
// are judged anew, the date, commit, machine and commands are the run's.
func rereport(from, jsonOut, update string, stdout io.Writer) error {
	b, err := os.ReadFile(from)
	if err != nil {
		return err
	}
	var old report
	if err := json.Unmarshal(b, &old); err != nil {
		return fmt.Errorf("%s: %w", from, err)
	}
	p := quick
	if old.Profile == fullProfile.name {
		p = fullProfile
	}
	rep := newReport(p, old.Metrics, old.Commands, time.Now())
	rep.Date, rep.Commit, rep.Machine, rep.Seconds = old.Date, old.Commit, old.Machine, old.Seconds
	return rep.write(jsonOut, update, stdout)
}

// write prints the table and writes the JSON and Markdown asked for.
func (rep *report) write(jsonOut, update string, stdout io.Writer) error {
	rep.table(stdout)
	if jsonOut != "" {
		b, err := json.MarshalIndent(rep, "", "  ")
		if err != nil {
			return err
		}
		if err := os.WriteFile(jsonOut, append(b, '\n'), 0o644); err != nil {
			return err
		}
	}
	if update != "" {
		if err := rep.updateMarkdown(update); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "\nwrote the summary into %s\n", update)
	}
	return nil
}

// step is one `go test -bench` command.
type step struct {
	name    string
	pkg     string
	pattern string
	env     []string
	count   int
	timeout time.Duration
}

// run runs the step, echoing its output to w while collecting the figures,
// and returns its command line as a person would type it.
func (s step) run(into results, w io.Writer) (string, error) {
	args := []string{"test", s.pkg, "-run", "^$", "-bench", s.pattern, "-benchtime", "1x",
		"-count", fmt.Sprint(max(s.count, 1)), "-timeout", s.timeout.String()}
	quoted := make([]string, len(args))
	for i, a := range args {
		quoted[i] = shellQuote(a)
	}
	cmdline := strings.TrimSpace(strings.Join(s.env, " ") + " go " + strings.Join(quoted, " "))
	fmt.Fprintf(w, "\n== %s: %s\n", s.name, cmdline)
	ctx, cancel := context.WithTimeout(context.Background(), s.timeout+time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Env = append(os.Environ(), s.env...)
	var out bytes.Buffer
	cmd.Stdout = io.MultiWriter(&out, w)
	cmd.Stderr = w
	err := cmd.Run()
	if perr := parse(&out, into); perr != nil && err == nil {
		err = perr
	}
	return cmdline, err
}

// profile is a set of steps and the sizes they use.
type profile struct {
	name               string
	agents, workspaces int
	streams            int
	apiWorkspaces      int
	sshBytes           int64
	steps              []step
}

var quick = newProfile("quick", 10000, 10, 8, 1000, 64<<20, 1)
var fullProfile = newProfile("full", 10000, 20, 8, 1000, 256<<20, 3)

func newProfile(name string, agents, workspaces, streams, apiWorkspaces int, sshBytes int64, count int) profile {
	p := profile{name: name, agents: agents, workspaces: workspaces, streams: streams,
		apiWorkspaces: apiWorkspaces, sshBytes: sshBytes}
	p.steps = []step{
		{name: "server", pkg: "./server", pattern: "APILatency|JobPickup|AppProxy", count: count, timeout: 20 * time.Minute,
			env: []string{fmt.Sprintf("DEN_BENCH_WORKSPACES=%d", apiWorkspaces)}},
		{name: "e2e-lifecycle", pkg: "./e2e", pattern: "ScaleLifecycle", count: count, timeout: 20 * time.Minute,
			env: []string{fmt.Sprintf("DEN_BENCH_WORKSPACES=%d", workspaces)}},
		{name: "e2e-traffic", pkg: "./e2e", pattern: "ConcurrentStreams|SSHThroughput|RelayLatency|DenSSHCommand", count: count, timeout: 30 * time.Minute,
			env: []string{fmt.Sprintf("DEN_BENCH_STREAMS=%d", streams), fmt.Sprintf("DEN_BENCH_BYTES=%d", sshBytes),
				"DEN_BENCH_ROUNDS=1", "DEN_BENCH_PATHS=tcp-direct,tcp-den,gossh-proc,gossh-den,openssh-sshd,openssh-den"}},
		{name: "e2e-agents", pkg: "./e2e", pattern: "IdleAgents", count: count, timeout: 20 * time.Minute,
			env: []string{fmt.Sprintf("DEN_BENCH_AGENTS=%d", agents)}},
	}
	return p
}

// shellQuote quotes an argument that a shell would otherwise take apart.
func shellQuote(a string) string {
	if a != "" && strings.Trim(a, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./=:,") == "" {
		return a
	}
	return "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
}
