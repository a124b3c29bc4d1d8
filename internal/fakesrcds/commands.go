package fakesrcds

import (
	"fmt"
	"io"
	"net"
	"net/netip"
	"strconv"
	"strings"
)

// execLocked runs console text (one or more commands).
func (s *Server) execLocked(text string, out io.Writer) {
	for _, c := range splitCommands(text) {
		s.runLocked(c, out, 0)
	}
}

// runLocked runs one command: a built-in command, or a cvar query/assignment.
func (s *Server) runLocked(c command, out io.Writer, depth int) {
	name := strings.ToLower(c.name())
	switch name {
	case "exec":
		if len(c.args) < 2 {
			s.reply(out, "exec <filename>: execute a script file")
			return
		}
		s.execFileLocked(c.args[1], out, depth)
	case "echo":
		s.reply(out, "%s", c.argS)
	case "status":
		s.reply(out, "%s", s.statusLocked())
	case "changelevel", "map":
		if len(c.args) < 2 {
			s.reply(out, "%s <mapname>", name)
			return
		}
		if !s.mapExists(c.args[1]) {
			// The engine's words (docs/srcds.md §9).
			if name == "map" {
				s.reply(out, "map load failed: %s not found or invalid", c.args[1])
			} else {
				s.reply(out, "changelevel failed: %s not found", c.args[1])
			}
			return
		}
		if len(c.args) > 2 && name == "map" {
			s.cvars.set("mp_gamemode", c.args[2])
		}
		s.beginMapLoadLocked(c.args[1])
	case "say":
		if c.argS == "" {
			return
		}
		text := stripSayQuotes(c.argS)
		s.out.printf("Console: %s", text)
		s.logLocked(fmt.Sprintf(`"Console<0><Console><Console>" say "%s"`, text))
	case "log":
		s.cmdLog(c, out)
	case "logaddress_add":
		s.cmdLogAddressAdd(c, out)
	case "logaddress_del":
		s.cmdLogAddressDel(c, out)
	case "logaddress_delall":
		s.logDests = nil
		s.reply(out, "logaddress_delall:  all addresses cleared")
	case "logaddress_list":
		if len(s.logDests) == 0 {
			s.reply(out, "logaddress_list:  no addresses in the list")
			return
		}
		s.reply(out, "logaddress_list: %d entries", len(s.logDests))
		for _, d := range s.logDests {
			s.reply(out, "%s", d)
		}
	case "cvarlist":
		s.cmdCvarlist(c, out)
	case "version":
		s.reply(out, "Protocol version 2\nExe version %s (left4dead2)\nExe build: %s", GameVersion, BuildID)
	case "users":
		s.reply(out, "<slot:userid:\"name\">")
		for _, p := range s.players {
			s.reply(out, "%d:%d:\"%s\"", p.slot-1, p.userID, p.name)
		}
		s.reply(out, "%d users", len(s.players))
	case "kick":
		s.cmdKick(c, out)
	case "kickid":
		s.cmdKickID(c, out)
	case "banid":
		s.cmdBanID(c, out)
	case "removeid":
		s.cmdRemoveID(c, out)
	case "listid":
		s.cmdListID(out)
	case "writeid":
		s.cmdWriteID(out)
	case "fakesrcds_join":
		s.cmdJoin(c, out)
	case "quit", "exit", "_restart":
		s.out.printf("Quitting on command %q", name)
		go s.requestStop()
	case "fakesrcds_chat":
		// fakesrcds_chat USERID TEXT: a simulated player says TEXT (say_team
		// when TEXT starts with "(team)").
		if len(c.args) < 3 {
			s.reply(out, "fakesrcds_chat <userid> <text>")
			return
		}
		uid, _ := strconv.Atoi(c.args[1])
		p := s.playerByUserID(uid)
		if p == nil {
			s.reply(out, "fakesrcds_chat: no player with userid %d", uid)
			return
		}
		text := stripSayQuotes(strings.TrimSpace(strings.TrimPrefix(c.argS, c.args[1])))
		t, team := cutTeam(text)
		s.sayLocked(p, strings.TrimSpace(t), team)
	default:
		s.cvarCommandLocked(c, out)
	}
}

// cvarCommandLocked handles "name" (describe) and "name value" (assign).
func (s *Server) cvarCommandLocked(c command, out io.Writer) {
	name := c.name()
	cv, ok := s.cvars.get(name)
	if len(c.args) == 1 {
		if !ok {
			s.reply(out, "Unknown command \"%s\"", name)
			return
		}
		s.reply(out, "%s", strings.TrimSuffix(cv.describe(), "\n"))
		return
	}
	value := c.cvarValue()
	old := ""
	if ok {
		old = cv.value
	}
	cv = s.cvars.set(name, value)
	if cv.hasFlag("notify") && old != value {
		s.logLocked(fmt.Sprintf("server_cvar: \"%s\" \"%s\"", cv.name, value))
	}
	switch strings.ToLower(name) {
	case "rcon_password":
		// Setting it, even to the same value, closes every RCON
		// connection (docs/srcds.md §8; rconguard.go).
		s.rconCloseAllLocked()
	case cvarPlayers, cvarBots, cvarJoinInterval, cvarHibernate, cvarChatInterval:
		s.reconcilePlayersLocked()
	case cvarAllowLoopbackLog:
		s.allowLB = atoi(value) != 0
	}
}

func (s *Server) cmdLog(c command, out io.Writer) {
	if len(c.args) < 2 {
		state := "off"
		if s.logging {
			state = "on"
		}
		s.reply(out, "Usage:  log < on | off >\ncurrently logging: %s", state)
		return
	}
	switch strings.ToLower(c.args[1]) {
	case "on", "1":
		// Every "log on" starts a new file, also when logging is on.
		s.logging = true
		s.reply(out, "Server logging enabled.")
		s.startLogFileLocked()
	case "off", "0":
		s.stopLogFileLocked()
		s.logging = false
		s.reply(out, "Server logging disabled.")
	default:
		s.reply(out, "log:  unknown parameter %s, 'on' and 'off' are valid", c.args[1])
	}
}

// parseLogAddress reads "HOST:PORT"; the engine's tokenizer splits on ':'
// so its argument string is taken whole.
func parseLogAddress(c command) (netip.AddrPort, error) {
	arg := strings.ReplaceAll(strings.Trim(c.argS, `"`), " ", "")
	ap, err := netip.ParseAddrPort(arg)
	if err != nil {
		// Like the engine, accept a host name and resolve it once.
		ua, rerr := net.ResolveUDPAddr("udp4", arg)
		if rerr != nil {
			return netip.AddrPort{}, err
		}
		ap = ua.AddrPort()
	}
	return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port()), nil
}

func (s *Server) cmdLogAddressAdd(c command, out io.Writer) {
	if len(c.args) < 2 {
		s.reply(out, "logaddress_add:  usage\nlogaddress_add ip:port")
		return
	}
	ap, err := parseLogAddress(c)
	if err != nil || ap.Port() == 0 {
		s.reply(out, "logaddress_add:  unparseable address")
		return
	}
	for _, d := range s.logDests {
		if d == ap {
			s.reply(out, "logaddress_add:  %s is already in the list", ap)
			return
		}
	}
	s.logDests = append(s.logDests, ap)
	s.reply(out, "logaddress_add:  %s", ap)
}

func (s *Server) cmdLogAddressDel(c command, out io.Writer) {
	if len(c.args) < 2 {
		s.reply(out, "logaddress_del:  usage\nlogaddress_del ip:port")
		return
	}
	ap, err := parseLogAddress(c)
	if err != nil {
		s.reply(out, "logaddress_del:  unparseable address")
		return
	}
	for i, d := range s.logDests {
		if d == ap {
			s.logDests = append(s.logDests[:i], s.logDests[i+1:]...)
			s.reply(out, "logaddress_del:  %s", ap)
			return
		}
	}
	s.reply(out, "logaddress_del:  address %s not found in the list", ap)
}

func (s *Server) cmdCvarlist(c command, out io.Writer) {
	prefix := ""
	if len(c.args) > 1 {
		prefix = strings.ToLower(c.args[1])
	}
	s.reply(out, "cvar list\n--------------")
	n := 0
	for _, cv := range s.cvars.sorted() {
		if !strings.HasPrefix(strings.ToLower(cv.name), prefix) {
			continue
		}
		n++
		s.reply(out, "%-40s : %-8s : %-16s : %s", cv.name, cv.value, ", "+strings.Join(cv.flags, ", "), cv.help)
	}
	s.reply(out, "--------------\n%d convars/concommands for [%s]", n, prefix)
}

func (s *Server) cmdKick(c command, out io.Writer) {
	if len(c.args) < 2 {
		s.reply(out, "Usage:  %s < name | userid >", c.name())
		return
	}
	var target *player
	if uid, err := strconv.Atoi(c.args[1]); err == nil {
		target = s.playerByUserID(uid)
	}
	for _, p := range s.players {
		if target == nil && strings.EqualFold(p.name, c.args[1]) {
			target = p
		}
	}
	if target == nil {
		s.reply(out, "Can't kick %s, no such player", c.args[1])
		return
	}
	s.removePlayerLocked(target, "Kicked by Console")
}

// stripSayQuotes removes the quotes around a say text as the engine does:
// only when the text starts with one, and then the first and last byte.
func stripSayQuotes(s string) string {
	if len(s) >= 2 && s[0] == '"' && s[len(s)-1] == '"' {
		return s[1 : len(s)-1]
	}
	return s
}
