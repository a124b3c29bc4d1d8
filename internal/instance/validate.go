package instance

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/left4me/left4me/internal/layout"
)

// The fields of an instance a FieldError can name. They are the keys of the
// panel's form and of the API's JSON, so every entry point reports the same
// field for the same input.
const (
	FieldName      = "name"
	FieldOwner     = "owner"
	FieldPort      = "port"
	FieldLayers    = "layers"
	FieldArgs      = "args"
	FieldServerCfg = "server_cfg"
)

// FieldError is bad input in one field of an instance. Err says why, in
// words that do not repeat the field: the panel shows them next to the
// field, the API sends them as {"error": ..., "field": ...}, the CLI prints
// "FIELD: why".
//
// Every FieldError is ErrInvalid. Some are a more specific refusal as well
// (ErrPortUsed, ErrExists, ErrNoLayer, which Err wraps); callers that
// answer those differently test for them before ErrInvalid.
type FieldError struct {
	Field string
	Err   error
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Err.Error() }

// Unwrap makes errors.Is see ErrInvalid and whatever Err wraps.
func (e *FieldError) Unwrap() []error { return []error{ErrInvalid, e.Err} }

// fieldErr is a FieldError with a formatted reason.
func fieldErr(field, format string, a ...any) error {
	return &FieldError{Field: field, Err: fmt.Errorf(format, a...)}
}

// kindError is a reason that is also one of the service's sentinels
// (ErrPortUsed, ...) without repeating the sentinel's words.
type kindError struct {
	kind error
	msg  string
}

func (e *kindError) Error() string { return e.msg }
func (e *kindError) Unwrap() error { return e.kind }

// fieldKind is a FieldError whose reason is also kind.
func fieldKind(field string, kind error, format string, a ...any) error {
	return &FieldError{Field: field, Err: &kindError{kind: kind, msg: fmt.Sprintf(format, a...)}}
}

// ValidateName checks an instance name (layout.ValidateName, which decides
// what can be a directory and unit name) as a FieldError.
func ValidateName(name string) error {
	if err := layout.ValidateName(name); err != nil {
		return &FieldError{Field: FieldName, Err: err}
	}
	return nil
}

// validatePort checks a port before the configured range is consulted:
// 0 (pick one, create only) or a port number. The range (Config.PortMin
// and PortMax, which the unit's SocketBindAllow= also holds) is the real
// limit; checkPort applies it. No fixed floor such as 1024 applies: an
// operator who configures a range below it has chosen that.
func validatePort(port int, pick bool) error {
	switch {
	case port == 0 && pick:
		return nil
	case port == 0:
		return fieldErr(FieldPort, "give a port number (only create picks a free port itself)")
	case port < 1 || port > 65535:
		return fieldErr(FieldPort, "%d is not a port number (1-65535)", port)
	}
	return nil
}

// ParsePort reads a port as a form or flag gives it: "" or "auto" is 0,
// which picks a free port at create.
func ParsePort(s string) (int, error) {
	s = strings.TrimSpace(s)
	if s == "" || s == "auto" {
		return 0, nil
	}
	p, err := strconv.Atoi(s)
	if err != nil {
		return 0, fieldErr(FieldPort, "%q is not a number; give a port or leave it empty to pick a free one", s)
	}
	if err := validatePort(p, true); err != nil {
		return 0, err
	}
	return p, nil
}

// MaxArgsLen bounds the extra srcds arguments, joined by single spaces, in
// bytes.
const MaxArgsLen = 1024

// ParseArgs splits an arguments line as a form gives it on white space.
func ParseArgs(line string) []string { return strings.Fields(line) }
