package instance

import (
	"fmt"
	"strings"
)

// LaunchCfgName is the cfg left4me stages into upper as
// left4dead2/cfg/LaunchCfgName; the unit (and the demo's supervisor) run it
// once at launch with "+exec left4me_launch.cfg" on the command line.
const LaunchCfgName = "left4me_launch.cfg"

// launchCfg is what left4me sets once per launch: the RCON password and
// the UDP log destination.
//
// NOTE: setting rcon_password, even to the same value, closes every RCON
// connection, and server.cfg runs at every map start (docs/srcds.md §8):
// a password set there would drop the panel's connection at each chapter
// change. So it is set here, once, and not in server.cfg. That the real
// engine runs a command-line +exec once, before the first map's server.cfg,
// is unverified (srcds-based panels use +exec on the command line; the
// stand-in runs + commands in order before the first map).
func (s *Service) launchCfg(rconPassword string) string {
	var b strings.Builder
	b.WriteString("// written by left4me at every start and run once at launch (+exec " + LaunchCfgName + ");\n")
	b.WriteString("// edit the settings in left4me, not here\n")
	fmt.Fprintf(&b, "rcon_password \"%s\"\n", rconPassword)
	// Logging is on even without a UDP listener: with sv_logecho 1 the log
	// lines reach the console, where the events feed reads them
	// (docs/srcds.md §8 "UDP logs").
	b.WriteString("log on\n")
	b.WriteString("exec " + BansCfgName + "\n") // bancfg.go
	if s.cfg.LogAddress != "" {
		fmt.Fprintf(&b, "logaddress_add %s\n", s.cfg.LogAddress)
	}
	return b.String()
}

// rconPasswordNote replaces an operator's rcon_password line when
// server.cfg is staged.
const rconPasswordNote = "// left4me: rcon_password is set once at launch (" + LaunchCfgName + "); set here it would close the panel's RCON connection at every map change:"

// neutraliseRCONPassword comments out every line of an operator's
// server.cfg that sets rcon_password, with a note saying why.
func neutraliseRCONPassword(text string) string {
	lines := strings.SplitAfter(text, "\n")
	for i, line := range lines {
		if setsRCONPassword(line) {
			body := strings.TrimRight(line, "\r\n")
			lines[i] = rconPasswordNote + "\n// " + body + line[len(body):]
		}
	}
	return strings.Join(lines, "")
}

// CfgWarnings lists what left4me changes in a server.cfg when it stages it,
// one message per affected line, for the cfg editor, the API and the CLI.
func CfgWarnings(text string) []string {
	var out []string
	for i, line := range strings.Split(text, "\n") {
		if setsRCONPassword(line) {
			out = append(out, fmt.Sprintf("server.cfg line %d sets rcon_password: left4me comments it out when the server starts and sets the RCON password once at launch (set in server.cfg it would close the panel's RCON connection at every map change)", i+1))
		}
	}
	return out
}

// setsRCONPassword reports whether a cfg line assigns rcon_password in one
// of its commands (';' separates commands outside quotes, "//" starts a
// comment). A bare "rcon_password" only prints the value and is left alone.
func setsRCONPassword(line string) bool {
	for _, cmd := range splitCfgCommands(line) {
		f := strings.Fields(cmd)
		if len(f) >= 2 && strings.EqualFold(strings.Trim(f[0], `"`), "rcon_password") {
			return true
		}
	}
	return false
}

// splitCfgCommands cuts one cfg line into its commands the way the
// engine's command buffer does.
func splitCfgCommands(line string) []string {
	var out []string
	var cur strings.Builder
	inQuote := false
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case c == '"':
			inQuote = !inQuote
			cur.WriteByte(c)
		case !inQuote && c == ';':
			out = append(out, cur.String())
			cur.Reset()
		case !inQuote && c == '/' && i+1 < len(line) && line[i+1] == '/':
			return append(out, cur.String())
		case c == '\n' || c == '\r':
		default:
			cur.WriteByte(c)
		}
	}
	return append(out, cur.String())
}
