// Package live keeps the live state of running game servers — map, player
// list, player counts — by polling each one every few seconds over RCON
// (`status`) and A2S, and decorates players with Steam personas when a
// resolver is configured.
//
// It knows nothing about instances: a TargetLister (wired in cmd/ from the
// instance service) says which servers to poll.
package live

import (
	"context"
	"time"

	"github.com/left4me/left4me/internal/steam"
)

// Player is one connected client as the panel shows it.
type Player struct {
	UserID    int
	Name      string        // in-game name
	SteamID   string        // as status prints it: "STEAM_1:0:N", or "BOT"
	SteamID64 uint64        // 0 for bots and unparseable ids
	Score     int           // from A2S_PLAYER when it answers (status has no score)
	Connected time.Duration // time on the server
	Ping      int           // milliseconds
	Bot       bool

	// Set from the Steam persona when a resolver is configured and knows
	// the player; empty otherwise (the web layer shows a placeholder).
	AvatarURL   string
	ProfileURL  string
	PersonaName string
}

// Snapshot is the last known state of one server.
type Snapshot struct {
	Name string // the target's name (the instance name)
	// Run is the run of the server this state belongs to (Target.Run):
	// a reader that knows the server's current run shows the snapshot
	// only when they are equal, so a previous run's players never show.
	Run time.Time
	// Online is false only after Config.OfflineAfter consecutive failed
	// polls spanning more than Config.OfflineSpan (a map load is not an
	// outage), and before the server first answered.
	Online bool
	// NotAnswering says the last poll failed while the server still counts
	// as online: the snapshot keeps the last state it answered with.
	NotAnswering bool
	// Hibernating says status reported "(hibernating)": no humans, no bots,
	// the server idles until someone joins (docs/srcds.md §8).
	Hibernating bool
	Hostname    string
	Map         string
	Players     []Player // humans first, then bots, each in status order
	Humans      int
	Bots        int
	MaxPlayers  int
	UpdatedAt   time.Time // when the server last answered
	Err         string    // the last poll's error, empty when it succeeded
	Failures    int       // consecutive failed polls
	// RCONErr and A2SErr are the last poll's probe results: empty when
	// that probe answered, else why not ("a2s skipped …" while A2S backs
	// off). The watchdog's diagnosis shows them.
	RCONErr string
	A2SErr  string
	// PolledAt is when the last poll ended, answered or not.
	PolledAt time.Time
	// PollDuration is how long the last poll took (the panel's metrics).
	PollDuration time.Duration
}

// Target is a server to poll. RCONPassword is a secret: it is never logged
// and never appears in a Snapshot.
//
// NOTE: the real server does not answer A2S sent to loopback but RCON on
// loopback works with +ip 0.0.0.0 (docs/srcds.md §8), so the two have
// separate addresses: RCON on 127.0.0.1, A2S on the host's address.
type Target struct {
	Name         string
	RCONAddr     string // host:port of the game port for RCON (TCP)
	A2SAddr      string // host:port of the game port for A2S (UDP); not loopback
	RCONPassword string
	// Run names the server's current run: when it started (the unit's
	// instance.Status.Since while it runs). A target whose run changed
	// is a new server: its snapshot starts empty.
	Run time.Time
}

// same reports whether t and u are the same server run at the same
// address with the same password.
func (t Target) same(u Target) bool {
	return t.Name == u.Name && t.RCONAddr == u.RCONAddr && t.A2SAddr == u.A2SAddr &&
		t.RCONPassword == u.RCONPassword && t.Run.Equal(u.Run)
}

// TargetLister lists the servers that should be polled now: the running
// instances.
type TargetLister interface {
	Targets(ctx context.Context) ([]Target, error)
}

// TargetFunc adapts a function to TargetLister.
type TargetFunc func(ctx context.Context) ([]Target, error)

// Targets calls f.
func (f TargetFunc) Targets(ctx context.Context) ([]Target, error) { return f(ctx) }

// PersonaResolver looks up Steam personas by 64-bit SteamID;
// *steam.PersonaCache implements it. It may return some personas together
// with an error.
type PersonaResolver interface {
	Personas(ctx context.Context, ids []uint64) (map[uint64]steam.Persona, error)
}

// Config tunes a Poller; zero fields take the defaults.
type Config struct {
	Interval     time.Duration // between refreshes (default 5s)
	Timeout      time.Duration // for one server's poll (default 3s)
	Concurrency  int           // servers polled at once (default 32)
	OfflineAfter int           // consecutive failures before Online=false (default 3)
	// OfflineSpan is how long polls must keep failing, too, before
	// Online=false (default 45s): longer than a map load, during which the
	// server answers nothing (docs/srcds.md §8; 10–30 s on real hardware).
	OfflineSpan time.Duration
	// SettleInterval is how often a server is polled after Changed until
	// it answers (default 250ms), for at most SettleFor (default 2m: a
	// real server's start, its first map load included, takes seconds
	// to tens of seconds).
	SettleInterval time.Duration
	SettleFor      time.Duration
}

// DefaultOfflineSpan is Config.OfflineSpan's default.
const DefaultOfflineSpan = 45 * time.Second

func (c Config) withDefaults() Config {
	if c.Interval <= 0 {
		c.Interval = 5 * time.Second
	}
	if c.Timeout <= 0 {
		c.Timeout = 3 * time.Second
	}
	if c.Concurrency <= 0 {
		c.Concurrency = 32
	}
	if c.OfflineAfter <= 0 {
		c.OfflineAfter = 3
	}
	if c.OfflineSpan <= 0 {
		c.OfflineSpan = DefaultOfflineSpan
	}
	if c.SettleInterval <= 0 {
		c.SettleInterval = 250 * time.Millisecond
	}
	if c.SettleFor <= 0 {
		c.SettleFor = 2 * time.Minute
	}
	return c
}
