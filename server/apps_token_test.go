package server

import (
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
)

var (
	testTicketKey = []byte("0123456789abcdef0123456789abcdef")
	testCookieKey = []byte("fedcba9876543210fedcba9876543210")
)

func TestAppToken(t *testing.T) {
	t.Parallel()
	now := time.Unix(1_700_000_000, 0)
	tok := appToken{User: uuid.New(), Key: "abcdefghij", Host: "web--dev--ada.apps.example.com:3000", Expires: now.Add(time.Minute).Unix()}
	signed := signAppToken(testTicketKey, tok)
	got, err := parseAppToken(testTicketKey, signed, "WEB--dev--ada.apps.example.com:3000", now)
	if err != nil || got != tok {
		t.Fatalf("parse = %+v, %v; want %+v", got, err, tok)
	}
	p, sig, _ := strings.Cut(signed, ".")
	for name, c := range map[string]struct {
		key        []byte
		text, host string
		now        time.Time
	}{
		"other key":     {testCookieKey, signed, tok.Host, now},
		"other host":    {testTicketKey, signed, "api--dev--ada.apps.example.com:3000", now},
		"other port":    {testTicketKey, signed, "web--dev--ada.apps.example.com:3001", now},
		"expired":       {testTicketKey, signed, tok.Host, now.Add(time.Minute)},
		"no signature":  {testTicketKey, p, tok.Host, now},
		"bad signature": {testTicketKey, p + "." + sig[:len(sig)-2] + "AA", tok.Host, now},
		"padded":        {testTicketKey, p + "." + sig + "=", tok.Host, now},
		"empty":         {testTicketKey, "", tok.Host, now},
		"too long":      {testTicketKey, strings.Repeat("a", maxAppToken+1), tok.Host, now},
	} {
		if _, err := parseAppToken(c.key, c.text, c.host, c.now); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	// Signed but incomplete or unknown payloads are refused.
	for _, payload := range []appToken{
		{Key: "k", Host: tok.Host, Expires: tok.Expires},
		{User: tok.User, Host: tok.Host, Expires: tok.Expires},
		{User: tok.User, Key: "k", Expires: tok.Expires},
	} {
		if _, err := parseAppToken(testTicketKey, signAppToken(testTicketKey, payload), tok.Host, now); err == nil {
			t.Errorf("%+v: accepted", payload)
		}
	}
}

// FuzzParseAppToken: the decoder of tickets and cookies, which come from
// browsers, never panics, and accepts only what the key signed for the
// host, unexpired.
func FuzzParseAppToken(f *testing.F) {
	now := time.Unix(1_700_000_000, 0)
	host := "web--dev--ada.apps.example.com"
	good := signAppToken(testTicketKey, appToken{User: uuid.New(), Key: "k", Host: host, Expires: now.Unix() + 60})
	for _, seed := range []string{
		good, "", ".", "a.b", good + "x", strings.Replace(good, ".", "..", 1),
		signAppToken(testTicketKey, appToken{}),
		signAppToken(testCookieKey, appToken{User: uuid.New(), Key: "k", Host: host, Expires: now.Unix() + 60}),
	} {
		f.Add(seed, host)
	}
	f.Fuzz(func(t *testing.T, text, h string) {
		tok, err := parseAppToken(testTicketKey, text, h, now)
		if err != nil {
			if tok != (appToken{}) {
				t.Fatalf("an error and a token: %+v", tok)
			}
			return
		}
		if !strings.EqualFold(tok.Host, h) || tok.Expires <= now.Unix() || tok.User == uuid.Nil || tok.Key == "" {
			t.Fatalf("accepted %q for host %q: %+v", text, h, tok)
		}
		if _, err := parseAppToken(testCookieKey, text, h, now); err == nil {
			t.Fatal("accepted under another key")
		}
	})
}
