package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strings"
)

// tokenBytes is the entropy of session ids, CSRF tokens and API tokens.
const tokenBytes = 32

// APITokenPrefix starts every API token so that leaked tokens are easy to
// recognise (and to grep for in logs and repositories).
const APITokenPrefix = "l4m_"

// NewSecret returns a random URL-safe string carrying 32 bytes of entropy.
// It is used for session ids and CSRF tokens.
func NewSecret() (string, error) {
	b := make([]byte, tokenBytes)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("generate secret: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// NewAPIToken returns a fresh API token (shown to its owner once) and the
// hash under which it is stored.
func NewAPIToken() (token, hash string, err error) {
	s, err := NewSecret()
	if err != nil {
		return "", "", fmt.Errorf("new API token: %w", err)
	}
	token = APITokenPrefix + s
	return token, HashSecret(token), nil
}

// HashSecret returns the hex SHA-256 of a high-entropy secret. Session ids and
// API tokens are stored only in this form: a database leak does not reveal
// credentials, and no slow hash is needed because the input is random.
func HashSecret(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

// LooksLikeAPIToken reports whether s has the shape of an API token.
func LooksLikeAPIToken(s string) bool {
	return strings.HasPrefix(s, APITokenPrefix) && len(s) > len(APITokenPrefix)+40
}

// EqualSecrets compares two secrets in constant time. Empty secrets never match.
func EqualSecrets(a, b string) bool {
	if a == "" || b == "" {
		return false
	}
	return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}
