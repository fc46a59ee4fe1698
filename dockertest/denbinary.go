package dockertest

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

var denBinary struct {
	once sync.Once
	path string
	err  error
}

// DenBinaryEnv names a prebuilt static den binary that DenBinary returns
// instead of building one.
const DenBinaryEnv = "DEN_TEST_DEN_BINARY"

// DenBinary returns the path of a static den binary (CGO_ENABLED=0) built
// from this module, once per test process. Builds land in
// $TMPDIR/den-dockertest/den-<hash of the binary>, so processes share
// identical builds and a binary a container has mounted is never rewritten.
// $DEN_TEST_DEN_BINARY, when set, is used as it is.
func DenBinary(t testing.TB) string {
	t.Helper()
	denBinary.once.Do(func() {
		if p := os.Getenv(DenBinaryEnv); p != "" {
			denBinary.path, denBinary.err = filepath.Abs(p)
			return
		}
		denBinary.path, denBinary.err = buildDen()
	})
	if denBinary.err != nil {
		t.Fatalf("build the den binary: %v", denBinary.err)
	}
	return denBinary.path
}

func buildDen() (string, error) {
	goCmd, err := exec.LookPath("go")
	if err != nil {
		goCmd = "/usr/local/go/bin/go"
	}
	out, err := exec.Command(goCmd, "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		return "", fmt.Errorf("not inside the den module (go env GOMOD is %q)", gomod)
	}
	dir := filepath.Join(os.TempDir(), "den-dockertest")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	tmp, err := os.CreateTemp(dir, "build-*")
	if err != nil {
		return "", err
	}
	tmp.Close()
	defer os.Remove(tmp.Name())

	cmd := exec.Command(goCmd, "build", "-trimpath", "-o", tmp.Name(), "./cmd/den")
	cmd.Dir = filepath.Dir(gomod)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build ./cmd/den: %w\n%s", err, out)
	}

	f, err := os.Open(tmp.Name())
	if err != nil {
		return "", err
	}
	h := sha256.New()
	_, err = io.Copy(h, f)
	f.Close()
	if err != nil {
		return "", err
	}
	final := filepath.Join(dir, "den-"+hex.EncodeToString(h.Sum(nil))[:16])
	if _, err := os.Stat(final); err == nil {
		now := time.Now()
		os.Chtimes(final, now, now) // keep it from removeStale
		return final, nil
	}
	if err := os.Chmod(tmp.Name(), 0o755); err != nil {
		return "", err
	}
	if err := os.Rename(tmp.Name(), final); err != nil {
		return "", err
	}
	removeStale(dir, final)
	return final, nil
}

// removeStale deletes binaries of earlier builds not used for a day.
func removeStale(dir, keep string) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range entries {
		p := filepath.Join(dir, e.Name())
		if p == keep {
			continue
		}
		if info, err := e.Info(); err == nil && time.Since(info.ModTime()) > 24*time.Hour {
			os.Remove(p)
		}
	}
}
