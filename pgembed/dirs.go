package pgembed

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// maxSocketPath is the longest socket path the kernel accepts: sun_path is
// 108 bytes including the terminating NUL.
const maxSocketPath = 107

// account is the system user postgres runs as when this process is root.
// A nil *account means the current user.
type account struct {
	name     string
	uid, gid uint32
	groups   map[uint32]bool // primary and supplementary
}

// runAccount returns the postgres system user when running as root (initdb
// and postgres refuse to run as root), else nil.
func runAccount() (*account, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	const name = "postgres"
	u, err := user.Lookup(name)
	if err != nil {
		return nil, fmt.Errorf("running as root, so postgres must run as the %q system user: %w", name, err)
	}
	uid, err1 := strconv.ParseUint(u.Uid, 10, 32)
	gid, err2 := strconv.ParseUint(u.Gid, 10, 32)
	if err := errors.Join(err1, err2); err != nil {
		return nil, fmt.Errorf("user %s: %w", name, err)
	}
	a := &account{name: name, uid: uint32(uid), gid: uint32(gid), groups: map[uint32]bool{uint32(gid): true}}
	gids, err := u.GroupIds()
	if err != nil {
		return nil, fmt.Errorf("groups of user %s: %w", name, err)
	}
	for _, g := range gids {
		if n, err := strconv.ParseUint(g, 10, 32); err == nil {
			a.groups[uint32(n)] = true
		}
	}
	return a, nil
}

func (a *account) credential() *syscall.Credential {
	if a == nil {
		return nil
	}
	// Groups set explicitly, or the child would keep root's groups.
	groups := make([]uint32, 0, len(a.groups))
	for g := range a.groups {
		groups = append(groups, g)
	}
	return &syscall.Credential{Uid: a.uid, Gid: a.gid, Groups: groups}
}

// canTraverse reports whether the account may search the directory fi, by
// its mode bits (ACLs are not consulted).
func (a *account) canTraverse(fi fs.FileInfo) bool {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return true
	}
	perm := fi.Mode().Perm()
	switch {
	case st.Uid == a.uid:
		return perm&0o100 != 0
	case a.groups[st.Gid]:
		return perm&0o010 != 0
	default:
		return perm&0o001 != 0
	}
}

// UnreachableError reports a data directory that the postgres system user
// cannot reach because an ancestor directory is closed to it.
type UnreachableError struct {
	Dir    string // the data directory
	Closed string // the ancestor the user cannot traverse
	User   string
}

func (e *UnreachableError) Error() string {
	return fmt.Sprintf("data directory %s is not reachable by the %s system user: %s is closed to it; "+
		"choose a data directory outside it, such as /var/lib/den", e.Dir, e.User, e.Closed)
}

// resolveDir makes dir absolute and resolves symlinks in the part of it that
// exists, so that it compares equal to the working directory the kernel
// reports for a postgres running in it.
func resolveDir(dir string) (string, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", fmt.Errorf("data directory %s: %w", dir, err)
	}
	if strings.ContainsAny(abs, `",`) {
		return "", fmt.Errorf("data directory %s: the path must not contain a comma or a double quote", abs)
	}
	rest := ""
	for p := abs; ; {
		resolved, err := filepath.EvalSymlinks(p)
		if err == nil {
			return filepath.Join(resolved, rest), nil
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return "", fmt.Errorf("data directory %s: %w", abs, err)
		}
		parent := filepath.Dir(p)
		if parent == p {
			return abs, nil
		}
		rest = filepath.Join(filepath.Base(p), rest)
		p = parent
	}
}

func checkSocketPath(dir string) error {
	sock := filepath.Join(dir, ".s.PGSQL."+port)
	if len(sock) > maxSocketPath {
		return fmt.Errorf("data directory %s is too deep: its socket path %s is %d bytes, over the limit of %d; choose a shorter path",
			dir, sock, len(sock), maxSocketPath)
	}
	return nil
}

// prepareParents creates the missing ancestors of dir and, when postgres
// runs as another user, checks that each ancestor lets that user through.
func prepareParents(dir string, acct *account) error {
	parent := filepath.Dir(dir)
	if acct == nil {
		if err := os.MkdirAll(parent, 0o755); err != nil {
			return fmt.Errorf("create parent of data directory: %w", err)
		}
		return nil
	}
	var chain []string
	for p := parent; ; p = filepath.Dir(p) {
		chain = append(chain, p)
		if p == filepath.Dir(p) {
			break
		}
	}
	for i := len(chain) - 1; i >= 0; i-- {
		p := chain[i]
		fi, err := os.Stat(p)
		if errors.Is(err, fs.ErrNotExist) {
			if err := mkdirOpen(p); err != nil {
				return fmt.Errorf("create parent of data directory: %w", err)
			}
			fi, err = os.Stat(p)
		}
		if err != nil {
			return fmt.Errorf("data directory %s: %w", dir, err)
		}
		if !fi.IsDir() {
			return fmt.Errorf("data directory %s: %s is not a directory", dir, p)
		}
		if !acct.canTraverse(fi) {
			return &UnreachableError{Dir: dir, Closed: p, User: acct.name}
		}
	}
	return nil
}

// mkdirOpen creates the directory p, mode 0755 whatever the umask.
func mkdirOpen(p string) error {
	err := os.Mkdir(p, 0o755)
	if errors.Is(err, fs.ErrExist) {
		return nil
	}
	if err != nil {
		return err
	}
	return os.Chmod(p, 0o755)
}

// prepareDir gives dir, if it is empty, to the account postgres runs as,
// mode 0700.
func prepareDir(dir string, acct *account) error {
	initialized, err := isCluster(dir)
	if err != nil || initialized {
		return err
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("data directory: %w", err)
	}
	if len(entries) > 0 {
		return fmt.Errorf("data directory %s is neither empty nor a PostgreSQL cluster; choose another directory", dir)
	}
	if acct == nil {
		return nil
	}
	if err := os.Chown(dir, int(acct.uid), int(acct.gid)); err != nil {
		return fmt.Errorf("give data directory to user %s: %w", acct.name, err)
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		return fmt.Errorf("data directory: %w", err)
	}
	return nil
}

// isCluster reports whether dir holds an initialized cluster.
func isCluster(dir string) (bool, error) {
	_, err := os.Stat(filepath.Join(dir, "PG_VERSION"))
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, fs.ErrNotExist):
		return false, nil
	default:
		return false, fmt.Errorf("data directory: %w", err)
	}
}

// checkOwner fails early, with a message a person can act on, when an
// existing cluster belongs to another user than the one postgres runs as.
func checkOwner(dir string, acct *account) error {
	fi, err := os.Stat(dir)
	if err != nil {
		return fmt.Errorf("data directory: %w", err)
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return nil
	}
	uid, name := uint32(os.Geteuid()), "current"
	if acct != nil {
		uid, name = acct.uid, acct.name
	}
	if st.Uid != uid {
		return fmt.Errorf("data directory %s is owned by uid %d, but postgres runs as the %s user (uid %d); chown -R it to that user or choose another directory",
			dir, st.Uid, name, uid)
	}
	return nil
}

// lockDir takes an exclusive lock on dir for as long as the returned file
// stays open, so that only one Cluster at a time runs on it. postgres does
// not inherit the descriptor, so the lock goes away with this process even if
// an orphaned postgres lingers.
// It creates dir if missing.
func lockDir(dir string) (*os.File, error) {
	if err := os.Mkdir(dir, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
		return nil, fmt.Errorf("create data directory: %w", err)
	}
	f, err := os.Open(dir)
	if err != nil {
		return nil, fmt.Errorf("lock data directory: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("data directory %s is in use: postgres was started on it by another den process, or earlier by this one and not stopped", dir)
		}
		return nil, fmt.Errorf("lock data directory %s: %w", dir, err)
	}
	return f, nil
}
