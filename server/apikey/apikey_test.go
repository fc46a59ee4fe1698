package apikey

import (
	"strings"
	"testing"
)

func TestKeyRoundTrip(t *testing.T) {
	t.Parallel()
	k := New()
	id, secret, err := Parse(k.String())
	if err != nil || id != k.ID || secret != k.Secret {
		t.Fatalf("Parse(%q) = %q, %q, %v", k.String(), id, secret, err)
	}
	if !Matches(secret, k.Hashed) {
		t.Fatal("the secret does not match its own hash")
	}
	if Matches(secret+"x", k.Hashed) || Matches(strings.ToUpper(secret), k.Hashed) {
		t.Fatal("another secret matches")
	}
	if len(k.Secret)*5 < 128 {
		t.Fatalf("secret %q carries fewer than 128 bits", k.Secret)
	}
	if New().Secret == k.Secret {
		t.Fatal("two keys share a secret")
	}
}

func FuzzParse(f *testing.F) {
	f.Add(New().String())
	f.Add("abc-def")
	f.Add("")
	f.Fuzz(func(t *testing.T, s string) {
		id, secret, err := Parse(s)
		if err == nil && id+"-"+secret != s {
			t.Fatalf("Parse(%q) lost data: %q %q", s, id, secret)
		}
	})
}
