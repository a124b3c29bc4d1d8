package content

// The fields of a layer a FieldError can name (the keys of the panel's
// layer forms).
const (
	FieldID     = "id"
	FieldScript = "script"
)

// FieldError is bad input in one field of a layer; Err says why without
// repeating the field (the panel shows it next to the field, the CLI
// prints "FIELD: why"). Every FieldError is ErrInvalid.
type FieldError struct {
	Field string
	Err   error
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Err.Error() }

// Unwrap makes errors.Is see ErrInvalid and whatever Err wraps.
func (e *FieldError) Unwrap() []error { return []error{ErrInvalid, e.Err} }
