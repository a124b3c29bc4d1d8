package fakesrcds

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// cvar is one console variable. Every name assigned by a cfg, the command
// line or RCON becomes a cvar, whether or not the real engine knows it: the
// stand-in has no game code to register them, and left4me's tests only care
// that a value set by some executed cfg can be read back.
type cvar struct {
	name  string
	value string
	def   string
	flags []string // as ConVar_PrintFlags names them: "game", "notify", "replicated", ...
	help  string
}

// knownCvars are the variables the stand-in registers at start, with the
// engine's defaults. Help texts are the stand-in's own short wording.
var knownCvars = []cvar{
	{name: "hostname", def: "Left 4 Dead 2", help: "Hostname for server."},
	{name: "mp_gamemode", def: "coop", flags: []string{"game", "notify", "replicated"}, help: "Current game mode (coop, realism, versus, survival, scavenge)."},
	{name: "z_difficulty", def: "Normal", flags: []string{"game", "replicated"}, help: "Difficulty of the current game (Easy, Normal, Hard, Impossible)."},
	{name: "sv_cheats", def: "0", flags: []string{"notify", "replicated"}, help: "Allow cheats on server."},
	{name: "sv_alltalk", def: "0", flags: []string{"game", "notify", "replicated"}, help: "Players can hear all other players, no team restrictions."},
	{name: "sv_gametypes", def: "coop,realism,survival,versus,scavenge", flags: []string{"game"}, help: "Game types the server advertises."},
	{name: "sv_tags", def: "", flags: []string{"notify"}, help: "Server tags for the server browser."},
	{name: "sv_password", def: "", flags: []string{"notify", "protected", "dontrecord"}, help: "Server password for entry into multiplayer games."},
	{name: "sv_lan", def: "0", help: "Server is a LAN server."},
	{name: "sv_region", def: "-1", help: "Region the server is in."},
	{name: "sv_consistency", def: "1", flags: []string{"replicated"}, help: "Whether the server enforces file consistency."},
	{name: "sv_logecho", def: "1", help: "Echo log information to the console."},
	{name: "sv_logfile", def: "1", help: "Log server information in the log file."},
	{name: "sv_log_onefile", def: "0", help: "Log server information to only one file."},
	{name: "sv_logsecret", def: "0", help: "If set, include this secret in UDP log packets (type 'S' instead of 'R')."},
	{name: "sv_contact", def: "", flags: []string{"notify"}, help: "Contact email for the server sysop."},
	{name: "rcon_password", def: "", flags: []string{"dontrecord"}, help: "Remote console password."},
	{name: "sv_rcon_maxfailures", def: "5", help: "Failed RCON auths from one address before it is banned."},
	{name: "sv_max_queries_sec", def: "3.0", help: "Maximum queries per second to respond to from a single IP address."},
	{name: "sv_max_queries_window", def: "30", help: "Window over which to average queries per second averages."},
	{name: "sv_max_queries_sec_global", def: "3000", help: "Maximum queries per second to respond to from anywhere."},
	{name: "sv_rcon_banpenalty", def: "0", help: "Minutes an address stays banned after too many failed RCON auths (0: until restart)."},
	{name: cvarHibernate, def: "1", help: "Hibernate (no bots, no simulation) while no human is connected."},
	{name: "servercfgfile", def: "server.cfg", help: "Config file executed at each map start."},
	{name: "motd_enabled", def: "1", flags: []string{"game"}, help: "Show the message of the day."},
	{name: "sv_steamgroup", def: "", flags: []string{"notify"}, help: "Steam group ids for the server browser."},
	{name: "mp_disable_autokick", def: "0", flags: []string{"game"}, help: "Prevents the server from kicking idle players."},
	// The stand-in's own knobs (see package doc).
	{name: cvarPlayers, def: "0", help: "fakesrcds: number of simulated human players."},
	{name: cvarBots, def: "0", help: "fakesrcds: number of simulated bots."},
	{name: cvarJoinInterval, def: "0", help: "fakesrcds: seconds between simulated players joining (0: all at once)."},
	{name: cvarChatInterval, def: "0", help: "fakesrcds: seconds between lines the simulated humans say, in turn (0: none)."},
	{name: cvarCrash, def: "0", help: "fakesrcds: when 1 after a map's server.cfg ran, exit with status 1 (a crash on start)."},
	{name: cvarAllowLoopbackLog, def: "0", help: "fakesrcds: when 1, send UDP logs to 127.0.0.0/8 too (the engine drops them)."},
}

// Names of the stand-in's own cvars.
const (
	cvarPlayers          = "fakesrcds_players"
	cvarBots             = "fakesrcds_bots"
	cvarJoinInterval     = "fakesrcds_join_interval"
	cvarCrash            = "fakesrcds_crash"
	cvarAllowLoopbackLog = "fakesrcds_allow_loopback_log"
	// cvarHibernate is the engine's; the stand-in reacts to changes of it.
	cvarHibernate = "sv_hibernate_when_empty"
)

// cvarSet is the server's console variables by lower-case name.
type cvarSet map[string]*cvar

func newCvarSet() cvarSet {
	s := make(cvarSet, len(knownCvars))
	for _, k := range knownCvars {
		c := k
		c.value = c.def
		s[strings.ToLower(c.name)] = &c
	}
	return s
}

func (s cvarSet) get(name string) (*cvar, bool) {
	c, ok := s[strings.ToLower(name)]
	return c, ok
}

// str returns a cvar's value, or "" when it does not exist.
func (s cvarSet) str(name string) string {
	if c, ok := s.get(name); ok {
		return c.value
	}
	return ""
}

// int returns a cvar's value parsed like the engine's atoi: leading
// digits count, anything unparsable is 0.
func (s cvarSet) int(name string) int {
	return atoi(s.str(name))
}

// float returns a cvar's value parsed like atof.
func (s cvarSet) float(name string) float64 {
	v := strings.TrimSpace(s.str(name))
	for len(v) > 0 {
		if f, err := strconv.ParseFloat(v, 64); err == nil {
			return f
		}
		v = v[:len(v)-1]
	}
	return 0
}

// set assigns a value, creating the cvar (default "") when unknown.
func (s cvarSet) set(name, value string) *cvar {
	c, ok := s.get(name)
	if !ok {
		c = &cvar{name: name}
		s[strings.ToLower(name)] = c
	}
	c.value = value
	return c
}

// sorted returns all cvars ordered by name.
func (s cvarSet) sorted() []*cvar {
	out := make([]*cvar, 0, len(s))
	for _, c := range s {
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out
}

// describe renders a cvar the way the engine answers its bare name
// (tier1 ConVar_PrintDescription in the Left 4 Dead / Orange Box engine):
//
//	"mp_gamemode" = "versus" ( def. "coop" )
//	 game notify replicated
//	 - Current game mode ...
//
// The "( def. ... )" part appears only when the value differs (case
// insensitively) from the default; the flags line only when there are flags;
// the help line only when there is help text.
func (c *cvar) describe() string {
	var b strings.Builder
	// NOTE: the engine prints raw bytes between the quotes (printf "%s"),
	// so Go's %q, which escapes, would be wrong here.
	fmt.Fprintf(&b, "\"%s\" = \"%s\"", c.name, c.value)
	if !strings.EqualFold(c.value, c.def) {
		fmt.Fprintf(&b, " ( def. \"%s\" )", c.def)
	}
	b.WriteString("\n")
	if len(c.flags) > 0 {
		b.WriteString(" " + strings.Join(c.flags, " ") + "\n")
	}
	if c.help != "" {
		b.WriteString(" - " + c.help + "\n")
	}
	return b.String()
}

func (c *cvar) hasFlag(f string) bool {
	for _, x := range c.flags {
		if x == f {
			return true
		}
	}
	return false
}

// atoi parses leading decimal digits (with an optional sign) like C's atoi.
func atoi(s string) int {
	s = strings.TrimSpace(s)
	end := 0
	for end < len(s) && (s[end] >= '0' && s[end] <= '9' || end == 0 && (s[end] == '-' || s[end] == '+')) {
		end++
	}
	n, err := strconv.Atoi(s[:end])
	if err != nil {
		return 0
	}
	return n
}
