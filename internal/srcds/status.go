package srcds

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Status is the parsed output of the "status" command.
type Status struct {
	Hostname    string
	Version     string // "2.2.4.3 9215 secure  (unknown)" as printed
	Map         string
	Humans      int
	Bots        int
	MaxPlayers  int
	Hibernating bool
	Players     []StatusPlayer // humans and bots, in the order printed
}

// StatusPlayer is one row of the status player table.
type StatusPlayer struct {
	UserID    int
	Slot      int // 0 for bots (their rows have no slot column)
	Name      string
	UniqueID  string // STEAM_1:Y:Z, [U:1:N], or "BOT"
	SteamID64 uint64 // 0 when UniqueID is not a SteamID (bots)
	Bot       bool
	Connected time.Duration // whole seconds; 0 for bots
	Ping      int
	Loss      int
	State     string // active, spawning, connecting, challenging
	Rate      int
	Addr      string // ip:port; empty when not shown
}

// ErrNotStatus says the text is no status output (no hostname, map or
// players line).
var ErrNotStatus = errors.New("not status output")

var playersLine = regexp.MustCompile(`^(\d+) humans?, (\d+) bots? \((\d+)(?:/\d+)? max\)`)

// ParseStatus parses "status" output as srcds prints it (docs/srcds.md §3):
//
//	hostname: My Server
//	map     : c1m1_hotel at: 0 x, 0 y, 0 z
//	players : 1 humans, 0 bots (8 max) (not hibernating)
//
//	# userid name uniqueid connected ping loss state rate adr
//	#  2 1 "Player" STEAM_1:0:123456 00:12 50 0 active 30000 203.0.113.7:27005
//	# 3 "Coach" BOT active
//	#end
//
// Lines it does not know (udp/ip, os, log lines echoed into the reply) are
// skipped, and so is a player row it cannot read; text with none of the
// hostname, map and players lines is ErrNotStatus.
func ParseStatus(text string) (Status, error) {
	var st Status
	seen := false
	for _, raw := range strings.Split(text, "\n") {
		line := strings.TrimRight(raw, "\r")
		if strings.HasPrefix(line, "#") {
			switch {
			case strings.HasPrefix(line, "#end"):
			case strings.Contains(line, "userid") && strings.Contains(line, "uniqueid"):
			default:
				if p, ok := parseStatusRow(line); ok {
					st.Players = append(st.Players, p)
				}
			}
			continue
		}
		key, val, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		val = strings.TrimSpace(val)
		switch strings.TrimSpace(key) {
		case "hostname":
			st.Hostname, seen = val, true
		case "version":
			st.Version = val
		case "map":
			if f := strings.Fields(val); len(f) > 0 {
				st.Map = f[0]
			}
			seen = true
		case "players":
			m := playersLine.FindStringSubmatch(val)
			if m == nil {
				continue
			}
			st.Humans, _ = strconv.Atoi(m[1])
			st.Bots, _ = strconv.Atoi(m[2])
			st.MaxPlayers, _ = strconv.Atoi(m[3])
			st.Hibernating = strings.Contains(val, "(hibernating)")
			seen = true
		}
	}
	if !seen {
		return Status{}, fmt.Errorf("parse status: %w", ErrNotStatus)
	}
	return st, nil
}

// parseStatusRow reads a player row. Humans:
// "# %2d %d \"name\" uniqueid connected ping loss state rate [adr]";
// bots: "#%2d \"name\" BOT active". The name may hold quotes and spaces, so
// it runs from the first to the last double quote.
func parseStatusRow(line string) (StatusPlayer, bool) {
	s := line[1:]
	q1 := strings.IndexByte(s, '"')
	q2 := strings.LastIndexByte(s, '"')
	if q1 < 0 || q2 <= q1 {
		return StatusPlayer{}, false
	}
	var p StatusPlayer
	pre := strings.Fields(s[:q1])
	if len(pre) < 1 || len(pre) > 2 {
		return StatusPlayer{}, false
	}
	var err error
	if p.UserID, err = strconv.Atoi(pre[0]); err != nil {
		return StatusPlayer{}, false
	}
	if len(pre) == 2 {
		if p.Slot, err = strconv.Atoi(pre[1]); err != nil {
			return StatusPlayer{}, false
		}
	}
	p.Name = s[q1+1 : q2]
	post := strings.Fields(s[q2+1:])
	if len(post) == 0 {
		return StatusPlayer{}, false
	}
	p.UniqueID = post[0]
	if post[0] == "BOT" {
		p.Bot = true
		if len(post) > 1 {
			p.State = post[1]
		}
		return p, true
	}
	if len(post) < 6 {
		return StatusPlayer{}, false
	}
	if id, err := SteamID64(p.UniqueID); err == nil {
		p.SteamID64 = id
	}
	if p.Connected, err = parseConnected(post[1]); err != nil {
		return StatusPlayer{}, false
	}
	if p.Ping, err = strconv.Atoi(post[2]); err != nil {
		return StatusPlayer{}, false
	}
	if p.Loss, err = strconv.Atoi(post[3]); err != nil {
		return StatusPlayer{}, false
	}
	p.State = post[4]
	if p.Rate, err = strconv.Atoi(post[5]); err != nil {
		return StatusPlayer{}, false
	}
	if len(post) > 6 {
		p.Addr = post[6]
	}
	return p, true
}

// parseConnected reads "MM:SS" or "H:MM:SS".
func parseConnected(s string) (time.Duration, error) {
	parts := strings.Split(s, ":")
	if len(parts) < 2 || len(parts) > 3 {
		return 0, fmt.Errorf("connected time %q", s)
	}
	total := 0
	for _, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil || n < 0 || n > 1<<20 {
			return 0, fmt.Errorf("connected time %q", s)
		}
		total = total*60 + n
	}
	return time.Duration(total) * time.Second, nil
}
