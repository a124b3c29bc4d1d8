package overlay

import (
	"errors"
	"strings"
	"testing"

	"github.com/left4me/left4me/internal/layout"
)

// nameOK is an independent statement of ^[a-z0-9][a-z0-9_-]{0,63}$.
func nameOK(s string) bool {
	if len(s) < 1 || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		alnum := c >= 'a' && c <= 'z' || c >= '0' && c <= '9'
		if !alnum && (i == 0 || c != '_' && c != '-') {
			return false
		}
	}
	return true
}

func TestValidateName(t *testing.T) {
	tests := []struct {
		name string
		ok   bool
	}{
		{"a", true}, {"0", true}, {"coop-1", true}, {"vs_2", true},
		{strings.Repeat("a", 64), true}, {strings.Repeat("a", 65), false},
		{"", false}, {"-a", false}, {"_a", false}, {"A", false}, {"a.b", false},
		{"a/b", false}, {"..", false}, {"a b", false}, {"a\n", false}, {"é", false},
	}
	for _, tt := range tests {
		err := layout.ValidateName(tt.name)
		if (err == nil) != tt.ok {
			t.Errorf("ValidateName(%q) = %v, want ok=%v", tt.name, err, tt.ok)
		}
		if err != nil && !errors.Is(err, layout.ErrInvalidName) {
			t.Errorf("ValidateName(%q) error does not wrap ErrInvalidName", tt.name)
		}
	}
}

// FuzzValidateName checks layout.ValidateName, the instance-name check of
// the privileged helper, against an independent implementation.
func FuzzValidateName(f *testing.F) {
	for _, s := range []string{"a", "coop-1", "-x", "A", "a/b", "", strings.Repeat("z", 64), strings.Repeat("z", 65), "a\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		err := layout.ValidateName(s)
		if (err == nil) != nameOK(s) {
			t.Fatalf("ValidateName(%q) = %v, want ok=%v", s, err, nameOK(s))
		}
	})
}
