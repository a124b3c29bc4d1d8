package srcds

import "strings"

// WithoutCommandEcho returns an RCON reply without the server's log record
// of the command itself: with logging on and sv_logecho 1 (the default) the
// engine echoes `L …: rcon from "ADDR": command "CMD"` to the console while
// it captures the reply, so the line ends up in the reply (cmd/fakesrcds does
// the same). The console log shows that line already; the reply is the rest
// (empty for a command that prints nothing, such as say).
func WithoutCommandEcho(reply, command string) string {
	if !strings.Contains(reply, "rcon from ") {
		return reply
	}
	lines := strings.SplitAfter(reply, "\n")
	kept := lines[:0]
	for _, l := range lines {
		if isCommandEcho(l, command) {
			continue
		}
		kept = append(kept, l)
	}
	return strings.Join(kept, "")
}

// isCommandEcho reports whether line is the log record of an RCON command
// being command.
func isCommandEcho(line, command string) bool {
	m := strings.TrimRight(line, "\x00\r\n")
	loc := lineStart.FindStringIndex(m)
	if loc == nil || loc[0] != 0 {
		return false
	}
	_, cmd, bad, ok := parseRCONLog(m[loc[1]:])
	return ok && !bad && cmd == command
}
