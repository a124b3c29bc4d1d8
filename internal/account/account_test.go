package account

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/left4me/left4me/internal/auth"
	"github.com/left4me/left4me/internal/store"
)

func TestValidateName(t *testing.T) {
	for _, name := range []string{"a", "alice", "Bob.Smith", "ops@example.org", "x_1-2", strings.Repeat("a", MaxNameLen)} {
		if err := ValidateName(name); err != nil {
			t.Errorf("ValidateName(%q) = %v", name, err)
		}
	}
	for _, name := range []string{"", "a b", "-flag", ".hidden", "@x", "ä", "a/b", "a\n", strings.Repeat("a", MaxNameLen+1)} {
		err := ValidateName(name)
		var fe *FieldError
		if !errors.As(err, &fe) || fe.Field != FieldName || !errors.Is(err, ErrInvalid) {
			t.Errorf("ValidateName(%q) = %v, want a FieldError for the name", name, err)
		}
	}
}

// TestCreate: a good account is created in a real database; a bad name,
// a short password and a taken name are FieldErrors and create nothing.
func TestCreate(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	h := auth.NewHasher(0, 0)
	u, err := Create(ctx, st, h, "ops@example.org", "long enough password", true)
	if err != nil || u.Name != "ops@example.org" || !u.IsAdmin {
		t.Fatalf("Create = %+v, %v", u, err)
	}
	if err := auth.VerifyPassword(u.PasswordHash, "long enough password"); err != nil {
		t.Errorf("stored hash does not verify: %v", err)
	}
	for _, tt := range []struct {
		name, password, field string
		also                  error
	}{
		{"a b", "long enough password", FieldName, nil},
		{"carol", "short", FieldPassword, nil},
		{"ops@example.org", "long enough password", FieldName, ErrExists},
	} {
		_, err := Create(ctx, st, h, tt.name, tt.password, false)
		var fe *FieldError
		if !errors.As(err, &fe) || fe.Field != tt.field || tt.also != nil && !errors.Is(err, tt.also) {
			t.Errorf("Create(%q, %q) = %v, want a FieldError for %s", tt.name, tt.password, err, tt.field)
		}
	}
	if n, _ := st.CountUsers(ctx); n != 1 {
		t.Errorf("%d accounts after refused creates, want 1", n)
	}
}
