package jobs

import "strings"

// outcomeMessage is the status line of j as people read it. A job that
// failed, was cancelled or waits to retry no longer shows the step it was
// at as if it still ran ("running the build script" under a failed build):
// it says how it ended, with the last error, and the step it was at.
func outcomeMessage(j Job) string {
	last := ""
	if n := len(j.Errors); n > 0 {
		last = firstLine(j.Errors[n-1].Error)
	}
	during := ""
	if j.Message != "" {
		during = " (while " + j.Message + ")"
	}
	switch j.State {
	case StateFailed:
		if last == "" {
			return "failed" + during + "; see the log"
		}
		return "failed" + during + ": " + last
	case StateCancelled:
		return "cancelled" + during
	case StateRetrying:
		if last != "" {
			return "waiting to retry after: " + last
		}
	}
	return j.Message
}

// firstLine is s up to its first line break.
func firstLine(s string) string {
	line, _, _ := strings.Cut(strings.TrimSpace(s), "\n")
	return line
}
