package main

import (
	"fmt"
	"strconv"
)

// optionalBool is a boolean flag that knows whether it was given:
// "--autostart", "--autostart=false". Unset, v is nil.
type optionalBool struct{ v *bool }

func (o *optionalBool) String() string {
	if o == nil || o.v == nil {
		return ""
	}
	return strconv.FormatBool(*o.v)
}

func (o *optionalBool) Set(s string) error {
	b, err := strconv.ParseBool(s)
	if err != nil {
		return fmt.Errorf("want true or false, not %q", s)
	}
	o.v = &b
	return nil
}

// IsBoolFlag lets "--autostart" alone mean true.
func (o *optionalBool) IsBoolFlag() bool { return true }
