package docker

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"path"
	"regexp"
	"slices"
	"strings"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker/docker/api/types/build"
	"github.com/docker/docker/api/types/image"

	"den/provisioner"
	"den/provisioner/denyaml"
)

// templateImagePrefix names images built from templates:
// den-template-<hash of the build context, Dockerfile path and args>.
const templateImagePrefix = "den-template-"

// ImageMissingError says an image is neither on the Docker host nor
// pullable.
type ImageMissingError struct {
	Image string
	Host  string
	Err   error
}

func (e *ImageMissingError) Error() string {
	return fmt.Sprintf("image %q is not on the Docker host (%s) and could not be pulled: %v", e.Image, e.Host, e.Err)
}

func (e *ImageMissingError) Unwrap() error { return e.Err }

// prepareImage returns the reference of the image the container runs:
// built from the template when it has a build section, else the named image,
// pulled when the host lacks it.
func (p *Provisioner) prepareImage(ctx context.Context, files fs.FS, c denyaml.Container, network string, log provisioner.Logger) (string, error) {
	if c.Build != nil {
		return p.buildImage(ctx, files, *c.Build, network, log)
	}
	ok, err := p.imageExists(ctx, c.Image)
	if err != nil {
		return "", fmt.Errorf("inspect image %q: %w", c.Image, err)
	}
	if ok {
		logf(log, provisioner.LevelInfo, stageImage, "using image %s", c.Image)
		return c.Image, nil
	}
	logf(log, provisioner.LevelInfo, stageImage, "image %s is not on the Docker host; pulling it", c.Image)
	if err := p.pull(ctx, c.Image, log); err != nil {
		if ctx.Err() != nil {
			return "", ctx.Err()
		}
		var ee *EngineError
		if errors.As(p.engineError(err), &ee) {
			return "", ee
		}
		return "", &ImageMissingError{Image: c.Image, Host: p.cli.DaemonHost(), Err: err}
	}
	return c.Image, nil
}

func (p *Provisioner) imageExists(ctx context.Context, ref string) (bool, error) {
	_, err := p.cli.ImageInspect(ctx, ref)
	switch {
	case err == nil:
		return true, nil
	case cerrdefs.IsNotFound(err):
		return false, nil
	default:
		return false, err
	}
}

func (p *Provisioner) pull(ctx context.Context, ref string, log provisioner.Logger) error {
	rc, err := p.cli.ImagePull(ctx, ref, image.PullOptions{})
	if err != nil {
		return err
	}
	defer rc.Close()
	// Progress lines ("Downloading", "Extracting") would flood the log:
	// keep one line per layer and status.
	seen := map[string]bool{}
	return readMessages(rc, func(m message) {
		if m.Status == "" || m.Progress != "" {
			return
		}
		line := strings.TrimSpace(m.ID + " " + m.Status)
		if !seen[line] {
			seen[line] = true
			log.Log(provisioner.LevelInfo, stageImage, line)
		}
	})
}

// buildImage builds the template's Dockerfile unless an image of the same
// build context already exists, and returns its tag.
func (p *Provisioner) buildImage(ctx context.Context, files fs.FS, b denyaml.Build, network string, log provisioner.Logger) (string, error) {
	dir := path.Clean(strings.TrimPrefix(b.Context, "./"))
	if dir == "" || strings.HasPrefix(dir, "../") || dir == ".." || path.IsAbs(dir) {
		return "", fmt.Errorf("container.build.context %q must be a directory inside the template", b.Context)
	}
	dockerfile := b.Dockerfile
	if dockerfile == "" {
		dockerfile = "Dockerfile"
	}
	tarball, sum, err := buildContext(files, dir, dockerfile, b.Args)
	if err != nil {
		return "", err
	}
	tag := templateImagePrefix + sum
	ok, err := p.imageExists(ctx, tag)
	if err != nil {
		return "", fmt.Errorf("inspect image %s: %w", tag, err)
	}
	if ok {
		logf(log, provisioner.LevelInfo, stageImage, "using image %s, built earlier from the same files", tag)
		return tag, nil
	}
	logf(log, provisioner.LevelInfo, stageImage, "building image %s from %s", tag, path.Join(dir, dockerfile))
	opts := build.ImageBuildOptions{
		Tags:        []string{tag},
		Dockerfile:  dockerfile,
		BuildArgs:   map[string]*string{},
		Labels:      map[string]string{labelManaged: "true"},
		Remove:      true,
		ForceRemove: true,
		Version:     build.BuilderV1, // BuildKit needs a session; not worth it here
	}
	// RUN steps get the workspace's network when it is one of Docker's
	// modes; a named network is left to the engine's default.
	switch network {
	case "host", "none", "bridge":
		opts.NetworkMode = network
	}
	for k, v := range b.Args {
		opts.BuildArgs[k] = &v
	}
	resp, err := p.cli.ImageBuild(ctx, bytes.NewReader(tarball), opts)
	if err != nil {
		return "", fmt.Errorf("build image %s: %w", tag, err)
	}
	defer resp.Body.Close()
	lw := &lineWriter{emit: func(line string) { log.Log(provisioner.LevelInfo, stageImage, line) }}
	err = readMessages(resp.Body, func(m message) { lw.WriteString(m.Stream) })
	lw.Flush()
	if err != nil {
		if ctx.Err() != nil {
			return "", ctx.Err()
		}
		return "", fmt.Errorf("build image from %s: %w", path.Join(dir, dockerfile), err)
	}
	// A build that failed without saying so leaves no tag behind.
	if ok, err := p.imageExists(ctx, tag); err != nil || !ok {
		return "", fmt.Errorf("build image from %s: the engine reported no error but made no image %s", path.Join(dir, dockerfile), tag)
	}
	return tag, nil
}

// buildContext tars the directory dir of files and returns the tar and a
// short hash of what decides the image: every file's path, type, mode and
// content, the Dockerfile's path and the build args.
func buildContext(files fs.FS, dir, dockerfile string, args map[string]string) ([]byte, string, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	h := sha256.New()
	field := func(s string) {
		binary.Write(h, binary.BigEndian, uint64(len(s)))
		io.WriteString(h, s)
	}
	field("den build context v1")
	field(dockerfile)
	for _, k := range slices.Sorted(maps.Keys(args)) {
		field(k)
		field(args[k])
	}
	hasDockerfile := false
	err := fs.WalkDir(files, dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel := strings.TrimPrefix(strings.TrimPrefix(p, dir), "/")
		if dir == "." {
			rel = p
		}
		if rel == "." || rel == "" {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		hdr := &tar.Header{Name: rel, Mode: int64(info.Mode().Perm())}
		switch {
		case d.IsDir():
			hdr.Typeflag, hdr.Name = tar.TypeDir, rel+"/"
			if hdr.Mode == 0 {
				hdr.Mode = 0o755
			}
			field("dir " + hdr.Name + fmt.Sprintf(" %o", hdr.Mode))
			return tw.WriteHeader(hdr)
		case d.Type().IsRegular():
			data, err := fs.ReadFile(files, p)
			if err != nil {
				return err
			}
			if rel == dockerfile {
				hasDockerfile = true
			}
			if hdr.Mode == 0 {
				hdr.Mode = 0o644
			}
			hdr.Typeflag, hdr.Size = tar.TypeReg, int64(len(data))
			field("file " + rel + fmt.Sprintf(" %o", hdr.Mode))
			field(string(data))
			if err := tw.WriteHeader(hdr); err != nil {
				return err
			}
			_, err = tw.Write(data)
			return err
		default:
			// Symlinks and devices in a template are not followed.
			return nil
		}
	})
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, "", fmt.Errorf("container.build.context %q is not a directory of the template", dir)
		}
		return nil, "", fmt.Errorf("read the build context %q: %w", dir, err)
	}
	if !hasDockerfile {
		return nil, "", fmt.Errorf("container.build.dockerfile: the template has no file %q", path.Join(dir, dockerfile))
	}
	if err := tw.Close(); err != nil {
		return nil, "", err
	}
	return buf.Bytes(), hex.EncodeToString(h.Sum(nil))[:12], nil
}

// message is one JSON message of the engine's build, pull and import
// streams.
type message struct {
	Stream      string `json:"stream"`
	Status      string `json:"status"`
	Progress    string `json:"progress"`
	ID          string `json:"id"`
	Error       string `json:"error"`
	ErrorDetail *struct {
		Message string `json:"message"`
	} `json:"errorDetail"`
}

// readMessages hands each message of r to fn and returns the error the
// stream reports, if any.
func readMessages(r io.Reader, fn func(message)) error {
	dec := json.NewDecoder(r)
	for {
		var m message
		if err := dec.Decode(&m); errors.Is(err, io.EOF) {
			return nil
		} else if err != nil {
			return err
		}
		if m.ErrorDetail != nil && m.ErrorDetail.Message != "" {
			return errors.New(strings.TrimSpace(m.ErrorDetail.Message))
		}
		if m.Error != "" {
			return errors.New(strings.TrimSpace(m.Error))
		}
		fn(m)
	}
}

// ansiEscape matches the terminal colour codes the builder puts around a
// RUN step's stderr.
var ansiEscape = regexp.MustCompile(`\x1b\[[0-9;]*[A-Za-z]`)

// lineWriter cuts text into lines and emits each non-empty one, without
// terminal escapes.
type lineWriter struct {
	buf  strings.Builder
	emit func(string)
}

func (w *lineWriter) WriteString(s string) {
	for {
		i := strings.IndexAny(s, "\r\n")
		if i < 0 {
			w.buf.WriteString(s)
			return
		}
		w.buf.WriteString(s[:i])
		w.Flush()
		s = s[i+1:]
	}
}

// Flush emits what is left of a line.
func (w *lineWriter) Flush() {
	line := strings.TrimRight(ansiEscape.ReplaceAllString(w.buf.String(), ""), " \t")
	if strings.TrimSpace(line) != "" {
		w.emit(line)
	}
	w.buf.Reset()
}
