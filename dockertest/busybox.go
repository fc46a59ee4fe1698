package dockertest

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/client"
)

// BusyboxRef is the tiny test image: Debian's static busybox with its
// applets, /tmp, and the users root and dev (uid 1000, home /home/dev).
// Bump the tag when what goes into it changes.
const BusyboxRef = "den-test-busybox:1"

// busyboxPath is Debian's busybox-static binary.
const busyboxPath = "/bin/busybox"

var busybox struct {
	sync.Mutex
	done bool
}

// BusyboxImage returns BusyboxRef, importing it into the engine first when
// it is not there (once per machine: it stays for the next run).
func BusyboxImage(t testing.TB) string {
	t.Helper()
	busybox.Lock()
	defer busybox.Unlock()
	if busybox.done {
		return BusyboxRef
	}
	cli := Client(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := EnsureBusyboxImage(ctx, cli); err != nil {
		t.Fatal(err)
	}
	busybox.done = true
	return BusyboxRef
}

// EnsureBusyboxImage imports BusyboxRef unless the engine has it.
func EnsureBusyboxImage(ctx context.Context, cli *client.Client) error {
	if _, err := cli.ImageInspect(ctx, BusyboxRef); err == nil {
		return nil
	} else if !cerrdefs.IsNotFound(err) {
		return fmt.Errorf("inspect %s: %w", BusyboxRef, err)
	}
	rootfs, err := busyboxRootfs()
	if err != nil {
		return fmt.Errorf("make %s: %w", BusyboxRef, err)
	}
	rc, err := cli.ImageImport(ctx, image.ImportSource{Source: bytes.NewReader(rootfs), SourceName: "-"}, BusyboxRef, image.ImportOptions{
		Changes: []string{"LABEL den.test.image=busybox", `CMD ["/bin/sh"]`},
	})
	if err != nil {
		return fmt.Errorf("import %s: %w", BusyboxRef, err)
	}
	defer rc.Close()
	if err := readMessages(rc); err != nil {
		return fmt.Errorf("import %s: %w", BusyboxRef, err)
	}
	return nil
}

// busyboxRootfs is the tar of the image's file system.
func busyboxRootfs() ([]byte, error) {
	bin, err := os.ReadFile(busyboxPath)
	if err != nil {
		return nil, fmt.Errorf("%w (install Debian's busybox-static)", err)
	}
	out, err := exec.Command(busyboxPath, "--list").Output()
	if err != nil {
		return nil, fmt.Errorf("%s --list: %w", busyboxPath, err)
	}
	applets := strings.Fields(string(out))

	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	mtime := time.Unix(0, 0)
	dir := func(name string, mode int64, uid int) error {
		return tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: name + "/", Mode: mode, Uid: uid, Gid: uid, ModTime: mtime})
	}
	file := func(name string, mode int64, data []byte) error {
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: name, Mode: mode, Size: int64(len(data)), ModTime: mtime}); err != nil {
			return err
		}
		_, err := tw.Write(data)
		return err
	}
	for _, d := range []string{"bin", "etc", "root", "home", "proc", "sys", "dev", "usr", "usr/bin", "var"} {
		if err := dir(d, 0o755, 0); err != nil {
			return nil, err
		}
	}
	if err := dir("tmp", 0o1777, 0); err != nil {
		return nil, err
	}
	if err := dir("home/dev", 0o755, 1000); err != nil {
		return nil, err
	}
	if err := file("bin/busybox", 0o755, bin); err != nil {
		return nil, err
	}
	for _, a := range applets {
		if a == "busybox" || strings.Contains(a, "/") {
			continue
		}
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeSymlink, Name: "bin/" + a, Linkname: "busybox", Mode: 0o777, ModTime: mtime}); err != nil {
			return nil, err
		}
	}
	passwd := "root:x:0:0:root:/root:/bin/sh\ndev:x:1000:1000:dev:/home/dev:/bin/sh\n"
	group := "root:x:0:\ndev:x:1000:\n"
	if err := file("etc/passwd", 0o644, []byte(passwd)); err != nil {
		return nil, err
	}
	if err := file("etc/group", 0o644, []byte(group)); err != nil {
		return nil, err
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// readMessages drains a stream of the engine's JSON messages and returns the
// error it reports, if any.
func readMessages(r io.Reader) error {
	dec := json.NewDecoder(r)
	for {
		var m struct {
			Error       string `json:"error"`
			ErrorDetail *struct {
				Message string `json:"message"`
			} `json:"errorDetail"`
		}
		if err := dec.Decode(&m); errors.Is(err, io.EOF) {
			return nil
		} else if err != nil {
			return err
		}
		if m.ErrorDetail != nil && m.ErrorDetail.Message != "" {
			return errors.New(m.ErrorDetail.Message)
		}
		if m.Error != "" {
			return errors.New(m.Error)
		}
	}
}
