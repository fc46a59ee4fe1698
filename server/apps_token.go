package server

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"time"

	"github.com/google/uuid"
)

// Subdomain apps authenticate with two signed tokens of one shape: a
// ticket, minted by /api/v2/apps/open for a signed-in browser and good for
// a minute, which the app's host exchanges for a cookie that lasts an
// hour. Both name the user, the session key they came from (so signing
// out or revoking the session ends access), the one host they are for and
// their expiry, signed with HMAC-SHA256 under keys derived from a
// deployment secret: one for tickets, one for cookies, so neither passes
// for the other.

// appsSecret names the deployment secret the app keys derive from.
const appsSecret = "workspace_apps_secret"

// The lifetimes of app tokens.
const (
	appTicketLife = time.Minute
	appCookieLife = time.Hour
)

// maxAppToken bounds the text of a token read from a request.
const maxAppToken = 1024

// appTokenKind says which key signs a token.
type appTokenKind string

const (
	appTicket appTokenKind = "den workspace app ticket"
	appCookie appTokenKind = "den workspace app cookie"
)

// appToken is what a ticket or cookie says.
type appToken struct {
	User uuid.UUID `json:"u"`
	// Key is the ID of the session key the token came from.
	Key  string `json:"k"`
	Host string `json:"h"`
	// Expires is in Unix seconds.
	Expires int64 `json:"e"`
}

// errAppToken is every reason a token is refused; the reasons are not told
// apart to the client.
var errAppToken = errors.New("the app token is not valid")

// appKey derives the key of kind from the deployment secret.
func (s *Server) appKey(ctx context.Context, kind appTokenKind) ([]byte, error) {
	secret, err := s.deploymentSecret(ctx, appsSecret)
	if err != nil {
		return nil, err
	}
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte(kind))
	return mac.Sum(nil), nil
}

// signAppToken encodes t and signs it with key:
// base64url(JSON) "." base64url(HMAC-SHA256).
func signAppToken(key []byte, t appToken) string {
	payload, _ := json.Marshal(t) // plain fields: cannot fail
	p := base64.RawURLEncoding.EncodeToString(payload)
	return p + "." + base64.RawURLEncoding.EncodeToString(appTokenMAC(key, p))
}

func appTokenMAC(key []byte, payload string) []byte {
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(payload))
	return mac.Sum(nil)
}

// parseAppToken checks a token's signature, that it is for host and that
// it has not expired at now, and returns what it says.
func parseAppToken(key []byte, text, host string, now time.Time) (appToken, error) {
	var t appToken
	if len(text) > maxAppToken {
		return t, errAppToken
	}
	p, sig, ok := strings.Cut(text, ".")
	if !ok {
		return t, errAppToken
	}
	mac, err := base64.RawURLEncoding.Strict().DecodeString(sig)
	if err != nil || !hmac.Equal(mac, appTokenMAC(key, p)) {
		return t, errAppToken
	}
	payload, err := base64.RawURLEncoding.Strict().DecodeString(p)
	if err != nil {
		return t, errAppToken
	}
	dec := json.NewDecoder(bytes.NewReader(payload))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&t); err != nil || dec.More() {
		return appToken{}, errAppToken
	}
	if t.User == uuid.Nil || t.Key == "" || t.Host == "" || !strings.EqualFold(t.Host, host) || now.Unix() >= t.Expires {
		return appToken{}, errAppToken
	}
	return t, nil
}
