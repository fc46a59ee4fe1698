// Package apikey makes and checks the secrets that authenticate sessions and
// API tokens. A key is "<id>-<secret>": the id finds the row, the secret is
// 130 random bits of which the database keeps only a SHA-256.
package apikey

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"strings"
)

// idLen is the length of the public part of a key.
const idLen = 10

// ErrMalformed means a presented key does not have the shape of a key.
var ErrMalformed = errors.New("malformed API key")

// Key is a freshly made key. Only Hashed goes to the database.
type Key struct {
	ID     string
	Secret string
	Hashed []byte
}

// String is the whole key as the client presents it.
func (k Key) String() string { return k.ID + "-" + k.Secret }

// New makes a key.
func New() Key {
	id := strings.ToLower(rand.Text()[:idLen])
	secret := strings.ToLower(rand.Text()) // 26 base32 characters: 130 bits
	return Key{ID: id, Secret: secret, Hashed: Hash(secret)}
}

// Parse splits a presented key into id and secret.
func Parse(s string) (id, secret string, err error) {
	id, secret, ok := strings.Cut(s, "-")
	if !ok || len(id) != idLen || len(secret) < 22 || len(secret) > 64 {
		return "", "", ErrMalformed
	}
	return id, secret, nil
}

// Hash is what the database stores for a secret.
func Hash(secret string) []byte {
	h := sha256.Sum256([]byte(secret))
	return h[:]
}

// Matches compares a presented secret with the stored hash in constant time.
func Matches(secret string, hashed []byte) bool {
	return subtle.ConstantTimeCompare(Hash(secret), hashed) == 1
}
