package fakesrcds

import (
	"fmt"
	"strconv"
	"strings"
)

// Options is what a srcds command line says, as far as the stand-in cares.
type Options struct {
	Game       string // -game (default "left4dead2"): the mod directory under the working directory
	IP         string // +ip (default "0.0.0.0")
	Port       int    // +hostport or -port (default 27015; 0 picks a free port for UDP and TCP alike)
	Map        string // +map (default "c1m1_hotel")
	MaxPlayers int    // +maxplayers or -maxplayers (default 8)
	Tickrate   int    // -tickrate (default 30); accepted and shown, not simulated
	// StrictPortBind (-strictportbind) fails when the port is taken instead
	// of moving to the next free one, as srcds does without it.
	StrictPortBind bool
	// ClientPort (+clientport) is where the client socket's search starts;
	// 0 means the engine's default (27005, or any port when Port is 0).
	ClientPort int
	// TVPort (+tv_port) is where the SourceTV (HLTV) socket's search
	// starts; 0 means the engine's default (27020, or any port when Port
	// is 0).
	TVPort int
	// NoHLTV (-nohltv) opens no SourceTV socket.
	NoHLTV bool

	// Commands are the other "+name args" pairs as console text, executed
	// before the first map's server.cfg (so a cfg overrides them, as in srcds).
	Commands []string

	// Stand-in switches, none of which the engine has.
	FakeCrash        bool // -fakecrash: exit with status 1 right after start-up output
	FakePlayers      int  // -fakeplayers N: sets fakesrcds_players
	FakeBots         int  // -fakebots N: sets fakesrcds_bots
	AllowLoopbackLog bool // -allowloopbacklog: sets fakesrcds_allow_loopback_log 1
	// A2SLoopback (-a2sloopback) answers A2S queries from 127.0.0.0/8 and
	// ::1, which the real server ignores (docs/srcds.md §8); only for tests
	// that need the old kindness.
	A2SLoopback bool
	// FakeMapLoad (-fakemapload SECONDS, default 3, 0 disables) is how long
	// a changelevel or map leaves the server answering neither A2S nor RCON,
	// as a real chapter load does (10–30 s, unverified in detail).
	FakeMapLoad float64
}

// DefaultFakeMapLoad is the default length of a simulated map load in
// seconds (-fakemapload).
const DefaultFakeMapLoad = 3

// DefaultOptions are srcds's defaults for everything the stand-in models.
func DefaultOptions() Options {
	return Options{Game: "left4dead2", IP: "0.0.0.0", Port: 27015, Map: "c1m1_hotel", MaxPlayers: 8, Tickrate: 30, FakeMapLoad: DefaultFakeMapLoad}
}

// ParseArgs reads a srcds command line (without the program name).
// Unknown "-switch" arguments are ignored as srcds ignores most of them;
// a malformed number for a known one is an error.
func ParseArgs(args []string) (Options, error) {
	o := DefaultOptions()
	isValue := func(s string) bool {
		if s == "" {
			return true
		}
		if s[0] == '+' {
			return false
		}
		if s[0] == '-' {
			_, err := strconv.ParseFloat(s, 64)
			return err == nil
		}
		return true
	}
	intArg := func(flag string, i int) (int, error) {
		if i+1 >= len(args) {
			return 0, fmt.Errorf("argument %s: missing value", flag)
		}
		n, err := strconv.Atoi(args[i+1])
		if err != nil || n < 0 {
			return 0, fmt.Errorf("argument %s: %q is not a non-negative number", flag, args[i+1])
		}
		return n, nil
	}
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case strings.HasPrefix(a, "+") && len(a) > 1:
			name := a[1:]
			var vals []string
			for i+1 < len(args) && isValue(args[i+1]) {
				vals = append(vals, args[i+1])
				i++
			}
			first := ""
			if len(vals) > 0 {
				first = vals[0]
			}
			switch strings.ToLower(name) {
			case "ip":
				if first == "" {
					return o, fmt.Errorf("argument +ip: missing address")
				}
				o.IP = first
			case "hostport", "port":
				n, err := strconv.Atoi(first)
				if err != nil || n < 0 || n > 65535 {
					return o, fmt.Errorf("argument +%s: %q is not a port number", name, first)
				}
				o.Port = n
			case "clientport", "tv_port":
				n, err := strconv.Atoi(first)
				if err != nil || n < 0 || n > 65535 {
					return o, fmt.Errorf("argument +%s: %q is not a port number", name, first)
				}
				if strings.EqualFold(name, "clientport") {
					o.ClientPort = n
				} else {
					o.TVPort = n
				}
			case "map":
				if first == "" {
					return o, fmt.Errorf("argument +map: missing map name")
				}
				o.Map = first
			case "maxplayers":
				n, err := strconv.Atoi(first)
				if err != nil || n < 1 || n > 32 {
					return o, fmt.Errorf("argument +maxplayers: %q is not a number from 1 to 32", first)
				}
				o.MaxPlayers = n
			default:
				o.Commands = append(o.Commands, joinCommand(name, vals))
			}
		case a == "-game":
			if i+1 >= len(args) || args[i+1] == "" {
				return o, fmt.Errorf("argument -game: missing directory")
			}
			o.Game = args[i+1]
			i++
		case a == "-port":
			n, err := intArg(a, i)
			if err != nil || n > 65535 {
				return o, fmt.Errorf("argument -port: not a port number")
			}
			o.Port = n
			i++
		case a == "-maxplayers":
			n, err := intArg(a, i)
			if err != nil || n < 1 || n > 32 {
				return o, fmt.Errorf("argument -maxplayers: not a number from 1 to 32")
			}
			o.MaxPlayers = n
			i++
		case a == "-tickrate":
			n, err := intArg(a, i)
			if err != nil || n < 1 {
				return o, fmt.Errorf("argument -tickrate: not a positive number")
			}
			o.Tickrate = n
			i++
		case a == "-fakecrash":
			o.FakeCrash = true
		case a == "-fakeplayers":
			n, err := intArg(a, i)
			if err != nil {
				return o, err
			}
			o.FakePlayers = n
			i++
		case a == "-fakebots":
			n, err := intArg(a, i)
			if err != nil {
				return o, err
			}
			o.FakeBots = n
			i++
		case a == "-strictportbind":
			o.StrictPortBind = true
		case a == "-nohltv":
			o.NoHLTV = true
		case a == "-norestart":
			// srcds_run's switch; the engine ignores it.
		case a == "-allowloopbacklog":
			o.AllowLoopbackLog = true
		case a == "-a2sloopback":
			o.A2SLoopback = true
		case a == "-fakemapload":
			if i+1 >= len(args) {
				return o, fmt.Errorf("argument -fakemapload: missing seconds")
			}
			f, err := strconv.ParseFloat(args[i+1], 64)
			if err != nil || f < 0 || f > 3600 {
				return o, fmt.Errorf("argument -fakemapload: %q is not a number of seconds from 0 to 3600", args[i+1])
			}
			o.FakeMapLoad = f
			i++
		}
	}
	if strings.ContainsAny(o.Game, "/\\") || o.Game == "." || o.Game == ".." {
		return o, fmt.Errorf("argument -game: %q must be a directory name, not a path", o.Game)
	}
	return o, nil
}

// joinCommand rebuilds console text from a "+name" argument and its values,
// quoting values that contain spaces.
func joinCommand(name string, vals []string) string {
	parts := []string{name}
	for _, v := range vals {
		if v == "" || strings.ContainsAny(v, " \t;") {
			v = `"` + v + `"`
		}
		parts = append(parts, v)
	}
	return strings.Join(parts, " ")
}
