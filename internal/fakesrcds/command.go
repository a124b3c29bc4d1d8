package fakesrcds

import "strings"

// command is one console command: its arguments as tokens and argS, the raw
// text after the command name (the engine's CCommand::ArgS).
type command struct {
	args []string
	argS string
}

func (c command) name() string {
	if len(c.args) == 0 {
		return ""
	}
	return c.args[0]
}

// splitCommands cuts console text into commands the way the engine's command
// buffer does: a newline or a ';' outside double quotes ends a command, and
// "//" outside quotes starts a comment running to the end of the line.
// Empty commands are dropped.
func splitCommands(text string) []command {
	var out []command
	var cur strings.Builder
	inQuote := false
	flush := func() {
		if c, ok := parseCommand(cur.String()); ok {
			out = append(out, c)
		}
		cur.Reset()
	}
	for i := 0; i < len(text); i++ {
		ch := text[i]
		switch {
		case ch == '"':
			inQuote = !inQuote
			cur.WriteByte(ch)
		case ch == '\n' || ch == '\r':
			inQuote = false
			flush()
		case inQuote:
			cur.WriteByte(ch)
		case ch == ';':
			flush()
		case ch == '/' && i+1 < len(text) && text[i+1] == '/':
			for i < len(text) && text[i] != '\n' {
				i++
			}
			flush()
		default:
			cur.WriteByte(ch)
		}
	}
	flush()
	return out
}

// parseCommand tokenizes one command line: whitespace separates tokens and
// a double-quoted run is one token without its quotes.
func parseCommand(line string) (command, bool) {
	line = strings.TrimSpace(line)
	var c command
	i := 0
	for i < len(line) {
		for i < len(line) && isSpace(line[i]) {
			i++
		}
		if i >= len(line) {
			break
		}
		if len(c.args) == 1 {
			c.argS = strings.TrimSpace(line[i:])
		}
		if line[i] == '"' {
			j := strings.IndexByte(line[i+1:], '"')
			if j < 0 {
				c.args = append(c.args, line[i+1:])
				break
			}
			c.args = append(c.args, line[i+1:i+1+j])
			i += j + 2
			continue
		}
		j := i
		for j < len(line) && !isSpace(line[j]) && line[j] != '"' {
			j++
		}
		c.args = append(c.args, line[i:j])
		i = j
	}
	return c, len(c.args) > 0
}

func isSpace(b byte) bool { return b == ' ' || b == '\t' || b == '\v' || b == '\f' }

// cvarValue is the value an assignment "name args..." gives: the single
// token when there is exactly one, else the raw rest of the line, as the
// engine does.
func (c command) cvarValue() string {
	if len(c.args) == 2 {
		return c.args[1]
	}
	return c.argS
}
