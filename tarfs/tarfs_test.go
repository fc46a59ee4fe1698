package tarfs

import (
	"archive/tar"
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

type entry struct {
	name, link string
	typ        byte
	body       string
}

func makeTar(t testing.TB, entries ...entry) []byte {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range entries {
		hdr := &tar.Header{Name: e.name, Typeflag: e.typ, Linkname: e.link, Mode: 0o644, Size: int64(len(e.body))}
		if e.typ != tar.TypeReg {
			hdr.Size = 0
		}
		if err := tw.WriteHeader(hdr); err != nil {
			t.Fatal(err)
		}
		if e.typ == tar.TypeReg {
			tw.Write([]byte(e.body)) //nolint:errcheck
		}
	}
	tw.Close()
	return buf.Bytes()
}

func TestOpenRefusesAbuse(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		entries []entry
		want    string
	}{
		{"absolute", []entry{{name: "/etc/passwd", typ: tar.TypeReg}}, "absolute"},
		{"dotdot", []entry{{name: "a/../../x", typ: tar.TypeReg}}, `".."`},
		{"symlink out", []entry{{name: "l", typ: tar.TypeSymlink, link: "../../etc"}}, "leads outside"},
		{"symlink absolute", []entry{{name: "l", typ: tar.TypeSymlink, link: "/etc/passwd"}}, "relative path"},
		{"symlink out deep", []entry{{name: "a/b/l", typ: tar.TypeSymlink, link: "../../../x"}}, "leads outside"},
		{"hardlink out", []entry{{name: "l", typ: tar.TypeLink, link: "/etc/passwd"}}, "hard link"},
		{"device", []entry{{name: "dev", typ: tar.TypeChar}}, "only directories"},
		{"fifo", []entry{{name: "p", typ: tar.TypeFifo}}, "only directories"},
		{"bomb", []entry{{name: "a", typ: tar.TypeReg, body: strings.Repeat("x", 2000)}}, "unpacks to more than"},
		{"not a tar", nil, ""},
	} {
		data := makeTar(t, tc.entries...)
		if tc.entries == nil {
			data = []byte("this is not a tar archive at all, not even close, and it goes on for a while to be sure" + strings.Repeat("!", 600))
		}
		_, err := Open(data, Limits{MaxBytes: 1000})
		var te *Error
		if !errors.As(err, &te) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want an *Error containing %q", tc.name, err, tc.want)
		}
	}
	many := make([]entry, 5)
	for i := range many {
		many[i] = entry{name: string(rune('a' + i)), typ: tar.TypeReg}
	}
	if _, err := Open(makeTar(t, many...), Limits{MaxFiles: 4}); err == nil {
		t.Error("5 entries passed a limit of 4")
	}
}

func TestCreateOpenExtract(t *testing.T) {
	t.Parallel()
	src := t.TempDir()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.MkdirAll(filepath.Join(src, "scripts"), 0o755))
	must(os.MkdirAll(filepath.Join(src, ".git"), 0o755))
	must(os.WriteFile(filepath.Join(src, "den.yaml"), []byte("container: {}\n"), 0o644))
	must(os.WriteFile(filepath.Join(src, "scripts", "run.sh"), []byte("#!/bin/sh\necho hi\n"), 0o755))
	must(os.WriteFile(filepath.Join(src, ".git", "HEAD"), []byte("ref"), 0o644))
	must(os.Symlink("scripts/run.sh", filepath.Join(src, "run")))

	data, err := Create(src, Limits{})
	must(err)
	again, err := Create(src, Limits{})
	must(err)
	if !bytes.Equal(data, again) {
		t.Fatal("the same directory made two different archives")
	}
	files, err := Open(data, Limits{})
	must(err)
	if b, err := fs.ReadFile(files, "run"); err != nil || string(b) != "#!/bin/sh\necho hi\n" {
		t.Fatalf("read through symlink: %q %v", b, err)
	}
	if _, err := fs.Stat(files, ".git/HEAD"); err == nil {
		t.Fatal(".git was uploaded")
	}
	dst := filepath.Join(t.TempDir(), "out")
	must(Extract(data, dst, Limits{}))
	st, err := os.Stat(filepath.Join(dst, "scripts", "run.sh"))
	must(err)
	if st.Mode().Perm()&0o100 == 0 {
		t.Errorf("run.sh lost its execute bit: %v", st.Mode())
	}
	if target, err := os.Readlink(filepath.Join(dst, "run")); err != nil || target != "scripts/run.sh" {
		t.Errorf("symlink = %q, %v", target, err)
	}
	if err := Extract(data, dst, Limits{}); err == nil {
		t.Error("extracted into a non-empty directory")
	}

	must(os.Symlink("../../outside", filepath.Join(src, "escape")))
	if _, err := Create(src, Limits{}); err == nil || !strings.Contains(err.Error(), "leads outside") {
		t.Errorf("Create with an escaping link: %v", err)
	}
}

func FuzzOpen(f *testing.F) {
	f.Add(makeTar(f, entry{name: "den.yaml", typ: tar.TypeReg, body: "x"}))
	f.Add(makeTar(f, entry{name: "a/", typ: tar.TypeDir}, entry{name: "a/l", typ: tar.TypeSymlink, link: "../b"}))
	f.Add(makeTar(f, entry{name: "l", typ: tar.TypeSymlink, link: "l"}))
	f.Fuzz(func(t *testing.T, data []byte) {
		files, err := Open(data, Limits{MaxBytes: 1 << 20})
		if err != nil {
			return
		}
		// Whatever opened stays inside: every path is valid and walkable.
		fs.WalkDir(files, ".", func(name string, d fs.DirEntry, err error) error { //nolint:errcheck
			if !fs.ValidPath(name) {
				t.Fatalf("invalid path %q", name)
			}
			return nil
		})
	})
}
