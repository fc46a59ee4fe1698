// Package password hashes and checks passwords with argon2id, a memory-hard
// KDF, in the PHC string format, and bounds how many hashes run at once so a
// burst of logins cannot exhaust the server's memory.
package password

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"runtime"
	"strings"

	"golang.org/x/crypto/argon2"
)

// MinLength and MaxLength bound a password's length in bytes.
const (
	MinLength = 8
	MaxLength = 256
)

// Parameters of argon2id (RFC 9106, at OWASP's recommended memory cost).
const (
	memoryKiB = 19 * 1024
	timeCost  = 2
	threads   = 1
	keyLen    = 32
	saltLen   = 16
)

// slots bounds concurrent hashing: each hash holds memoryKiB of memory.
var slots = make(chan struct{}, max(2, runtime.NumCPU()))

// ErrMismatch means the password does not match the hash.
var ErrMismatch = errors.New("password does not match")

// Validate says what is wrong with a new password, or returns "".
func Validate(pw string) string {
	switch {
	case len(pw) < MinLength:
		return fmt.Sprintf("must be at least %d characters", MinLength)
	case len(pw) > MaxLength:
		return fmt.Sprintf("must be at most %d characters", MaxLength)
	}
	return ""
}

// Hash returns the PHC string of pw under a fresh salt.
func Hash(ctx context.Context, pw string) (string, error) {
	salt := make([]byte, saltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("read salt: %w", err)
	}
	key, err := derive(ctx, pw, salt, memoryKiB, timeCost, threads, keyLen)
	if err != nil {
		return "", err
	}
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, memoryKiB, timeCost, threads, b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// Verify returns nil when pw matches hash, ErrMismatch when it does not, and
// another error when hash is not a hash this package wrote.
func Verify(ctx context.Context, hash, pw string) error {
	parts := strings.Split(hash, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" {
		return errors.New("unknown password hash format")
	}
	var version int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return fmt.Errorf("unsupported argon2 version %q", parts[2])
	}
	var m, t uint32
	var p uint8
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &m, &t, &p); err != nil {
		return fmt.Errorf("parse argon2 parameters %q: %w", parts[3], err)
	}
	if m == 0 || m > 1<<22 || t == 0 || t > 100 || p == 0 {
		return fmt.Errorf("argon2 parameters %q out of range", parts[3])
	}
	b64 := base64.RawStdEncoding
	salt, err := b64.DecodeString(parts[4])
	if err != nil {
		return fmt.Errorf("decode salt: %w", err)
	}
	want, err := b64.DecodeString(parts[5])
	if err != nil || len(want) == 0 || len(want) > 128 {
		return errors.New("decode password hash: bad key")
	}
	got, err := derive(ctx, pw, salt, m, t, p, uint32(len(want)))
	if err != nil {
		return err
	}
	if subtle.ConstantTimeCompare(got, want) != 1 {
		return ErrMismatch
	}
	return nil
}

func derive(ctx context.Context, pw string, salt []byte, m, t uint32, p uint8, n uint32) ([]byte, error) {
	select {
	case slots <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	defer func() { <-slots }()
	return argon2.IDKey([]byte(pw), salt, t, m, p, n), nil
}
