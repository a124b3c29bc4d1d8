package instance

import "strings"

// FieldWatchdog is the instance field of the watchdog setting.
const FieldWatchdog = "watchdog"

// ParseWatchdog reads the watchdog setting as the CLI and the panel's form
// give it: on or off (also true/false, yes/no, 1/0).
func ParseWatchdog(s string) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "on", "true", "yes", "1":
		return true, nil
	case "off", "false", "no", "0":
		return false, nil
	}
	return false, fieldErr(FieldWatchdog, "%q is neither on nor off; give on or off", s)
}

// WatchdogText is the setting as ParseWatchdog reads it back.
func WatchdogText(on bool) string {
	if on {
		return "on"
	}
	return "off"
}

// UnhealthyIn reports whether the watchdog's unhealthy mark applies to the
// run that st describes: the mark is set while a run is frozen and belongs
// to that run; a later start (by anyone) begins healthy.
func (in Instance) UnhealthyIn(st Status) bool {
	if in.UnhealthyAt.IsZero() || (st.State != Running && st.State != Starting) {
		return false
	}
	return st.Since.IsZero() || !in.UnhealthyAt.Before(st.Since)
}
