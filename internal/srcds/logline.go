package srcds

import (
	"bytes"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// EventType classifies a log line.
type EventType string

// Event types. Lines the parser does not classify are EventOther.
const (
	EventConnect    EventType = "connect"     // "P" connected, address "ip:port"
	EventValidated  EventType = "validated"   // "P" STEAM USERID validated
	EventEntered    EventType = "entered"     // "P" entered the game
	EventDisconnect EventType = "disconnect"  // "P" disconnected (reason "...")
	EventChat       EventType = "chat"        // "P" say "..." / say_team "..."
	EventTeam       EventType = "team"        // "P" joined team "..."
	EventMapLoading EventType = "map_loading" // Loading map "..."
	EventMapStarted EventType = "map_started" // Started map "..." (CRC "...")
	EventRCON       EventType = "rcon"        // rcon from "ip:port": command "..." | Bad Password
	EventCvar       EventType = "cvar"        // server_cvar: "name" "value"
	EventLogStarted EventType = "log_started" // Log file started (...)
	EventLogClosed  EventType = "log_closed"  // Log file closed
	EventOther      EventType = "other"
)

// LogPlayer is a player as log lines name one: "Name<userid><steamid><team>".
type LogPlayer struct {
	Name      string
	UserID    int
	SteamID   string // STEAM_1:Y:Z, [U:1:N], "BOT" or "Console"
	SteamID64 uint64 // 0 when SteamID is none
	Team      string
	Bot       bool
}

// Event is one parsed log line.
type Event struct {
	Type    EventType
	Time    time.Time // the line's timestamp, in the server's (assumed local) zone
	Message string    // the line after "L <time>: "

	Player   LogPlayer // player events
	Address  string    // connect: the client's address; rcon: the sender's
	Reason   string    // disconnect
	Text     string    // chat: the message; rcon: the command
	TeamOnly bool      // chat: say_team
	Team     string    // team: the team joined
	Map      string    // map_loading, map_started
	BadAuth  bool      // rcon: "Bad Password"
	Cvar     string    // cvar
	Value    string    // cvar
}

// ErrNotLogLine says the bytes are not a srcds log line.
var ErrNotLogLine = errors.New("not a srcds log line")

const logTimeLayout = "01/02/2006 - 15:04:05"

var logHeader = []byte{0xFF, 0xFF, 0xFF, 0xFF}

// ParseLogPacket validates a UDP log packet (docs/srcds.md §4) and parses its
// line: FF FF FF FF, then 'R' and the line, or 'S', the secret and the line.
// When secret is non-empty (and not "0", the engine's "no secret"), only an
// 'S' packet carrying exactly that secret is accepted.
func ParseLogPacket(pkt []byte, secret string) (Event, error) {
	if len(pkt) < 6 || !bytes.Equal(pkt[:4], logHeader) {
		return Event{}, fmt.Errorf("log packet: %w: bad header", ErrNotLogLine)
	}
	needSecret := secret != "" && secret != "0"
	switch pkt[4] {
	case 'R':
		if needSecret {
			return Event{}, errors.New("log packet: no secret, one is required")
		}
		return ParseLogLine(pkt[5:])
	case 'S':
		rest := pkt[5:]
		if !needSecret {
			return Event{}, errors.New("log packet: carries a secret, none is configured")
		}
		if !bytes.HasPrefix(rest, []byte(secret)) || !bytes.HasPrefix(rest[len(secret):], []byte("L ")) {
			return Event{}, errors.New("log packet: wrong secret")
		}
		return ParseLogLine(rest[len(secret):])
	}
	return Event{}, fmt.Errorf("log packet: %w: type %q", ErrNotLogLine, pkt[4])
}

var lineStart = regexp.MustCompile(`L \d\d/\d\d/\d{4} - \d\d:\d\d:\d\d: `)

// ParseLogLine parses one log line, "L MM/DD/YYYY - HH:MM:SS: message",
// with or without the trailing "\n\0". It also takes a whole 'R' packet; of
// an 'S' packet it skips the unknown secret (use ParseLogPacket to check it).
func ParseLogLine(b []byte) (Event, error) {
	if bytes.HasPrefix(b, logHeader) && len(b) > 4 {
		switch b[4] {
		case 'R':
			b = b[5:]
		case 'S':
			loc := lineStart.FindIndex(b[5:])
			if loc == nil {
				return Event{}, fmt.Errorf("parse log line: %w", ErrNotLogLine)
			}
			b = b[5+loc[0]:]
		}
	}
	b = bytes.TrimRight(b, "\x00\r\n")
	const prefixLen = len("L 01/02/2006 - 15:04:05: ")
	if len(b) < prefixLen || b[0] != 'L' || b[1] != ' ' || b[prefixLen-2] != ':' || b[prefixLen-1] != ' ' {
		return Event{}, fmt.Errorf("parse log line: %w", ErrNotLogLine)
	}
	ts, err := time.ParseInLocation(logTimeLayout, string(b[2:prefixLen-2]), time.Local)
	if err != nil {
		return Event{}, fmt.Errorf("parse log line: %w: timestamp: %v", ErrNotLogLine, err)
	}
	ev := Event{Type: EventOther, Time: ts, Message: string(b[prefixLen:])}
	classify(&ev)
	return ev, nil
}

// classify fills in the type and fields from ev.Message.
func classify(ev *Event) {
	m := ev.Message
	if strings.HasPrefix(m, `"`) {
		if p, verb, ok := splitPlayer(m); ok {
			ev.Player = p
			classifyPlayer(ev, verb)
			return
		}
	}
	switch {
	case strings.HasPrefix(m, "Loading map "):
		if v, ok := quoted(strings.TrimPrefix(m, "Loading map ")); ok {
			ev.Type, ev.Map = EventMapLoading, v
		}
	case strings.HasPrefix(m, "Started map "):
		if v, ok := quoted(strings.TrimPrefix(m, "Started map ")); ok {
			ev.Type, ev.Map = EventMapStarted, v
		}
	case strings.HasPrefix(m, "rcon from "):
		if addr, cmd, bad, ok := parseRCONLog(m); ok {
			ev.Type, ev.Address, ev.Text, ev.BadAuth = EventRCON, addr, cmd, bad
		}
	case strings.HasPrefix(m, "server_cvar: "):
		rest := strings.TrimPrefix(m, "server_cvar: ")
		name, ok := quoted(rest)
		if !ok {
			return
		}
		val, ok := quoted(strings.TrimSpace(rest[len(name)+2:]))
		if ok {
			ev.Type, ev.Cvar, ev.Value = EventCvar, name, val
		}
	case strings.HasPrefix(m, "Log file started"):
		ev.Type = EventLogStarted
	case strings.HasPrefix(m, "Log file closed"):
		ev.Type = EventLogClosed
	}
}

func classifyPlayer(ev *Event, verb string) {
	switch {
	case strings.HasPrefix(verb, "connected, address "):
		if v, ok := quoted(strings.TrimPrefix(verb, "connected, address ")); ok {
			ev.Type, ev.Address = EventConnect, v
		}
	case verb == "STEAM USERID validated":
		ev.Type = EventValidated
	case verb == "entered the game":
		ev.Type = EventEntered
	case strings.HasPrefix(verb, "disconnected"):
		ev.Type = EventDisconnect
		rest := strings.TrimSpace(strings.TrimPrefix(verb, "disconnected"))
		if r, ok := strings.CutPrefix(rest, "(reason "); ok {
			r = strings.TrimSuffix(r, ")")
			if len(r) >= 2 && r[0] == '"' && r[len(r)-1] == '"' {
				r = r[1 : len(r)-1]
			}
			ev.Reason = r
		}
	case strings.HasPrefix(verb, "say_team "), strings.HasPrefix(verb, "say "):
		team := strings.HasPrefix(verb, "say_team ")
		text := strings.TrimPrefix(strings.TrimPrefix(verb, "say_team "), "say ")
		// The message runs to the last quote: it may itself hold quotes.
		if len(text) >= 2 && text[0] == '"' {
			if j := strings.LastIndexByte(text, '"'); j > 0 {
				ev.Type, ev.Text, ev.TeamOnly = EventChat, text[1:j], team
			}
		}
	case strings.HasPrefix(verb, "joined team "):
		if v, ok := quoted(strings.TrimPrefix(verb, "joined team ")); ok {
			ev.Type, ev.Team = EventTeam, v
		}
	}
}

// splitPlayer reads `"Name<uid><steamid><team>" verb...`. The name may hold
// any characters, so each `>" ` is tried until the part before it reads as
// a player.
func splitPlayer(m string) (LogPlayer, string, bool) {
	from := 1
	for {
		k := strings.Index(m[from:], `>" `)
		if k < 0 {
			return LogPlayer{}, "", false
		}
		k += from
		if p, ok := parsePlayerIdent(m[1 : k+1]); ok {
			return p, m[k+3:], true
		}
		from = k + 1
	}
}

// parsePlayerIdent parses `Name<uid><steamid><team>` from the right.
func parsePlayerIdent(s string) (LogPlayer, bool) {
	var groups [3]string
	for i := 2; i >= 0; i-- {
		if !strings.HasSuffix(s, ">") {
			return LogPlayer{}, false
		}
		j := strings.LastIndexByte(s, '<')
		if j < 0 {
			return LogPlayer{}, false
		}
		groups[i] = s[j+1 : len(s)-1]
		s = s[:j]
	}
	uid, err := strconv.Atoi(groups[0])
	if err != nil {
		return LogPlayer{}, false
	}
	p := LogPlayer{Name: s, UserID: uid, SteamID: groups[1], Team: groups[2], Bot: groups[1] == "BOT"}
	if id, err := SteamID64(p.SteamID); err == nil {
		p.SteamID64 = id
	}
	return p, true
}

// quoted returns the text between s's leading quote and the next quote.
func quoted(s string) (string, bool) {
	if !strings.HasPrefix(s, `"`) {
		return "", false
	}
	j := strings.IndexByte(s[1:], '"')
	if j < 0 {
		return "", false
	}
	return s[1 : 1+j], true
}

// parseRCONLog reads `rcon from "ADDR": command "CMD"` and
// `rcon from "ADDR": Bad Password`.
func parseRCONLog(m string) (addr, cmd string, bad, ok bool) {
	rest, found := strings.CutPrefix(m, "rcon from ")
	if !found {
		return "", "", false, false
	}
	addr, ok = quoted(rest)
	if !ok {
		return "", "", false, false
	}
	rest = strings.TrimSpace(strings.TrimPrefix(rest[len(addr)+2:], ":"))
	switch {
	case strings.HasPrefix(rest, "command "):
		c := strings.TrimPrefix(rest, "command ")
		if len(c) >= 2 && c[0] == '"' && c[len(c)-1] == '"' {
			return addr, c[1 : len(c)-1], false, true
		}
	case strings.HasPrefix(rest, "Bad Password"):
		return addr, "", true, true
	}
	return "", "", false, false
}

// IsPollCommand reports whether cmd is one the panel sends by itself, on a
// timer, rather than for a person: the live-state poller's "status"
// (internal/live). The server logs each one (docs/srcds.md §8 "Log files"),
// every few seconds per instance.
func IsPollCommand(cmd string) bool {
	switch strings.ToLower(strings.TrimSpace(cmd)) {
	case "status":
		return true
	}
	return false
}

// IsPollNoise reports whether a console or log line is the server's record
// of one of the panel's own polls, `rcon from "ADDR": command "status"`
// (see IsPollCommand), with or without the log line's "L MM/DD/YYYY -
// HH:MM:SS: " prefix (the console shows it bare while logging is off).
// The events feed and the panel's console view both drop these lines.
func IsPollNoise(line string) bool {
	m := strings.TrimRight(line, "\x00\r\n")
	if loc := lineStart.FindStringIndex(m); loc != nil && loc[0] == 0 {
		m = m[loc[1]:]
	}
	_, cmd, bad, ok := parseRCONLog(m)
	return ok && !bad && IsPollCommand(cmd)
}
