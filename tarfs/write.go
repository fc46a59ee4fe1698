package tarfs

import (
	"archive/tar"
	"bytes"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// skipDirs are never uploaded.
var skipDirs = map[string]bool{".git": true, ".hg": true, ".svn": true, "node_modules": true}

// Create writes the directory dir into a tar: regular files, directories and
// relative symbolic links that stay inside, in a stable order with fixed
// times, so the same content makes the same archive. It stops with an error
// when the content would break limits.
func Create(dir string, limits Limits) ([]byte, error) {
	limits = limits.withDefaults()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	var files int
	var total int64
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, fmt.Errorf("open template directory: %w", err)
	}
	defer root.Close()
	err = fs.WalkDir(root.FS(), ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if name == "." {
			return nil
		}
		if d.IsDir() && skipDirs[d.Name()] {
			return fs.SkipDir
		}
		files++
		if files > limits.MaxFiles {
			return fmt.Errorf("%s holds more than %d files", dir, limits.MaxFiles)
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		hdr := &tar.Header{Name: name, ModTime: modTime, Mode: int64(info.Mode().Perm()), Format: tar.FormatPAX}
		switch {
		case d.IsDir():
			hdr.Typeflag, hdr.Name = tar.TypeDir, name+"/"
		case info.Mode()&fs.ModeSymlink != 0:
			target, err := os.Readlink(filepath.Join(dir, filepath.FromSlash(name)))
			if err != nil {
				return err
			}
			if err := checkLink(name, filepath.ToSlash(target)); err != nil {
				return fmt.Errorf("%s: the symbolic link to %q leads outside the template directory", name, target)
			}
			hdr.Typeflag, hdr.Linkname = tar.TypeSymlink, filepath.ToSlash(target)
		case info.Mode().IsRegular():
			total += info.Size()
			if total > limits.MaxBytes {
				return fmt.Errorf("%s holds more than %d bytes", dir, limits.MaxBytes)
			}
			hdr.Typeflag, hdr.Size = tar.TypeReg, info.Size()
		default:
			return fmt.Errorf("%s: only regular files, directories and symbolic links can be part of a template", name)
		}
		if err := tw.WriteHeader(hdr); err != nil {
			return err
		}
		if hdr.Typeflag == tar.TypeReg {
			f, err := root.Open(name)
			if err != nil {
				return err
			}
			defer f.Close()
			if _, err := io.CopyN(tw, f, hdr.Size); err != nil {
				return fmt.Errorf("read %s: %w", name, err)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// Extract writes the files of a checked archive into dir, which must be empty
// or missing. Nothing is written outside dir.
func Extract(data []byte, dir string, limits Limits) error {
	files, err := Open(data, limits)
	if err != nil {
		return err
	}
	if entries, err := os.ReadDir(dir); err == nil && len(entries) > 0 {
		return fmt.Errorf("%s is not empty; choose a new directory", dir)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return err
	}
	defer root.Close()
	return fs.WalkDir(files, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || name == "." {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		switch {
		case d.IsDir():
			return root.MkdirAll(name, info.Mode().Perm()|0o700)
		case info.Mode()&fs.ModeSymlink != 0:
			target, err := fs.ReadLink(files, name)
			if err != nil {
				return err
			}
			return root.Symlink(target, name)
		default:
			if err := root.MkdirAll(filepathDir(name), 0o755); err != nil {
				return err
			}
			body, err := fs.ReadFile(files, name)
			if err != nil {
				return err
			}
			return root.WriteFile(name, body, info.Mode().Perm()|0o600)
		}
	})
}

func filepathDir(name string) string {
	if i := strings.LastIndex(name, "/"); i >= 0 {
		return name[:i]
	}
	return "."
}
