package auth

import (
	"errors"
	"strings"
	"testing"
)

func TestPasswordRoundTrip(t *testing.T) {
	h, err := HashPassword("correct horse")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$") {
		t.Errorf("hash %q lacks the argon2id PHC prefix", h)
	}
	if err := VerifyPassword(h, "correct horse"); err != nil {
		t.Errorf("right password: %v", err)
	}
	if err := VerifyPassword(h, "wrong horse"); !errors.Is(err, ErrMismatch) {
		t.Errorf("wrong password: err = %v, want ErrMismatch", err)
	}
	h2, _ := HashPassword("correct horse")
	if h == h2 {
		t.Error("two hashes of one password are equal: salt not random")
	}
}

func TestVerifyPasswordMalformed(t *testing.T) {
	for _, enc := range []string{"", "plain", "$bcrypt$x$y$z$w", "$argon2id$v=19$m=x$a$b", "$argon2id$v=19$m=1,t=1,p=1$!!$AAAA"} {
		if err := VerifyPassword(enc, "pw"); err == nil || errors.Is(err, ErrMismatch) {
			t.Errorf("VerifyPassword(%q) = %v, want a format error", enc, err)
		}
	}
}

func TestPasswordPolicy(t *testing.T) {
	if err := CheckPasswordPolicy("short"); err == nil {
		t.Error("short password accepted")
	}
	if err := CheckPasswordPolicy("long enough"); err != nil {
		t.Error(err)
	}
}
