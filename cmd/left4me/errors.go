package main

import (
	"errors"
	"fmt"

	"github.com/left4me/left4me/internal/account"
	"github.com/left4me/left4me/internal/content"
	"github.com/left4me/left4me/internal/instance"
)

// errorLine is what the CLI prints for a failed command: "TOP: error",
// TOP being the command ("left4me instance"). Bad input in one field reads
// "VERB: FIELD: why", VERB the whole command ("left4me instance create"),
// with the field and the words the panel shows next to the form field and
// the API sends as {"error", "field"}.
func errorLine(top, verb string, err error) string {
	var ife *instance.FieldError
	var afe *account.FieldError
	var cfe *content.FieldError
	switch {
	case errors.As(err, &ife):
		return fmt.Sprintf("%s: %s: %v", verb, ife.Field, ife.Err)
	case errors.As(err, &afe):
		return fmt.Sprintf("%s: %s: %v", verb, afe.Field, afe.Err)
	case errors.As(err, &cfe):
		return fmt.Sprintf("%s: %s: %v", verb, cfe.Field, cfe.Err)
	}
	return fmt.Sprintf("%s: %v", top, err)
}
