package password

import (
	"context"
	"errors"
	"strings"
	"testing"
)

func TestHashAndVerify(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	h, err := Hash(ctx, "correct horse")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=19456,t=2,p=1$") || strings.Contains(h, "correct horse") {
		t.Fatalf("hash %q", h)
	}
	if err := Verify(ctx, h, "correct horse"); err != nil {
		t.Fatalf("right password: %v", err)
	}
	if err := Verify(ctx, h, "correct horsf"); !errors.Is(err, ErrMismatch) {
		t.Fatalf("wrong password: %v", err)
	}
	h2, _ := Hash(ctx, "correct horse")
	if h2 == h {
		t.Fatal("two hashes of one password are equal: no salt")
	}
	for _, bad := range []string{"", "plain", "$argon2id$v=19$m=1,t=1$x$y", "$argon2id$v=19$m=99999999,t=1,p=1$c2FsdA$a2V5", "$bcrypt$x$y$z$w"} {
		if err := Verify(ctx, bad, "x"); err == nil || errors.Is(err, ErrMismatch) {
			t.Errorf("Verify(%q) = %v, want a format error", bad, err)
		}
	}
}

func TestValidate(t *testing.T) {
	t.Parallel()
	if Validate("1234567") == "" || Validate(strings.Repeat("x", 257)) == "" || Validate("12345678") != "" {
		t.Fatal("length bounds are wrong")
	}
}
