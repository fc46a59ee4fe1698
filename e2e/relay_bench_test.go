package e2e

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"io"
	"log/slog"
	"maps"
	"net"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"den/agent/sshd"
	"den/dockertest"
	"den/sdk"
	"den/splice"
)

// The relay benchmarks: what `den ssh`, OpenSSH through `den config-ssh`
// and port forwarding cost against the same work without Den's relay, on
// a real workspace (the docker provisioner, the real agent in a container on
// the host's network), in the same run. See BENCHMARKS.md, "SSH, port
// forwarding and agents".

// relayBench is a running workspace whose agent is connected.
type relayBench struct {
	e  *env
	ws sdk.Workspace
}

func newRelayBench(b *testing.B) *relayBench {
	b.Helper()
	e := newEnv(b)
	ws := e.create(b, "bench")
	return &relayBench{e: e, ws: waitConnected(b, e.owner, ws)}
}

func (r *relayBench) dial(b *testing.B, h sdk.StreamHeader) net.Conn {
	b.Helper()
	conn, err := r.e.owner.DialWorkspace(context.Background(), r.ws.ID, h)
	if err != nil {
		b.Fatalf("dial %s: %v", h.Kind, err)
	}
	return conn
}

// denSSH is the Go SSH client over a relayed SSH stream, as `den ssh` runs it.
func (r *relayBench) denSSH(b *testing.B) *ssh.Client {
	b.Helper()
	c, err := sshClient(r.dial(b, sdk.StreamHeader{Kind: sdk.StreamSSH}), r.ws.SSHHostKey)
	if err != nil {
		b.Fatalf("ssh through den: %v", err)
	}
	b.Cleanup(func() { c.Close() })
	return c
}

// goSSHD runs the agent's SSH server (package agent/sshd) in this process
// behind a loopback listener, with dir as its session directory, until tb
// ends: the same SSH stream as through Den, without the relay. It returns
// the listener's address and the host key.
func goSSHD(b testing.TB, dir string) (addr, hostKey string) {
	b.Helper()
	_, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		b.Fatal(err)
	}
	srv, err := sshd.New(sshd.Options{HostKey: key, Dir: dir, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	ln := serveLoopback(b, func(c net.Conn) { srv.ServeConn(ctx, c) })
	// Cleanups run last first: this ends the sessions before serveLoopback
	// waits for their handlers.
	b.Cleanup(func() { cancel(); srv.Close() })
	pub, err := sdk.SSHPublicKey(key.Public().(ed25519.PublicKey))
	if err != nil {
		b.Fatal(err)
	}
	return ln.Addr().String(), pub
}

// dialSSH connects the Go SSH client to addr.
func dialSSH(b *testing.B, addr, hostKey string) *ssh.Client {
	b.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		b.Fatal(err)
	}
	c, err := sshClient(conn, hostKey)
	if err != nil {
		b.Fatalf("ssh to %s: %v", addr, err)
	}
	b.Cleanup(func() { c.Close() })
	return c
}

// twoHops returns the address of a chain of two loopback TCP relays (each
// accepts, dials the next and splices the two with package splice) in front
// of target: as many trips through the kernel as client → server → agent →
// target, with no WebSocket or multiplexer. It bounds what any relay that
// runs as its own processes could do here.
func twoHops(b *testing.B, target string) string {
	b.Helper()
	return hop(b, hop(b, target))
}

func hop(b *testing.B, target string) string {
	b.Helper()
	return serveLoopback(b, func(c net.Conn) {
		t, err := net.Dial("tcp", target)
		if err != nil {
			c.Close()
			return
		}
		splice.Conns(c, t)
	}).Addr().String()
}

// throughputCase is one way of moving the bytes: up (client to workspace)
// and down, each returning the time of the steady transfer of bytes.
type throughputCase struct {
	name     string
	bytes    int64 // what up and down time (OpenSSH's leave out the first MiB)
	up, down func() (time.Duration, error)
}

// BenchmarkSSHThroughput streams the same bytes (256 MiB, or
// $DEN_BENCH_BYTES) up and down through each path, in rounds that take
// every path in turn ($DEN_BENCH_ROUNDS, default 3), and reports each
// path's median MiB/s, the CPU time the whole machine spent per MiB
// moved (all processes: client, server, agent, sshd, the commands; and
// whatever else runs), and the ratios of relayed to direct
// ($DEN_BENCH_PATHS=tcp-den,gossh-den,... takes only the paths named):
//
//	go test ./e2e -run '^$' -bench SSHThroughput -benchtime 1x
//
// The paths, in pairs:
//
//   - tcp-direct: a loopback TCP connection to a sink server; tcp-den: the
//     same sink through a port-forward stream (client → server → agent →
//     sink), as `den port-forward` carries it.
//   - gossh-proc: as gossh-direct, but the SSH server runs in a child
//     process (TestSSHDProcess), so client and server are separate
//     processes as they are through Den; gossh-den/gossh-proc is the
//     relay's share alone.
//   - tcp-2hop and gossh-2hop: the direct cases through two plain loopback
//     TCP relays (splice), the kernel work of Den's path without its
//     framing, multiplexing or separate processes.
//   - gossh-direct: the Go SSH client to the agent's SSH server (agent/sshd)
//     running in this process behind a loopback listener; gossh-den: the
//     same client through Den to the agent in the workspace, as `den ssh`
//     does (`dd of=/dev/null bs=64k` up, `dd if=/dev/zero bs=64k` down).
//   - openssh-sshd: OpenSSH's ssh to a private OpenSSH sshd on loopback;
//     openssh-den: ssh through `den config-ssh`'s ProxyCommand; both with
//     OpenSSH's default cipher (chacha20-poly1305) and again with
//     aes128-gcm (the -aes cases). OpenSSH figures leave out the first MiB,
//     so the connection's setup is not counted (the whole command's time is
//     logged).
func BenchmarkSSHThroughput(b *testing.B) {
	n := envInt64(b, "DEN_BENCH_BYTES", 256<<20)
	if n < 2<<20 || n%(64<<10) != 0 {
		b.Fatalf("$DEN_BENCH_BYTES must be a multiple of 64 KiB, at least 2 MiB")
	}
	rounds := int(envInt64(b, "DEN_BENCH_ROUNDS", 3))
	r := newRelayBench(b)
	c := newBenchCLI(b, r.e)
	sd := startOpenSSHD(b)
	sink := startSink(b, n)
	denHost := "den." + r.ws.Name
	aes := []string{"-c", "aes128-gcm@openssh.com"}

	for _, x := range []struct {
		name, config, host string
		extra              []string
	}{{"openssh-sshd", sd.config, sshdHost, nil}, {"openssh-den", c.sshConfig, denHost, nil},
		{"openssh-sshd-aes", sd.config, sshdHost, aes}, {"openssh-den-aes", c.sshConfig, denHost, aes}} {
		b.Logf("%s: %s", x.name, negotiated(b, c, x.config, x.extra, x.host))
	}

	sshdAddr, sshdKey := goSSHD(b, b.TempDir())
	procAddr, procKey := goSSHDProcess(b)
	denClient, directClient, hopClient := r.denSSH(b), dialSSH(b, sshdAddr, sshdKey), dialSSH(b, twoHops(b, sshdAddr), sshdKey)
	procClient := dialSSH(b, procAddr, procKey)
	sinkHops := twoHops(b, sink.addr())
	tcp := func(dial func() (net.Conn, error), f func(net.Conn) (time.Duration, error)) func() (time.Duration, error) {
		return func() (time.Duration, error) {
			conn, err := dial()
			if err != nil {
				return 0, err
			}
			defer conn.Close()
			return f(conn)
		}
	}
	direct := func() (net.Conn, error) { return net.Dial("tcp", sink.addr()) }
	hops := func() (net.Conn, error) { return net.Dial("tcp", sinkHops) }
	relayed := func() (net.Conn, error) {
		return r.e.owner.DialWorkspace(context.Background(), r.ws.ID, sdk.StreamHeader{Kind: sdk.StreamTCP, Addr: sink.addr()})
	}
	var wholeMu sync.Mutex
	whole := map[string][]time.Duration{}
	openssh := func(name, config, host string, extra []string) throughputCase {
		keep := func(dir string, d time.Duration) {
			wholeMu.Lock()
			whole[name+"-"+dir] = append(whole[name+"-"+dir], d)
			wholeMu.Unlock()
		}
		return throughputCase{name: name, bytes: n - (1 << 20),
			up: func() (time.Duration, error) {
				steady, w, err := openSSHUpload(c.openSSH(config, extra, host, sinkCommand), n)
				keep("up", w)
				return steady, err
			},
			down: func() (time.Duration, error) {
				steady, w, err := openSSHDownload(c.openSSH(config, extra, host, zeros(n)), n)
				keep("down", w)
				return steady, err
			},
		}
	}
	cases := []throughputCase{
		{name: "tcp-direct", bytes: n, up: tcp(direct, sink.upload), down: tcp(direct, sink.download)},
		{name: "tcp-2hop", bytes: n, up: tcp(hops, sink.upload), down: tcp(hops, sink.download)},
		{name: "tcp-den", bytes: n, up: tcp(relayed, sink.upload), down: tcp(relayed, sink.download)},
		{name: "gossh-direct", bytes: n, up: func() (time.Duration, error) { return sshUpload(directClient, n) },
			down: func() (time.Duration, error) { return sshDownload(directClient, n) }},
		{name: "gossh-proc", bytes: n, up: func() (time.Duration, error) { return sshUpload(procClient, n) },
			down: func() (time.Duration, error) { return sshDownload(procClient, n) }},
		{name: "gossh-2hop", bytes: n, up: func() (time.Duration, error) { return sshUpload(hopClient, n) },
			down: func() (time.Duration, error) { return sshDownload(hopClient, n) }},
		{name: "gossh-den", bytes: n, up: func() (time.Duration, error) { return sshUpload(denClient, n) },
			down: func() (time.Duration, error) { return sshDownload(denClient, n) }},
		openssh("openssh-sshd", sd.config, sshdHost, nil),
		openssh("openssh-den", c.sshConfig, denHost, nil),
		openssh("openssh-sshd-aes", sd.config, sshdHost, aes),
		openssh("openssh-den-aes", c.sshConfig, denHost, aes),
	}

	if only := os.Getenv("DEN_BENCH_PATHS"); only != "" {
		cases = slices.DeleteFunc(cases, func(tc throughputCase) bool { return !slices.Contains(strings.Split(only, ","), tc.name) })
	}
	rate, cpu := map[string]float64{}, map[string]float64{}
	for range b.N {
		times, cpus := map[string][]time.Duration{}, map[string][]time.Duration{}
		for round := range rounds {
			for _, tc := range cases {
				for _, dir := range []string{"up", "down"} {
					f := tc.up
					if dir == "down" {
						f = tc.down
					}
					c0 := machineCPU(b)
					d, err := f()
					c1 := machineCPU(b)
					if err != nil {
						b.Fatalf("%s %s: %v", tc.name, dir, err)
					}
					times[tc.name+"-"+dir] = append(times[tc.name+"-"+dir], d)
					cpus[tc.name+"-"+dir] = append(cpus[tc.name+"-"+dir], c1-c0)
					b.Logf("round %d: %s %s: %.1f MiB/s, %.2f CPU-ms/MiB", round+1, tc.name, dir, mibps(tc.bytes, d), cpuPerMiB(c1-c0, n))
				}
			}
		}
		for _, tc := range cases {
			for _, dir := range []string{"up", "down"} {
				rate[tc.name+"-"+dir] = mibps(tc.bytes, median(times[tc.name+"-"+dir]))
				cpu[tc.name+"-"+dir] = cpuPerMiB(median(cpus[tc.name+"-"+dir]), n)
			}
		}
	}
	for _, tc := range cases {
		for _, dir := range []string{"up", "down"} {
			b.ReportMetric(rate[tc.name+"-"+dir], tc.name+"-"+dir+"-MiB/s")
			b.ReportMetric(cpu[tc.name+"-"+dir], tc.name+"-"+dir+"-CPU-ms/MiB")
		}
	}
	for _, p := range [][2]string{{"tcp-den", "tcp-direct"}, {"tcp-2hop", "tcp-direct"}, {"gossh-den", "gossh-direct"}, {"gossh-den", "gossh-proc"}, {"gossh-proc", "gossh-direct"}, {"gossh-2hop", "gossh-direct"}, {"openssh-den", "openssh-sshd"}, {"openssh-den-aes", "openssh-sshd-aes"}} {
		for _, dir := range []string{"up", "down"} {
			if rate[p[0]+"-"+dir] > 0 && rate[p[1]+"-"+dir] > 0 {
				b.ReportMetric(rate[p[0]+"-"+dir]/rate[p[1]+"-"+dir], p[0]+"/"+p[1]+"-"+dir)
			}
		}
	}
	for _, k := range slices.Sorted(maps.Keys(whole)) {
		d := whole[k]
		b.Logf("%s: whole command p50 %s for %d MiB (%.1f MiB/s)", k, median(d).Round(time.Millisecond), n>>20, mibps(n, median(d)))
	}
}

// BenchmarkRelayLatency measures round trips of 64 bytes: to a loopback TCP
// echo server directly (tcp-direct); through Den to the agent's ping stream,
// which echoes (ping-den: client → server → agent and back); through a
// port-forward stream to the same echo server (tcp-den); through two plain
// loopback TCP relays in this process (tcp-2hop); and through an SSH
// session running cat, with the Go client to the in-process agent SSH server
// (ssh-direct) and through Den (ssh-den). 2000 round trips per path (after
// 100 to warm up), taken in blocks of 200 that alternate between the paths.
//
//	go test ./e2e -run '^$' -bench RelayLatency -benchtime 1x
func BenchmarkRelayLatency(b *testing.B) {
	const total, block, warm, size = 2000, 200, 100, 64
	r := newRelayBench(b)
	echo := startEcho(b)

	catConn := func(c *ssh.Client) io.ReadWriter {
		s, err := c.NewSession()
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { s.Close() })
		in, _ := s.StdinPipe()
		out, _ := s.StdoutPipe()
		if err := s.Start("cat"); err != nil {
			b.Fatal(err)
		}
		return struct {
			io.Reader
			io.Writer
		}{out, in}
	}
	direct, err := net.Dial("tcp", echo)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { direct.Close() })
	ping := r.dial(b, sdk.StreamHeader{Kind: sdk.StreamPing})
	b.Cleanup(func() { ping.Close() })
	fwd := r.dial(b, sdk.StreamHeader{Kind: sdk.StreamTCP, Addr: echo})
	sshdAddr, sshdKey := goSSHD(b, b.TempDir())
	b.Cleanup(func() { fwd.Close() })
	hopped, err := net.Dial("tcp", twoHops(b, echo))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { hopped.Close() })
	paths := []struct {
		name string
		conn io.ReadWriter
	}{
		{"tcp-direct", direct}, {"tcp-2hop", hopped}, {"ping-den", ping}, {"tcp-den", fwd},
		{"ssh-direct", catConn(dialSSH(b, sshdAddr, sshdKey))}, {"ssh-den", catConn(r.denSSH(b))},
	}

	msg, back := make([]byte, size), make([]byte, size)
	rand.Read(msg) //nolint:errcheck
	roundTrip := func(c io.ReadWriter) (time.Duration, error) {
		t0 := time.Now()
		if _, err := c.Write(msg); err != nil {
			return 0, err
		}
		if _, err := io.ReadFull(c, back); err != nil {
			return 0, err
		}
		return time.Since(t0), nil
	}
	p := map[string][3]time.Duration{}
	for range b.N {
		rtts := map[string][]time.Duration{}
		for _, path := range paths {
			for range warm {
				if _, err := roundTrip(path.conn); err != nil {
					b.Fatalf("%s: %v", path.name, err)
				}
			}
		}
		for range total / block {
			for _, path := range paths {
				for range block {
					d, err := roundTrip(path.conn)
					if err != nil {
						b.Fatalf("%s: %v", path.name, err)
					}
					if string(back) != string(msg) {
						b.Fatalf("%s echoed other bytes", path.name)
					}
					rtts[path.name] = append(rtts[path.name], d)
				}
			}
		}
		for _, path := range paths {
			d := rtts[path.name]
			p[path.name] = [3]time.Duration{percentile(d, 50), percentile(d, 95), percentile(d, 99)}
		}
	}
	us := func(d time.Duration) float64 { return float64(d.Nanoseconds()) / 1000 }
	for _, path := range paths {
		v := p[path.name]
		b.ReportMetric(us(v[0]), path.name+"-p50-us")
		b.ReportMetric(us(v[1]), path.name+"-p95-us")
		b.ReportMetric(us(v[2]), path.name+"-p99-us")
	}
	b.ReportMetric(us(p["ping-den"][0]-p["tcp-direct"][0]), "ping-den-added-p50-us")
	b.ReportMetric(us(p["tcp-den"][0]-p["tcp-direct"][0]), "tcp-den-added-p50-us")
	b.ReportMetric(us(p["ssh-den"][0]-p["ssh-direct"][0]), "ssh-den-added-p50-us")
}

// BenchmarkDenSSHCommand runs whole commands, 30 of each, taking turns:
// `den ssh NAME -- true` (the real den binary, logged in with its own
// config directory); `ssh den.NAME true` through `den config-ssh`'s
// ProxyCommand; `ssh` to a private OpenSSH sshd on loopback, with its
// default key exchange and with curve25519 (what ssh and Den's server
// agree on); and, as the floor of starting the binary, `den version`.
//
//	go test ./e2e -run '^$' -bench DenSSHCommand -benchtime 1x
func BenchmarkDenSSHCommand(b *testing.B) {
	const runs, warm = 30, 3
	r := newRelayBench(b)
	c := newBenchCLI(b, r.e)
	sd := startOpenSSHD(b)
	x25519 := []string{"-o", "KexAlgorithms=curve25519-sha256"}
	for _, x := range []struct{ name, config, host string }{{"openssh-sshd", sd.config, sshdHost}, {"openssh-den", c.sshConfig, "den." + r.ws.Name}} {
		b.Logf("%s: %s", x.name, negotiated(b, c, x.config, nil, x.host))
	}
	cmds := []struct {
		name string
		cmd  func() *exec.Cmd
	}{
		{"den-ssh", func() *exec.Cmd { return c.cmd(c.bin, "ssh", r.ws.Name, "--", "true") }},
		{"openssh-den", func() *exec.Cmd { return c.openSSH(c.sshConfig, nil, "den."+r.ws.Name, "true") }},
		{"openssh-sshd", func() *exec.Cmd { return c.openSSH(sd.config, nil, sshdHost, "true") }},
		// Den's SSH server offers no post-quantum key exchange that OpenSSH
		// 9.2 knows, so they agree on curve25519; the same against sshd:
		{"openssh-sshd-x25519", func() *exec.Cmd { return c.openSSH(sd.config, x25519, sshdHost, "true") }},
		{"den-version", func() *exec.Cmd { return c.cmd(c.bin, "version") }},
	}
	p := map[string][2]time.Duration{}
	for range b.N {
		times := map[string][]time.Duration{}
		for i := range runs + warm {
			for _, x := range cmds {
				cmd := x.cmd()
				t0 := time.Now()
				out, err := cmd.CombinedOutput()
				d := time.Since(t0)
				if err != nil {
					b.Fatalf("%s: %v\n%s", strings.Join(cmd.Args, " "), err, out)
				}
				if i >= warm {
					times[x.name] = append(times[x.name], d)
				}
			}
		}
		for _, x := range cmds {
			p[x.name] = [2]time.Duration{percentile(times[x.name], 50), percentile(times[x.name], 95)}
		}
	}
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	for _, x := range cmds {
		b.ReportMetric(ms(p[x.name][0]), x.name+"-p50-ms")
		b.ReportMetric(ms(p[x.name][1]), x.name+"-p95-ms")
	}
}

// BenchmarkAgentMemory reads the resident memory of the agent process in
// a workspace container (VmRSS, split into RssAnon, the heap and stacks,
// and RssFile, the pages of the den binary it touched; and the peak,
// VmHWM): idle after the workspace is ready, then after one SSH session
// (`true`) and 100 MiB sent through SSH to the sink command (`dd of=/dev/null`), right away
// and after the agent was idle again for a while (3 s, or
// $DEN_BENCH_IDLE_SECONDS each time).
//
//	go test ./e2e -run '^$' -bench AgentMemory -benchtime 1x
func BenchmarkAgentMemory(b *testing.B) {
	idle := time.Duration(envInt64(b, "DEN_BENCH_IDLE_SECONDS", 3)) * time.Second
	r := newRelayBench(b)
	id := r.e.container(b, r.ws)
	var m [3]procMemory
	for range b.N {
		time.Sleep(idle) //nolint:forbidigo // the idle period is what is measured
		m[0] = agentMemory(b, r, id)
		c := r.denSSH(b)
		s, err := c.NewSession()
		if err != nil {
			b.Fatal(err)
		}
		if err := s.Run("true"); err != nil {
			b.Fatal(err)
		}
		s.Close()
		if _, err := sshUpload(c, 100<<20); err != nil {
			b.Fatal(err)
		}
		c.Close()
		m[1] = agentMemory(b, r, id)
		time.Sleep(idle) //nolint:forbidigo // idle again
		m[2] = agentMemory(b, r, id)
	}
	for i, when := range []string{"idle", "after-ssh", "after-ssh-idle"} {
		b.ReportMetric(m[i].rss, when+"-rss-MiB")
		b.ReportMetric(m[i].anon, when+"-anon-MiB")
		b.ReportMetric(m[i].file, when+"-file-MiB")
	}
	b.ReportMetric(m[2].hwm, "peak-rss-MiB")
}

// procMemory is a process's memory from /proc/PID/status, in MiB.
type procMemory struct{ rss, anon, file, hwm float64 }

// agentMemory finds the agent (/.den/den agent, a child of docker-init) in
// the container through the Docker exec API and reads its memory.
func agentMemory(b *testing.B, r *relayBench, id string) procMemory {
	b.Helper()
	const script = `for p in /proc/[0-9]*; do
  if [ "$(tr '\0' ' ' < $p/cmdline 2>/dev/null)" = "/.den/den agent " ]; then cat $p/status; fi
done`
	out, code := dockertest.Exec(b, r.e.docker, id, "sh", "-c", script)
	if code != 0 {
		b.Fatalf("read the agent's memory: %d %s", code, out)
	}
	m, n := parseStatus(out)
	if n != 1 {
		b.Fatalf("want one agent process in the container, found %d:\n%s", n, out)
	}
	return m
}

// parseStatus reads the memory lines of /proc/PID/status text; n is how
// many processes' VmRSS lines it saw.
func parseStatus(status string) (m procMemory, n int) {
	for _, line := range strings.Split(status, "\n") {
		f := strings.Fields(line)
		if len(f) != 3 || f[2] != "kB" {
			continue
		}
		kb, err := strconv.ParseFloat(f[1], 64)
		if err != nil {
			continue
		}
		switch f[0] {
		case "VmRSS:":
			m.rss = kb / 1024
			n++
		case "RssAnon:":
			m.anon = kb / 1024
		case "RssFile:":
			m.file = kb / 1024
		case "VmHWM:":
			m.hwm = kb / 1024
		}
	}
	return m, n
}
