package sshd

import (
	"bytes"
	"io"
	"log/slog"
	"net"
	"sync"
	"testing"
)

// benchSize is what each iteration moves: through cat and back.
const benchSize = 100 << 20

// BenchmarkCat moves 100 MB to a remote cat and back, through an exec
// session (Go client; OpenSSH's ssh), and for scale the same through a
// raw loopback TCP echo (io.Copy). MB/s counts the bytes sent.
//
//	go test -run '^$' -bench Cat -benchtime 5x ./agent/sshd/
func BenchmarkCat(b *testing.B) {
	chunk := bytes.Repeat([]byte("0123456789abcdef"), 64<<10/16)
	send := func(w io.WriteCloser) {
		for sent := 0; sent < benchSize; sent += len(chunk) {
			if _, err := w.Write(chunk); err != nil {
				break
			}
		}
		w.Close()
	}
	check := func(b *testing.B, n int64, err error) {
		if err != nil || n != benchSize {
			b.Fatalf("got %d bytes back, %v", n, err)
		}
	}

	b.Run("ssh_exec_go_client", func(b *testing.B) {
		ts := newTestServer(b, Options{Logger: slog.New(slog.DiscardHandler)})
		c := ts.dial(b)
		b.SetBytes(benchSize)
		b.ResetTimer()
		for range b.N {
			s, err := c.NewSession()
			if err != nil {
				b.Fatal(err)
			}
			stdin, _ := s.StdinPipe()
			stdout, _ := s.StdoutPipe()
			if err := s.Start("cat"); err != nil {
				b.Fatal(err)
			}
			go send(stdin)
			n, err := io.Copy(io.Discard, stdout)
			check(b, n, err)
			if err := s.Wait(); err != nil {
				b.Fatal(err)
			}
			s.Close()
		}
	})

	b.Run("ssh_exec_openssh", func(b *testing.B) {
		ts := newTestServer(b, Options{Logger: slog.New(slog.DiscardHandler)})
		b.SetBytes(benchSize)
		b.ResetTimer()
		for range b.N {
			cmd := ts.ssh(b, nil, "cat")
			stdin, _ := cmd.StdinPipe()
			stdout, _ := cmd.StdoutPipe()
			if err := cmd.Start(); err != nil {
				b.Fatal(err)
			}
			go send(stdin)
			n, err := io.Copy(io.Discard, stdout)
			check(b, n, err)
			if err := cmd.Wait(); err != nil {
				b.Fatal(err)
			}
		}
	})

	b.Run("tcp_io_copy", func(b *testing.B) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			b.Fatal(err)
		}
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				c, err := ln.Accept()
				if err != nil {
					return
				}
				_, _ = io.Copy(c, c)
				c.(*net.TCPConn).CloseWrite()
				c.Close()
			}
		}()
		defer func() {
			ln.Close()
			wg.Wait()
		}()
		b.SetBytes(benchSize)
		b.ResetTimer()
		for range b.N {
			c, err := net.Dial("tcp", ln.Addr().String())
			if err != nil {
				b.Fatal(err)
			}
			go send(halfCloser{c.(*net.TCPConn)})
			n, err := io.Copy(io.Discard, c)
			check(b, n, err)
			c.Close()
		}
	})
}

// halfCloser closes only the write side of a TCP connection.
type halfCloser struct{ *net.TCPConn }

func (h halfCloser) Close() error { return h.CloseWrite() }
