package views

import (
	"context"
	"strconv"
	"time"

	"github.com/left4me/left4me/internal/instance"
	"github.com/left4me/left4me/internal/live"
	"github.com/left4me/left4me/internal/srcds"
)

// Instance is a game server instance.
type Instance struct {
	Name  string `json:"name"`
	Owner string `json:"owner"`
	// Port is the game port: the one the server runs on while it runs
	// (instance.Instance.ServerPort), the one it will start on otherwise.
	Port int `json:"port"`
	// PendingPort is a changed port that applies at the next start, while
	// the server still runs on Port; absent otherwise.
	PendingPort int `json:"pending_port,omitempty"`
	// Connect is the address players connect to, HOST:PORT (the console's
	// "connect HOST:PORT"), and SteamConnect the same as a
	// steam://connect/HOST:PORT link; absent when the host has no address
	// to give (SetConnect).
	Connect      string         `json:"connect,omitempty"`
	SteamConnect string         `json:"steam_connect,omitempty"`
	Layers       []string       `json:"layers"` // uppermost first
	Args         []string       `json:"args"`
	State        instance.State `json:"state"` // "unknown" when the supervisor did not answer
	// Since is when the unit entered State; absent when not known.
	Since time.Time `json:"since,omitzero"`
	// StateError says why State is "unknown".
	StateError string `json:"state_error,omitempty"`
	// WantRunning: started and not stopped since; the boot autostart
	// starts it again when Autostart is on (docs/lifecycle.md rule 9).
	WantRunning bool `json:"want_running"`
	// Autostart is the setting: whether a reboot brings it back when it was running.
	Autostart bool `json:"autostart"`
	// Watchdog: the panel restarts the server when it is frozen.
	Watchdog bool `json:"watchdog"`
	// Unhealthy: the watchdog found this run of the server frozen and left
	// it running, having restarted it too often in the last hour;
	// UnhealthySince and UnhealthyReason say when and why.
	Unhealthy       bool      `json:"unhealthy"`
	UnhealthySince  time.Time `json:"unhealthy_since,omitzero"`
	UnhealthyReason string    `json:"unhealthy_reason,omitempty"`
	// RCONPassword is shown to the instance's owner and administrators
	// (the CLI: with --show-secret) and absent otherwise.
	RCONPassword string    `json:"rcon_password,omitempty"`
	CreatedAt    time.Time `json:"created_at"`
	UpdatedAt    time.Time `json:"updated_at"`
	// LastLines are the last console lines of a failed instance, in the
	// views of one instance (docs/lifecycle.md rule 6: a crash ends the
	// unit failed; these say why). LastLinesError says why they could
	// not be read.
	LastLines      []string `json:"last_lines,omitzero"`
	LastLinesError string   `json:"last_lines_error,omitempty"`
	// Live is the game's state while it runs and the panel or the CLI
	// could ask it; absent otherwise.
	Live *Live `json:"live,omitempty"`
	// Pins are the generations it is pinned to: "installation" and layer
	// ids to generation names; absent when none.
	Pins map[string]string `json:"pins,omitempty"`
	// Stale lists, in the views of one instance, its layers (and the
	// installation) whose next start picks another generation than the
	// one it was last started on ("installation A → B"); absent when none.
	Stale []string `json:"stale,omitzero"`
}

// NewInstance is the view of in with its state; owners names its owner.
// secret includes the RCON password.
func NewInstance(in instance.Instance, owners Names, st instance.Status, stErr error, secret bool) Instance {
	v := Instance{
		Name: in.Name, Owner: owners[in.OwnerID], Port: in.Port,
		Layers: nonNil(in.Layers), Args: nonNil(in.Args), WantRunning: in.WantRunning,
		Watchdog:  in.Watchdog,
		Autostart: in.Autostart, CreatedAt: in.CreatedAt.UTC(), UpdatedAt: in.UpdatedAt.UTC(),
	}
	if secret {
		v.RCONPassword = in.RCONPassword
	}
	if len(in.Pins) > 0 {
		v.Pins = map[string]string(in.Pins)
	}
	if stErr != nil {
		v.State, v.StateError = "unknown", stErr.Error()
	} else {
		v.State = st.State
		if !st.Since.IsZero() {
			v.Since = st.Since.UTC()
		}
	}
	if stErr == nil && in.UnhealthyIn(st) {
		v.Unhealthy, v.UnhealthySince, v.UnhealthyReason = true, in.UnhealthyAt.UTC(), in.UnhealthyReason
	}
	if p := in.PendingPort(v.Running()); p != 0 {
		v.Port, v.PendingPort = in.ServerPort(), p
	}
	return v
}

// Running reports whether the instance is up or on its way up.
func (v Instance) Running() bool {
	return v.State == instance.Running || v.State == instance.Starting
}

// FailedLogLines is how many console lines the view of a failed instance
// carries.
const FailedLogLines = 20

// Tailer reads the last lines of an instance's console log
// (instance.LogReader does).
type Tailer interface {
	Tail(ctx context.Context, name string, n int) ([]string, error)
}

// AddLastLines fills LastLines of a failed instance from its console log;
// a log that cannot be read is said in LastLinesError, the state stands.
func (v *Instance) AddLastLines(ctx context.Context, logs Tailer) {
	if v.State != instance.Failed || logs == nil {
		return
	}
	lines, err := logs.Tail(ctx, v.Name, FailedLogLines)
	if err != nil {
		v.LastLinesError = err.Error()
		return
	}
	v.LastLines = nonNil(lines)
}

// Live is the state of a running server's game.
type Live struct {
	// Online: the server answered; false only in the CLI's view of a
	// server that did not answer its one status query.
	Online   bool   `json:"online"`
	Hostname string `json:"hostname,omitempty"`
	Map      string `json:"map,omitempty"`
	Humans   int    `json:"humans"`
	Bots     int    `json:"bots"`
	// MaxPlayers is the server's player limit.
	MaxPlayers int      `json:"max_players"`
	Players    []Player `json:"players"` // humans first, then bots
	// UpdatedAt is when the server last answered.
	UpdatedAt time.Time `json:"updated_at,omitzero"`
	// Hibernating: nobody is playing and the server idles (no bots) until
	// someone joins; shown as "empty (hibernating)", not as offline.
	Hibernating bool `json:"hibernating"`
	// NotAnswering: the last query failed (a map change, say); the rest is
	// the last state it answered with. Error says why.
	NotAnswering bool   `json:"not_answering"`
	Error        string `json:"error,omitempty"`
	// Run is the run of the server this state was polled from
	// (live.Snapshot.Run, the unit's start): the panel shows it only
	// while the instance's state has the same Since, never a previous
	// run's players.
	Run time.Time `json:"-"`
}

// Player is one player on a server.
type Player struct {
	Name      string        `json:"name"`
	SteamID   string        `json:"steam_id,omitempty"`
	Score     int           `json:"score"`
	Connected time.Duration `json:"-"`
	Seconds   int           `json:"connected_seconds"`
	Ping      int           `json:"ping"`
	AvatarURL string        `json:"avatar_url,omitempty"`
	Bot       bool          `json:"bot"`
}

// Summary is the one-line state of the server's players for lists:
// "empty (hibernating)" or "humans/max".
func (l Live) Summary() string {
	if l.Hibernating && l.Humans == 0 {
		return "empty (hibernating)"
	}
	return strconv.Itoa(l.Humans) + "/" + strconv.Itoa(l.MaxPlayers)
}

// LiveFromSnapshot is the panel's view of the live poller's snapshot; ok is
// false while the server is not online. A persona name, when known,
// replaces the in-game name.
func LiveFromSnapshot(snap live.Snapshot) (Live, bool) {
	if !snap.Online {
		return Live{}, false
	}
	l := Live{Online: true, Hostname: snap.Hostname, Map: snap.Map, Humans: snap.Humans, Bots: snap.Bots,
		MaxPlayers: snap.MaxPlayers, UpdatedAt: utc(snap.UpdatedAt), Players: make([]Player, 0, len(snap.Players)),
		Hibernating: snap.Hibernating, NotAnswering: snap.NotAnswering, Run: snap.Run}
	if snap.NotAnswering {
		l.Error = snap.Err
	}
	for _, pl := range snap.Players {
		name := pl.Name
		if pl.PersonaName != "" {
			name = pl.PersonaName
		}
		l.Players = append(l.Players, Player{Name: name, SteamID: pl.SteamID, Score: pl.Score,
			Connected: pl.Connected, Seconds: int(pl.Connected / time.Second), Ping: pl.Ping,
			AvatarURL: pl.AvatarURL, Bot: pl.Bot})
	}
	return l, true
}

// LiveFromStatus is the CLI's view of one answer to status, asked at.
func LiveFromStatus(st srcds.Status, at time.Time) Live {
	l := Live{Online: true, Hostname: st.Hostname, Map: st.Map, Humans: st.Humans, Bots: st.Bots,
		MaxPlayers: st.MaxPlayers, UpdatedAt: utc(at), Hibernating: st.Hibernating,
		Players: make([]Player, 0, len(st.Players))}
	for _, pl := range st.Players {
		l.Players = append(l.Players, Player{Name: pl.Name, SteamID: pl.UniqueID, Connected: pl.Connected,
			Seconds: int(pl.Connected / time.Second), Ping: pl.Ping, Bot: pl.Bot})
	}
	return l
}

// LiveNotAnswering is the CLI's view of a running server that did not
// answer status.
func LiveNotAnswering(err error) Live {
	return Live{NotAnswering: true, Error: err.Error(), Players: []Player{}}
}

func utc(t time.Time) time.Time {
	if t.IsZero() {
		return t
	}
	return t.UTC()
}
