package srcds

import "strings"

// IsRCONLog reports whether a console or log line is the server's record
// of an RCON connection: a command (`rcon from "ADDR": command "CMD"`), a
// bad password or an accepted one, with or without the log line's prefix.
// The panel shows them only to those who may read the console history.
func IsRCONLog(line string) bool {
	m := strings.TrimRight(line, "\x00\r\n")
	if loc := lineStart.FindStringIndex(m); loc != nil && loc[0] == 0 {
		m = m[loc[1]:]
	}
	return strings.HasPrefix(m, `rcon from "`)
}
