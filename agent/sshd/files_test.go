package sshd

import (
	"crypto/rand"
	"crypto/sha256"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// writeRandom writes size random bytes to path and returns their checksum.
func writeRandom(t testing.TB, path string, size int64) [32]byte {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.CopyN(io.MultiWriter(f, h), rand.Reader, size); err != nil {
		t.Fatal(err)
	}
	return [32]byte(h.Sum(nil))
}

func fileSum(t testing.TB, path string) [32]byte {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		t.Fatal(err)
	}
	return [32]byte(h.Sum(nil))
}

// scp is OpenSSH's scp with the test options; -P is its port flag.
func (ts *testServer) scp(args ...string) *exec.Cmd {
	return exec.Command("scp", append(append(opensshOpts(), "-o", "LogLevel=ERROR", "-P", ts.port), args...)...)
}

// TestSCP copies 50 MB both ways with OpenSSH 9's scp, which speaks
// SFTP, and with legacy scp -O, which runs the workspace's scp -t/-f.
func TestSCP(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, Options{})
	local := t.TempDir()
	src := filepath.Join(local, "big.bin")
	want := writeRandom(t, src, 50<<20)
	for _, mode := range []struct {
		name  string
		flags []string
	}{{"sftp", nil}, {"legacy", []string{"-O"}}} {
		t.Run(mode.name, func(t *testing.T) {
			if mode.name == "legacy" {
				requireBinary(t, "scp") // the workspace's, here the same machine's
			}
			remote := mode.name + ".bin"
			combined(t, ts.scp(append(mode.flags, src, "127.0.0.1:"+remote)...))
			if got := fileSum(t, filepath.Join(ts.dir, remote)); got != want {
				t.Fatal("uploaded file differs")
			}
			back := filepath.Join(local, mode.name+"-back.bin")
			combined(t, ts.scp(append(mode.flags, "127.0.0.1:"+remote, back)...))
			if got := fileSum(t, back); got != want {
				t.Fatal("downloaded file differs")
			}
			abs := filepath.Join(ts.dir, "abs-"+remote)
			combined(t, ts.scp(append(mode.flags, src, "127.0.0.1:"+abs)...))
			if got := fileSum(t, abs); got != want {
				t.Fatal("file uploaded to an absolute path differs")
			}
			if mode.name == "sftp" {
				// scp strips "~/" and SFTP resolves the rest against Dir.
				combined(t, ts.scp(src, "127.0.0.1:~/tilde.bin"))
				if got := fileSum(t, filepath.Join(ts.dir, "tilde.bin")); got != want {
					t.Fatal("file uploaded to ~/ differs")
				}
			}
		})
	}
}

func TestSFTPBatch(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, Options{})
	local := t.TempDir()
	src := filepath.Join(local, "f.bin")
	want := writeRandom(t, src, 1<<20)
	got := filepath.Join(local, "back.bin")
	batch := filepath.Join(local, "batch")
	script := strings.Join([]string{
		"mkdir d",
		"put " + src + " d/f.bin",
		"ls d",
		"rename d/f.bin d/g.bin",
		"get d/g.bin " + got,
		"pwd",
	}, "\n") + "\n"
	if err := os.WriteFile(batch, []byte(script), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("sftp", append(opensshOpts(), "-o", "LogLevel=ERROR", "-P", ts.port, "-b", batch, "127.0.0.1")...)
	out := combined(t, cmd)
	for _, want := range []string{"d/f.bin", "Remote working directory: " + ts.dir} {
		if !strings.Contains(out, want) {
			t.Errorf("sftp output lacks %q:\n%s", want, out)
		}
	}
	if fileSum(t, filepath.Join(ts.dir, "d", "g.bin")) != want || fileSum(t, got) != want {
		t.Fatal("files differ")
	}
	if fi, err := os.Stat(filepath.Join(ts.dir, "d")); err != nil || !fi.IsDir() {
		t.Fatalf("d: %v", err)
	}
}
