package e2e

import (
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"net"
	"os/exec"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"den/sdk"
)

// BenchmarkConcurrentStreams moves bytes on $DEN_BENCH_STREAMS (default 8)
// streams at once, each $DEN_BENCH_BYTES (default 64 MiB, a multiple of
// 64 KiB) down and then up, on one real workspace (the busybox template,
// the real agent in a container on the host's network), path by path, and
// reports each path's aggregate MiB/s (all streams' bytes over the time
// from their common start to the end of the last) down and up:
//
//   - tcp-direct: loopback TCP connections to a sink server; tcp-den: the
//     same through port-forward streams (client → server → agent → sink).
//   - gossh-proc: Go SSH clients, each on its own connection, to the
//     agent's SSH server (agent/sshd) in a child process; gossh-den: the
//     same clients through Den, each on its own stream, as K `den ssh` do
//     (`dd if=/dev/zero bs=64k` down, `dd of=/dev/null bs=64k` up). Connections
//     and SSH handshakes are made before the clock starts; each session's
//     start is timed.
//   - openssh-sshd: K OpenSSH ssh processes to a private OpenSSH sshd on
//     loopback; openssh-den: K through `den config-ssh`'s ProxyCommand. The
//     time is the whole commands', connection set-up included.
//
// While the gossh-den streams run, it also takes round trips of 64 bytes,
// alternately through Den to the agent's ping stream and to a loopback TCP
// echo server directly, 200 of each (when they do not all fit while the
// measured streams run, up to 5 more rounds of the same streams down run
// for them; the log says how many were taken), both connections opened
// beforehand; a round trip counts when every stream still ran at its end.
//
//	go test ./e2e -run '^$' -bench ConcurrentStreams -benchtime 1x
func BenchmarkConcurrentStreams(b *testing.B) {
	k := int(envInt64(b, "DEN_BENCH_STREAMS", 8))
	n := envInt64(b, "DEN_BENCH_BYTES", 64<<20)
	if n < 2<<20 || n%(64<<10) != 0 {
		b.Fatalf("$DEN_BENCH_BYTES must be a multiple of 64 KiB, at least 2 MiB")
	}
	const pings = 200
	r := newRelayBench(b)
	ctx := context.Background()
	sink := startSink(b, n)
	echo := startEcho(b)
	c := newBenchCLI(b, r.e)
	sd := startOpenSSHD(b)
	procAddr, procKey := goSSHDProcess(b)
	denHost := "den." + r.ws.Name

	// Clients made before any clock starts.
	clients := func(dial func() *ssh.Client) []*ssh.Client {
		cs := make([]*ssh.Client, k)
		for i := range cs {
			cs[i] = dial()
		}
		return cs
	}
	procClients := clients(func() *ssh.Client { return dialSSH(b, procAddr, procKey) })
	denClients := clients(func() *ssh.Client { return r.denSSH(b) })
	dialDirect := func() (net.Conn, error) { return net.Dial("tcp", sink.addr()) }
	dialDen := func() (net.Conn, error) {
		return r.e.owner.DialWorkspace(ctx, r.ws.ID, sdk.StreamHeader{Kind: sdk.StreamTCP, Addr: sink.addr()})
	}

	// Round trips under load.
	ping := r.dial(b, sdk.StreamHeader{Kind: sdk.StreamPing})
	b.Cleanup(func() { ping.Close() })
	direct, err := net.Dial("tcp", echo)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { direct.Close() })
	msg := make([]byte, 64)
	rand.Read(msg) //nolint:errcheck
	var loaded atomic.Bool
	var rttMu sync.Mutex
	var rttDen, rttDirect []time.Duration
	// measure takes round trips on both connections in turn while loaded
	// holds, until it has pings of each or stop closes.
	measure := func(stop <-chan struct{}) error {
		back := make([]byte, len(msg))
		rtt := func(conn net.Conn) (time.Duration, bool, error) {
			t0 := time.Now()
			if _, err := conn.Write(msg); err != nil {
				return 0, false, err
			}
			if _, err := io.ReadFull(conn, back); err != nil {
				return 0, false, err
			}
			d := time.Since(t0)
			if string(back) != string(msg) {
				return 0, false, fmt.Errorf("echoed other bytes")
			}
			return d, loaded.Load(), nil
		}
		for countRTT(&rttMu, &rttDen) < pings || countRTT(&rttMu, &rttDirect) < pings {
			select {
			case <-stop:
				return nil
			default:
			}
			if !loaded.Load() {
				time.Sleep(time.Millisecond) //nolint:forbidigo // waiting for the streams, bounded by stop
				continue
			}
			for _, x := range []struct {
				name string
				conn net.Conn
				out  *[]time.Duration
			}{{"ping through den", ping, &rttDen}, {"tcp echo", direct, &rttDirect}} {
				if countRTT(&rttMu, x.out) >= pings {
					continue
				}
				d, ok, err := rtt(x.conn)
				if err != nil {
					return fmt.Errorf("%s: %w", x.name, err)
				}
				if ok {
					rttMu.Lock()
					*x.out = append(*x.out, d)
					rttMu.Unlock()
				}
			}
			// Spread the samples over the load rather than taking all
			// of them in its first moments.
			time.Sleep(2 * time.Millisecond) //nolint:forbidigo // pacing, bounded by stop
		}
		return nil
	}

	type path struct {
		name string
		// prepare makes stream i of direction dir ready; run moves its bytes.
		prepare func(i int, dir string) (run func() error, err error)
	}
	tcp := func(name string, dial func() (net.Conn, error)) path {
		return path{name, func(i int, dir string) (func() error, error) {
			conn, err := dial()
			if err != nil {
				return nil, err
			}
			return func() error {
				defer conn.Close()
				var err error
				if dir == "down" {
					_, err = sink.download(conn)
				} else {
					_, err = sink.upload(conn)
				}
				return err
			}, nil
		}}
	}
	gossh := func(name string, cs []*ssh.Client) path {
		return path{name, func(i int, dir string) (func() error, error) {
			return func() error {
				var err error
				if dir == "down" {
					_, err = sshDownload(cs[i], n)
				} else {
					_, err = sshUpload(cs[i], n)
				}
				return err
			}, nil
		}}
	}
	openssh := func(name, config, host string) path {
		return path{name, func(i int, dir string) (func() error, error) {
			return func() error {
				var cmd *exec.Cmd
				var err error
				if dir == "down" {
					cmd = c.openSSH(config, nil, host, zeros(n))
					_, _, err = openSSHDownload(cmd, n)
				} else {
					cmd = c.openSSH(config, nil, host, sinkCommand)
					_, _, err = openSSHUpload(cmd, n)
				}
				return err
			}, nil
		}}
	}
	paths := []path{
		tcp("tcp-direct", dialDirect), tcp("tcp-den", dialDen),
		gossh("gossh-proc", procClients), gossh("gossh-den", denClients),
		openssh("openssh-sshd", sd.config, sshdHost), openssh("openssh-den", c.sshConfig, denHost),
	}

	rate := map[string]float64{}
	for range b.N {
		rttDen, rttDirect = nil, nil
		for _, p := range paths {
			var stop chan struct{}
			var measured chan error
			if p.name == "gossh-den" {
				stop, measured = make(chan struct{}), make(chan error, 1)
				go func() { measured <- measure(stop) }()
			}
			took := map[string]time.Duration{}
			for _, dir := range []string{"down", "up"} {
				runs := make([]func() error, k)
				for i := range runs {
					if runs[i], err = p.prepare(i, dir); err != nil {
						b.Fatalf("%s %s: stream %d: %v", p.name, dir, i, err)
					}
				}
				t0 := time.Now()
				runAtOnce(b, runs, &loaded, stop != nil, p.name+" "+dir)
				d := time.Since(t0)
				rate[p.name+"-"+dir] = mibps(int64(k)*n, d)
				took[dir] = d
			}
			b.Logf("%s: %d streams of %d MiB: down in %s (%.1f MiB/s), up in %s (%.1f MiB/s)", p.name, k, n>>20,
				took["down"].Round(time.Millisecond), rate[p.name+"-down"], took["up"].Round(time.Millisecond), rate[p.name+"-up"])
			if stop != nil {
				// Too few round trips fit while the measured streams ran:
				// more rounds of the same streams down, unmeasured, until
				// they do (at most 5).
				for extra := 0; extra < 5 && (countRTT(&rttMu, &rttDen) < pings || countRTT(&rttMu, &rttDirect) < pings); extra++ {
					runs := make([]func() error, k)
					for i := range runs {
						if runs[i], err = p.prepare(i, "down"); err != nil {
							b.Fatalf("%s down: stream %d: %v", p.name, i, err)
						}
					}
					runAtOnce(b, runs, &loaded, true, p.name+" down")
				}
				close(stop)
				if err := <-measured; err != nil {
					b.Fatal(err)
				}
			}
		}
	}

	for _, p := range paths {
		for _, dir := range []string{"down", "up"} {
			b.ReportMetric(rate[p.name+"-"+dir], p.name+"-"+dir+"-MiB/s")
		}
	}
	for _, pair := range [][2]string{{"tcp-den", "tcp-direct"}, {"gossh-den", "gossh-proc"}, {"openssh-den", "openssh-sshd"}} {
		for _, dir := range []string{"down", "up"} {
			b.ReportMetric(rate[pair[0]+"-"+dir]/rate[pair[1]+"-"+dir], pair[0]+"/"+pair[1]+"-"+dir)
		}
	}
	b.Logf("round trips while all gossh-den streams ran: %d through den, %d direct (of %d each)", len(rttDen), len(rttDirect), pings)
	if len(rttDen) == 0 || len(rttDirect) == 0 {
		b.Fatal("no round trip finished while the gossh-den streams ran")
	}
	us := func(d time.Duration) float64 { return float64(d.Nanoseconds()) / 1000 }
	b.ReportMetric(us(percentile(rttDen, 50)), "ping-den-loaded-p50-us")
	b.ReportMetric(us(percentile(rttDen, 95)), "ping-den-loaded-p95-us")
	b.ReportMetric(us(percentile(rttDirect, 50)), "tcp-direct-loaded-p50-us")
	b.ReportMetric(us(percentile(rttDirect, 95)), "tcp-direct-loaded-p95-us")
	b.ReportMetric(float64(k), "streams")
}

// countRTT is len(*d) under mu.
func countRTT(mu *sync.Mutex, d *[]time.Duration) int {
	mu.Lock()
	defer mu.Unlock()
	return len(*d)
}

// runAtOnce runs the prepared streams all at once. With load, loaded is
// true from their start until the first of them ends: the load is on while
// every stream runs. what names them in errors.
func runAtOnce(b *testing.B, runs []func() error, loaded *atomic.Bool, load bool, what string) {
	b.Helper()
	k := len(runs)
	if load {
		loaded.Store(true)
	}
	var live atomic.Int64
	live.Store(int64(k))
	bounded(b, k, k, func(i int) error {
		defer func() {
			if live.Add(-1) == int64(k-1) {
				loaded.Store(false)
			}
		}()
		if err := runs[i](); err != nil {
			return fmt.Errorf("%s: stream %d: %w", what, i, err)
		}
		return nil
	})
}
