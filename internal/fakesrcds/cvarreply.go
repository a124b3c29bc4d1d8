package fakesrcds

import (
	"errors"
	"fmt"
	"strings"
)

// Cvar is a console variable as the engine describes it when asked for it by
// its bare name. Tests read a server's cvars over RCON with ParseCvar: the
// stand-in answers in the engine's format, so the same parser reads both.
type Cvar struct {
	Name       string
	Value      string
	Default    string // only when HasDefault
	HasDefault bool   // the engine prints "( def. ... )" only for a non-default value
	Flags      []string
	Help       string
}

// ErrUnknownCvar is the engine's `Unknown command "name"`.
var ErrUnknownCvar = errors.New("unknown cvar")

// ParseCvar parses the reply to a cvar's bare name, in the engine's format:
//
//	"mp_gamemode" = "versus" ( def. "coop" )
//	 game notify replicated
//	 - Current game mode ...
//
// The first line starting with a double quote is the value line; other
// lines before it (such as echoed log lines) are skipped.
func ParseCvar(reply string) (Cvar, error) {
	lines := strings.Split(strings.ReplaceAll(reply, "\r", ""), "\n")
	for i, line := range lines {
		if strings.HasPrefix(line, "Unknown command ") {
			return Cvar{}, fmt.Errorf("parse cvar reply: %w: %s", ErrUnknownCvar, strings.TrimPrefix(line, "Unknown command "))
		}
		if !strings.HasPrefix(line, `"`) {
			continue
		}
		name, rest, ok := strings.Cut(line[1:], `" = "`)
		if !ok {
			continue
		}
		c := Cvar{Name: name}
		if v, def, ok := strings.Cut(rest, `" ( def. "`); ok {
			c.Value = v
			c.HasDefault = true
			if j := strings.LastIndex(def, `" )`); j >= 0 {
				c.Default = def[:j]
			} else {
				c.Default = strings.TrimSuffix(def, `"`)
			}
		} else {
			j := strings.LastIndexByte(rest, '"')
			if j < 0 {
				return Cvar{}, fmt.Errorf("parse cvar reply: unterminated value in %q", line)
			}
			c.Value = rest[:j]
		}
		for _, l := range lines[i+1:] {
			switch {
			case strings.HasPrefix(l, " - "):
				c.Help = l[3:]
			case strings.HasPrefix(l, " ") && c.Flags == nil && c.Help == "":
				c.Flags = strings.Fields(l)
			}
		}
		return c, nil
	}
	return Cvar{}, fmt.Errorf("parse cvar reply: no \"name\" = \"value\" line in %q", truncateReply(reply, 80))
}

func truncateReply(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
