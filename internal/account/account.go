// Package account holds the rules for panel accounts, so the CLI's
// `left4me user create` and the panel's user form accept the same names and
// passwords and refuse them with the same words.
package account

import (
	"context"
	"errors"
	"fmt"
	"regexp"

	"github.com/left4me/left4me/internal/auth"
	"github.com/left4me/left4me/internal/store"
)

// The fields of an account a FieldError can name (the keys of the panel's
// user form).
const (
	FieldName     = "name"
	FieldPassword = "password"
)

// Errors returned (wrapped) by this package.
var (
	ErrInvalid = errors.New("invalid account")
	// ErrExists reads as the end of a sentence: user "x" already exists.
	ErrExists = errors.New("already exists")
)

// FieldError is bad input in one field of an account; Err says why without
// repeating the field. Every FieldError is ErrInvalid; a taken name is also
// ErrExists.
type FieldError struct {
	Field string
	Err   error
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Err.Error() }

// Unwrap makes errors.Is see ErrInvalid and whatever Err wraps.
func (e *FieldError) Unwrap() []error { return []error{ErrInvalid, e.Err} }

// MaxNameLen is the longest account name, in bytes.
const MaxNameLen = 64

// namePattern is the one rule for account names. The CLI allowed 64
// characters with '@', the panel 32 without; the wider rule is kept because
// every name either ever created stays valid under it, and '@' lets an
// operator use e-mail addresses as names. Names appear only in HTML (escaped),
// JSON and the database, never in paths or unit names, so '@' and '.' are
// harmless; the first character is a letter or digit so a name never reads
// as a flag.
var namePattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$`)

// ValidateName checks an account name.
func ValidateName(name string) error {
	if !namePattern.MatchString(name) {
		return &FieldError{Field: FieldName, Err: fmt.Errorf("invalid user name %q: use 1-%d characters A-Z, a-z, 0-9, '_', '.', '@' or '-', starting with a letter or digit", name, MaxNameLen)}
	}
	return nil
}

// ValidatePassword checks a new password against the policy.
func ValidatePassword(password string) error {
	if err := auth.CheckPasswordPolicy(password); err != nil {
		return &FieldError{Field: FieldPassword, Err: err}
	}
	return nil
}

// Store is what Create needs from the database (*store.Store).
type Store interface {
	CreateUser(ctx context.Context, name, passwordHash string, admin bool) (store.User, error)
}

// Hasher hashes a password (*auth.Hasher, which bounds concurrent hashing).
type Hasher interface {
	Hash(ctx context.Context, password string) (string, error)
}

// Create validates name and password and creates the account. A taken
// name is a FieldError for the name that is also ErrExists.
func Create(ctx context.Context, st Store, h Hasher, name, password string, admin bool) (store.User, error) {
	if err := ValidateName(name); err != nil {
		return store.User{}, err
	}
	if err := ValidatePassword(password); err != nil {
		return store.User{}, err
	}
	hash, err := h.Hash(ctx, password)
	if err != nil {
		return store.User{}, fmt.Errorf("create account %q: %w", name, err)
	}
	u, err := st.CreateUser(ctx, name, hash, admin)
	if errors.Is(err, store.ErrConflict) {
		return store.User{}, Taken(name)
	}
	if err != nil {
		return store.User{}, fmt.Errorf("create account %q: %w", name, err)
	}
	return u, nil
}

// Taken is the refusal of a name another account has.
func Taken(name string) error {
	return &FieldError{Field: FieldName, Err: fmt.Errorf("user %q %w", name, ErrExists)}
}
