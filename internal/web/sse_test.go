package web

import (
	"strings"
	"testing"
)

// TestSSEDataIsOneField parses sseData's output the way an EventSource
// does (CR, LF and CRLF end lines) and checks it is exactly one data field
// carrying the whole line.
func TestSSEDataIsOneField(t *testing.T) {
	for _, line := range []string{
		"plain line",
		"L 11/30/2026 - 00:00:00: \"x\revent: end\rdata: bye\" connected",
		"two\nlines",
		"crlf\r\nevent: reset",
		"trailing\r",
	} {
		out := sseData(line)
		if !strings.HasSuffix(out, "\n\n") {
			t.Fatalf("sseData(%q) = %q: does not end the event", line, out)
		}
		body := strings.TrimSuffix(out, "\n\n")
		fields := strings.FieldsFunc(body, func(r rune) bool { return r == '\r' || r == '\n' })
		if len(fields) != 1 || !strings.HasPrefix(fields[0], "data: ") {
			t.Errorf("sseData(%q) = %q: %d stream lines %q, want one data field", line, out, len(fields), fields)
		}
	}
}
