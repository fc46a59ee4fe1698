// Package tarfs moves template directories as tar archives: it writes a
// directory into a tar, checks an uploaded tar for abuse (absolute paths,
// "..", links leading outside, special files, bombs), and opens a checked tar
// as an in-memory fs.FS or extracts it safely into a directory.
package tarfs

import (
	"archive/tar"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"strings"
	"testing/fstest"
	"time"
)

// Limits bound what a tar may hold.
type Limits struct {
	// MaxFiles is the most entries; default 10,000.
	MaxFiles int
	// MaxBytes is the most bytes of file content, unpacked; default 64 MiB.
	MaxBytes int64
}

func (l Limits) withDefaults() Limits {
	if l.MaxFiles <= 0 {
		l.MaxFiles = 10_000
	}
	if l.MaxBytes <= 0 {
		l.MaxBytes = 64 << 20
	}
	return l
}

// Error says what is wrong with an archive, naming the entry.
type Error struct {
	Entry  string
	Reason string
}

func (e *Error) Error() string {
	if e.Entry == "" {
		return "template archive: " + e.Reason
	}
	return fmt.Sprintf("template archive: %q: %s", e.Entry, e.Reason)
}

// Open checks data and returns its files. Directories, regular files and
// symbolic links that stay inside the archive are allowed; anything else is
// an *Error.
func Open(data []byte, limits Limits) (fs.FS, error) {
	limits = limits.withDefaults()
	m := fstest.MapFS{}
	tr := tar.NewReader(bytes.NewReader(data))
	var total int64
	for n := 0; ; n++ {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, &Error{Reason: fmt.Sprintf("not a valid tar archive: %v", err)}
		}
		if n >= limits.MaxFiles {
			return nil, &Error{Reason: fmt.Sprintf("more than %d entries", limits.MaxFiles)}
		}
		name, err := cleanName(hdr.Name)
		if err != nil {
			return nil, err
		}
		if name == "." {
			continue
		}
		mode := fs.FileMode(hdr.Mode).Perm()
		switch hdr.Typeflag {
		case tar.TypeDir:
			m[name] = &fstest.MapFile{Mode: fs.ModeDir | mode | 0o700, ModTime: hdr.ModTime}
		case tar.TypeReg, tar.TypeRegA: //lint:ignore SA1019 old archives mark files with TypeRegA
			if hdr.Size < 0 || total+hdr.Size > limits.MaxBytes {
				return nil, &Error{Entry: hdr.Name, Reason: fmt.Sprintf("the archive unpacks to more than %d bytes", limits.MaxBytes)}
			}
			total += hdr.Size
			body, err := io.ReadAll(io.LimitReader(tr, hdr.Size))
			if err != nil {
				return nil, &Error{Entry: hdr.Name, Reason: fmt.Sprintf("read: %v", err)}
			}
			m[name] = &fstest.MapFile{Data: body, Mode: mode, ModTime: hdr.ModTime}
		case tar.TypeSymlink:
			if err := checkLink(name, hdr.Linkname); err != nil {
				return nil, err
			}
			m[name] = &fstest.MapFile{Data: []byte(hdr.Linkname), Mode: fs.ModeSymlink | 0o777, ModTime: hdr.ModTime}
		case tar.TypeLink:
			target, err := cleanName(hdr.Linkname)
			if err != nil {
				return nil, &Error{Entry: hdr.Name, Reason: "a hard link must point inside the archive"}
			}
			f, ok := m[target]
			if !ok || !f.Mode.IsRegular() {
				return nil, &Error{Entry: hdr.Name, Reason: "a hard link must point to a regular file earlier in the archive"}
			}
			cp := *f
			m[name] = &cp
		case tar.TypeXGlobalHeader:
			continue
		default:
			return nil, &Error{Entry: hdr.Name, Reason: "only directories, regular files and symbolic links are allowed"}
		}
	}
	if err := checkLinks(m); err != nil {
		return nil, err
	}
	return m, nil
}

// checkLinks keeps symbolic links simple enough that resolving a path never
// loops: no entry lies below a link, and no link leads to or through another
// link.
func checkLinks(m fstest.MapFS) error {
	isLink := func(p string) bool {
		f, ok := m[p]
		return ok && f.Mode&fs.ModeSymlink != 0
	}
	throughLink := func(p string) bool {
		for i := range len(p) {
			if p[i] == '/' && isLink(p[:i]) {
				return true
			}
		}
		return false
	}
	for name, f := range m {
		if throughLink(name) {
			return &Error{Entry: name, Reason: "an entry lies below a symbolic link"}
		}
		if f.Mode&fs.ModeSymlink == 0 {
			continue
		}
		target := path.Join(path.Dir(name), string(f.Data))
		if isLink(target) || throughLink(target) || target == name {
			return &Error{Entry: name, Reason: "a symbolic link may not lead to or through another symbolic link"}
		}
	}
	return nil
}

// cleanName returns an archive path in fs.FS form, refusing absolute paths
// and paths that climb out with "..".
func cleanName(name string) (string, error) {
	if name == "" {
		return "", &Error{Entry: name, Reason: "an entry has no name"}
	}
	if strings.HasPrefix(name, "/") || strings.Contains(name, "\\") || strings.ContainsRune(name, 0) {
		return "", &Error{Entry: name, Reason: "absolute paths are not allowed"}
	}
	for _, part := range strings.Split(name, "/") {
		if part == ".." {
			return "", &Error{Entry: name, Reason: `".." is not allowed in paths`}
		}
	}
	clean := path.Clean(name)
	if !fs.ValidPath(clean) {
		return "", &Error{Entry: name, Reason: "not a valid path"}
	}
	return clean, nil
}

// checkLink refuses a symbolic link at name whose target leaves the archive.
func checkLink(name, target string) error {
	if target == "" || strings.HasPrefix(target, "/") {
		return &Error{Entry: name, Reason: "a symbolic link must point inside the archive with a relative path"}
	}
	resolved := path.Join(path.Dir(name), target)
	if resolved == ".." || strings.HasPrefix(resolved, "../") || !fs.ValidPath(resolved) {
		return &Error{Entry: name, Reason: fmt.Sprintf("the symbolic link to %q leads outside the archive", target)}
	}
	return nil
}

// modTime is the time written into archives, so the same directory always
// makes the same bytes (and the same content hash).
var modTime = time.Unix(0, 0).UTC()
