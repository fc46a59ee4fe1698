package e2e

import (
	"bufio"
	"cmp"
	"context"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/hashicorp/yamux"

	"den/agent"
	"den/provisioner"
	"den/sdk"
	"den/server/servertest"
)

// fakeAgentsEnv, in the environment of this test binary, makes
// TestFakeAgentsProcess run fake agents: it names a file of agent tokens,
// one a line; fakeAgentsURLEnv names the server.
const (
	fakeAgentsEnv    = "DEN_BENCH_FAKE_AGENTS"
	fakeAgentsURLEnv = "DEN_BENCH_FAKE_AGENTS_URL"
)

// BenchmarkIdleAgents measures the server's memory per idle connected agent
// with 1,000 agents ($DEN_BENCH_AGENTS to change): a real server (fake
// provisioner, real PostgreSQL) in this process, and fake agents that speak
// the real protocol (WebSocket, yamux, stream headers, pings) in a child
// process, so that this process holds the server alone. It reports the
// growth of the Go heap and stacks and of VmRSS from before the agents
// connect to when all are connected and idle, per agent; the CPU time this
// process (the server alone) spends per agent per minute while they idle,
// over 15 s, one keepalive period of the multiplexer (both ends ping every
// 15 s), so each connection's pings are counted once whatever their phase;
// how long all take to connect at once; and, after the server restarts
// (connections drop; the old server's shutdown is part of the outage), how
// long until all are back. Both times end at the latest connection time the
// server recorded (last_connected_at), once the API shows all connected, so
// polling a list of thousands of workspaces adds nothing; the log splits the
// restart (new server listening, agents back as they see it, as recorded,
// as a poll saw it) and the CPU each process spent on it.
// $DEN_BENCH_HEAP_PROFILE=FILE writes the heap profile taken while all
// agents are connected and idle; $DEN_BENCH_CPU_PROFILE=FILE this
// process's CPU profile from the restart until all are back.
//
//	go test ./e2e -run '^$' -bench IdleAgents -benchtime 1x
func BenchmarkIdleAgents(b *testing.B) {
	const idle = 15 * time.Second
	n := int(envInt64(b, "DEN_BENCH_AGENTS", 1000))
	srv := servertest.New(b)
	srv.Fake.Agent = &provisioner.AgentSpec{}
	owner, _ := srv.FirstUser(b)
	srv.PushTemplate(b, owner, "t", map[string]string{"den.yaml": "container:\n  image: den-test-busybox:1\n"})
	ctx := context.Background()

	t0 := time.Now()
	ws := make([]sdk.Workspace, n)
	bounded(b, n, 8, func(i int) error {
		var err error
		ws[i], err = owner.CreateWorkspace(ctx, sdk.Me, sdk.CreateWorkspaceRequest{Name: fmt.Sprintf("idle-%05d", i), Template: "t"})
		return err
	})
	bounded(b, n, 8, func(i int) error {
		for deadline := time.Now().Add(5 * time.Minute); ; {
			j, err := owner.Job(ctx, ws[i].LatestBuild.Job.ID)
			if err == nil && j.Status.Done() {
				if j.Status != sdk.JobSucceeded {
					return fmt.Errorf("start of %s: %s: %s", ws[i].Name, j.Status, j.Error)
				}
				return nil
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("start of %s: still %s (%v)", ws[i].Name, j.Status, err)
			}
			time.Sleep(20 * time.Millisecond) //nolint:forbidigo // polling with a deadline
		}
	})
	tokens := map[uuid.UUID]string{}
	for _, req := range srv.Fake.Applied() {
		tokens[req.Workspace.ID] = req.Agent.Token
	}
	var list strings.Builder
	for _, w := range ws {
		if tokens[w.ID] == "" {
			b.Fatalf("no agent token for %s", w.Name)
		}
		fmt.Fprintln(&list, tokens[w.ID])
	}
	tokenFile := filepath.Join(b.TempDir(), "tokens")
	if err := os.WriteFile(tokenFile, []byte(list.String()), 0o600); err != nil {
		b.Fatal(err)
	}
	b.Logf("%d workspaces created and started in %s", n, time.Since(t0).Round(time.Millisecond))

	for range b.N {
		m0 := serverMemory()
		child := startFakeAgents(b, tokenFile, srv.URL.String())

		started := child.wait(b, "started", func(connects, live int) bool { return true })
		child.wait(b, "all connected", func(connects, live int) bool { return live == n })
		connectAll := allConnected(b, owner, n, time.Time{}).Sub(started)

		cpu0 := processCPU(b)
		time.Sleep(idle) //nolint:forbidigo // the idle period is what is measured
		idleCPU := processCPU(b) - cpu0
		m1 := serverMemory()
		childRSS := child.rss(b)
		if path := os.Getenv("DEN_BENCH_HEAP_PROFILE"); path != "" {
			writeHeapProfile(b, path)
		}
		pingSome(b, owner, ws, 10)

		var prof *os.File
		if path := os.Getenv("DEN_BENCH_CPU_PROFILE"); path != "" {
			prof = startCPUProfile(b, path)
		}
		serverCPU, childCPU, pgCPU, machine := processCPU(b), child.cpu(b), postgresCPU(b), machineCPU(b)
		failedBefore := child.failed
		restarted := time.Now()
		srv.Restart(b, 0)
		listening := time.Since(restarted)
		back := child.wait(b, "all reconnected", func(connects, live int) bool { return connects >= 2*n && live == n }).Sub(restarted)
		serverCPU, childCPU, pgCPU, machine = processCPU(b)-serverCPU, child.cpu(b)-childCPU, postgresCPU(b)-pgCPU, machineCPU(b)-machine
		failed0 := child.failed
		reconnectAll := allConnected(b, owner, n, restarted).Sub(restarted)
		seen := time.Since(restarted)
		if prof != nil {
			pprof.StopCPUProfile()
			prof.Close()
		}
		b.Logf("restart: the new server listening after %s; all agents back as they see it after %s, as the server recorded it (the latest last_connected_at) %s, as a poll of the API saw it %s; %d failed connection attempts; CPU until all were back: server %s, fake agents %s, PostgreSQL %s, whole machine %s",
			listening.Round(time.Millisecond), back.Round(time.Millisecond), reconnectAll.Round(time.Millisecond), seen.Round(time.Millisecond), failed0-failedBefore,
			serverCPU.Round(time.Millisecond), childCPU.Round(time.Millisecond), pgCPU, machine)
		pingSome(b, owner, ws, 10)
		child.stop(b)

		perAgent := func(before, after uint64) float64 { return (float64(after) - float64(before)) / float64(n) / 1024 }
		b.ReportMetric(perAgent(m0.heap+m0.stack, m1.heap+m1.stack), "server-heap+stack-KiB/agent")
		b.ReportMetric(perAgent(m0.heap, m1.heap), "server-heap-KiB/agent")
		b.ReportMetric(perAgent(m0.stack, m1.stack), "server-stack-KiB/agent")
		b.ReportMetric(perAgent(m0.rss, m1.rss), "server-rss-KiB/agent")
		b.ReportMetric(float64(m1.goroutines-m0.goroutines)/float64(n), "server-goroutines/agent")
		b.ReportMetric(float64(m1.heap+m1.stack)/(1<<20), "server-heap+stack-MiB")
		b.ReportMetric(float64(m1.rss)/(1<<20), "server-rss-MiB")
		b.ReportMetric(childRSS/float64(n)*1024, "fake-agents-rss-KiB/agent")
		b.ReportMetric(float64(idleCPU.Microseconds())/1000/float64(n)/idle.Minutes(), "server-cpu-ms/agent/min")
		b.ReportMetric(float64(connectAll.Milliseconds()), "connect-all-ms")
		b.ReportMetric(float64(reconnectAll.Milliseconds()), "reconnect-all-ms")
		b.Logf("server before: %s; with %d idle agents: %s; CPU over %s idle: %s", m0, n, m1, idle, idleCPU)
	}
}

// processCPU is the CPU time (user and system) this process has used.
func processCPU(b *testing.B) time.Duration {
	b.Helper()
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// startCPUProfile profiles this process's CPU into path until
// pprof.StopCPUProfile.
func startCPUProfile(b *testing.B, path string) *os.File {
	b.Helper()
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		b.Fatal(err)
	}
	return f
}

// writeHeapProfile writes the heap profile (as of the last collection).
func writeHeapProfile(b *testing.B, path string) {
	b.Helper()
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	if err := pprof.WriteHeapProfile(f); err != nil {
		b.Fatal(err)
	}
}

// bounded runs f(0..n-1), at most par at a time, and fails b with the first
// error.
func bounded(b *testing.B, n, par int, f func(i int) error) {
	b.Helper()
	var (
		wg    sync.WaitGroup
		next  atomic.Int64
		mu    sync.Mutex
		first error
	)
	for range par {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				if err := f(i); err != nil {
					mu.Lock()
					first = cmp.Or(first, err)
					mu.Unlock()
					return
				}
			}
		})
	}
	wg.Wait()
	if first != nil {
		b.Fatal(first)
	}
}

// goMemory is this process's memory: Go's heap spans in use (HeapInuse),
// of which live objects (HeapAlloc), stack spans in use (StackInuse) and
// VmRSS, in bytes; and its goroutines.
type goMemory struct {
	heap, live, stack, rss uint64
	goroutines             int
}

func (m goMemory) String() string {
	return fmt.Sprintf("heap %.1f MiB (live %.1f), stacks %.1f MiB, RSS %.1f MiB, %d goroutines",
		float64(m.heap)/(1<<20), float64(m.live)/(1<<20), float64(m.stack)/(1<<20), float64(m.rss)/(1<<20), m.goroutines)
}

// serverMemory reads this process's memory after a collection that also
// returns freed memory to the system.
func serverMemory() goMemory {
	debug.FreeOSMemory()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	status, _ := os.ReadFile("/proc/self/status")
	m, _ := parseStatus(string(status))
	return goMemory{heap: ms.HeapInuse, live: ms.HeapAlloc, stack: ms.StackInuse, rss: uint64(m.rss * (1 << 20)), goroutines: runtime.NumGoroutine()}
}

// allConnected waits until the API shows all n agents connected (since
// after, when it is not zero), and returns the latest time the server
// recorded an agent's connection: when the last one was back, as the
// server saw it, whatever the delay of polling a long list.
func allConnected(b *testing.B, c *sdk.Client, n int, after time.Time) time.Time {
	b.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for {
		list, err := c.Workspaces(context.Background(), sdk.WorkspaceFilter{Owner: sdk.Me})
		connected := 0
		var last time.Time
		for _, w := range list {
			if a := w.Agent; a != nil && a.Connection == sdk.AgentConnected && a.LastConnectedAt != nil && (after.IsZero() || a.LastConnectedAt.After(after)) {
				connected++
				if a.LastConnectedAt.After(last) {
					last = *a.LastConnectedAt
				}
			}
		}
		if err == nil && connected == n {
			return last
		}
		if time.Now().After(deadline) {
			b.Fatalf("the API shows %d of %d agents connected (%v)", connected, n, err)
		}
		time.Sleep(50 * time.Millisecond) //nolint:forbidigo // polling with a deadline
	}
}

// pingSome checks that k agents answer a ping through the server.
func pingSome(b *testing.B, c *sdk.Client, ws []sdk.Workspace, k int) {
	b.Helper()
	for i := range min(k, len(ws)) {
		w := ws[i*len(ws)/min(k, len(ws))]
		conn, err := c.DialWorkspace(context.Background(), w.ID, sdk.StreamHeader{Kind: sdk.StreamPing})
		if err != nil {
			b.Fatalf("ping %s: %v", w.Name, err)
		}
		msg := []byte("ping " + w.Name)
		back := make([]byte, len(msg))
		conn.SetDeadline(time.Now().Add(10 * time.Second)) //nolint:errcheck
		_, err = conn.Write(msg)
		if err == nil {
			_, err = io.ReadFull(conn, back)
		}
		conn.Close()
		if err != nil || string(back) != string(msg) {
			b.Fatalf("ping %s: %q, %v", w.Name, back, err)
		}
	}
}

// fakeAgents is the child process running the fake agents; it reports
// "agents CONNECTS LIVE FAILED" lines whenever the counts change (FAILED:
// connection attempts that failed).
type fakeAgents struct {
	cmd     *exec.Cmd
	stdin   io.WriteCloser
	lines   chan [3]int
	failed  int // as of the last line wait read
	stderr  *lockedBuffer
	done    chan struct{}
	stopped bool
}

func startFakeAgents(b *testing.B, tokenFile, url string) *fakeAgents {
	b.Helper()
	// No test timeout: the child ends when its stdin closes, which it does
	// when this process ends too.
	cmd := exec.Command(os.Args[0], "-test.run=^TestFakeAgentsProcess$", "-test.count=1", "-test.timeout=0")
	cmd.Env = append(os.Environ(), fakeAgentsEnv+"="+tokenFile, fakeAgentsURLEnv+"="+url)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	f := &fakeAgents{cmd: cmd, stdin: stdin, lines: make(chan [3]int, 1024), stderr: &lockedBuffer{}, done: make(chan struct{})}
	cmd.Stderr = f.stderr
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	go func() {
		defer close(f.done)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			var c [3]int
			if _, err := fmt.Sscanf(sc.Text(), "agents %d %d %d", &c[0], &c[1], &c[2]); err == nil {
				f.lines <- c
			}
		}
	}()
	b.Cleanup(func() {
		if !f.stopped {
			cmd.Process.Kill() //nolint:errcheck // it may have exited
			<-f.done
			cmd.Wait() //nolint:errcheck
		}
	})
	return f
}

// wait waits until the child reports counts that satisfy cond and returns
// when it saw them.
func (f *fakeAgents) wait(b *testing.B, what string, cond func(connects, live int) bool) time.Time {
	b.Helper()
	timeout := time.After(5 * time.Minute)
	last := [3]int{-1, -1, -1}
	for {
		select {
		case c := <-f.lines:
			last, f.failed = c, c[2]
			if cond(c[0], c[1]) {
				return time.Now()
			}
		case <-f.done:
			b.Fatalf("the fake agents exited before %s (last counts %v):\n%s", what, last, f.stderr.String())
		case <-timeout:
			b.Fatalf("waiting for %s: last counts (connects, live, failed) %v", what, last)
		}
	}
}

// rss returns the child's VmRSS in MiB.
func (f *fakeAgents) rss(b *testing.B) float64 {
	b.Helper()
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", f.cmd.Process.Pid))
	if err != nil {
		b.Fatal(err)
	}
	m, _ := parseStatus(string(status))
	return m.rss
}

// cpu returns the CPU time (user and system) the child has used.
func (f *fakeAgents) cpu(b *testing.B) time.Duration {
	b.Helper()
	st, err := readProcStat(f.cmd.Process.Pid)
	if err != nil {
		b.Fatal(err)
	}
	return st.cpu
}

// procStat is what /proc/PID/stat says of a process: its command, parent,
// and CPU time (user and system) of its own and of its waited-for children.
type procStat struct {
	comm          string
	ppid          int
	cpu, children time.Duration
}

func readProcStat(pid int) (procStat, error) {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return procStat{}, err
	}
	// pid (comm) state ppid ... utime stime cutime cstime (fields 14-17,
	// in 10 ms ticks); comm may hold spaces, so count after its last ')'.
	i := strings.LastIndexByte(string(raw), ')')
	j := strings.IndexByte(string(raw), '(')
	if i < 0 || j < 0 || j > i {
		return procStat{}, fmt.Errorf("/proc/%d/stat: %q", pid, raw)
	}
	f := strings.Fields(string(raw[i+1:]))
	if len(f) < 15 {
		return procStat{}, fmt.Errorf("/proc/%d/stat: %q", pid, raw)
	}
	var v [5]int64
	for k, s := range []string{f[1], f[11], f[12], f[13], f[14]} {
		if v[k], err = strconv.ParseInt(s, 10, 64); err != nil {
			return procStat{}, fmt.Errorf("/proc/%d/stat: %q", pid, raw)
		}
	}
	const tick = 10 * time.Millisecond // USER_HZ is 100 on Linux
	return procStat{comm: string(raw[j+1 : i]), ppid: int(v[0]), cpu: time.Duration(v[1]+v[2]) * tick, children: time.Duration(v[3]+v[4]) * tick}, nil
}

// postgresCPU is the CPU time of the PostgreSQL clusters this process
// started (dbtest's): each postmaster's, its live backends' and those that
// exited.
func postgresCPU(b *testing.B) time.Duration {
	b.Helper()
	dirs, err := os.ReadDir("/proc")
	if err != nil {
		b.Fatal(err)
	}
	all := map[int]procStat{}
	for _, d := range dirs {
		pid, err := strconv.Atoi(d.Name())
		if err != nil {
			continue
		}
		if st, err := readProcStat(pid); err == nil {
			all[pid] = st
		}
	}
	self := os.Getpid()
	var total time.Duration
	for pid, st := range all {
		if st.comm != "postgres" || st.ppid != self {
			continue
		}
		total += st.cpu + st.children
		for _, c := range all {
			if c.ppid == pid {
				total += c.cpu
			}
		}
	}
	return total
}

// stop closes the child's stdin, which ends it.
func (f *fakeAgents) stop(b *testing.B) {
	b.Helper()
	f.stdin.Close()
	select {
	case <-f.done:
	case <-time.After(30 * time.Second):
		b.Fatal("the fake agents did not exit")
	}
	if err := f.cmd.Wait(); err != nil {
		b.Fatalf("fake agents: %v\n%s", err, f.stderr.String())
	}
	f.stopped = true
}

// TestFakeAgentsProcess is not a test: it is the child process of
// BenchmarkIdleAgents, which runs this binary again with $DEN_BENCH_FAKE_AGENTS
// set. It runs one fake agent per token until its stdin closes.
func TestFakeAgentsProcess(t *testing.T) {
	tokenFile := os.Getenv(fakeAgentsEnv)
	if tokenFile == "" {
		t.Skip("the child process of BenchmarkIdleAgents")
	}
	raw, err := os.ReadFile(tokenFile)
	if err != nil {
		t.Fatal(err)
	}
	u, err := sdk.ParseURL(os.Getenv(fakeAgentsURLEnv))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		io.Copy(io.Discard, os.Stdin) //nolint:errcheck
		cancel()
	}()

	var connects, live, failed atomic.Int64
	var wg sync.WaitGroup
	fmt.Println("agents 0 0 0")
	for _, token := range strings.Fields(string(raw)) {
		wg.Go(func() { fakeAgent(ctx, u, token, &connects, &live, &failed) })
	}
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	var last [3]int64
	for ctx.Err() == nil {
		select {
		case <-ctx.Done():
		case <-tick.C:
			if now := [3]int64{connects.Load(), live.Load(), failed.Load()}; now != last {
				last = now
				fmt.Printf("agents %d %d %d\n", now[0], now[1], now[2])
			}
		}
	}
	wg.Wait()
}

// fakeAgent keeps one agent connection up, as den agent does: it dials the
// server, runs yamux on the WebSocket, answers pings, and reconnects with
// the agent's backoff when the connection drops.
func fakeAgent(ctx context.Context, u *url.URL, token string, connects, live, failed *atomic.Int64) {
	client := sdk.NewAgentClient(sdk.New(u), token)
	backoff := agent.Backoff{Min: 100 * time.Millisecond, Max: time.Second}
	for attempt := 0; ctx.Err() == nil; {
		conn, err := client.Connect(ctx, "fake")
		if err != nil {
			failed.Add(1)
			select {
			case <-ctx.Done():
			case <-time.After(backoff.Next(attempt)):
			}
			attempt++
			continue
		}
		attempt = 0
		sess, err := yamux.Client(sdk.MultiplexerConn(conn), sdk.MultiplexerConfig())
		if err != nil {
			conn.Close()
			continue
		}
		connects.Add(1)
		live.Add(1)
		stop := context.AfterFunc(ctx, func() { sess.Close() })
		for {
			stream, err := sess.AcceptStream()
			if err != nil {
				break
			}
			go servePing(stream)
		}
		stop()
		sess.Close()
		live.Add(-1)
	}
}

// servePing answers a stream the server opened: pings are echoed, every
// other kind is refused.
func servePing(stream net.Conn) {
	defer stream.Close()
	stream.SetReadDeadline(time.Now().Add(15 * time.Second)) //nolint:errcheck
	var h sdk.StreamHeader
	if err := sdk.ReadStreamMessage(stream, &h); err != nil {
		return
	}
	if h.Kind != sdk.StreamPing {
		sdk.WriteStreamMessage(stream, sdk.StreamReply{Error: "the fake agent answers pings only"}) //nolint:errcheck
		return
	}
	stream.SetReadDeadline(time.Time{}) //nolint:errcheck
	if err := sdk.WriteStreamMessage(stream, sdk.StreamReply{}); err != nil {
		return
	}
	io.Copy(stream, stream) //nolint:errcheck // the server or the agent closed it
}
