package events

import (
	"cmp"
	"context"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/left4me/left4me/internal/fakesrcds"
	"github.com/left4me/left4me/internal/srcds"
	"github.com/left4me/left4me/internal/store"
)

// openStore opens a database with one user owning the named instances.
func openStore(t *testing.T, names ...string) *store.Store {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	now := time.Now().UTC().Format(time.RFC3339Nano)
	res, err := st.DB().ExecContext(ctx, `INSERT INTO users (name, password_hash, is_admin, created_at) VALUES ('owner', 'x', 0, ?)`, now)
	if err != nil {
		t.Fatal(err)
	}
	uid, _ := res.LastInsertId()
	for i, name := range names {
		if _, err := st.DB().ExecContext(ctx, `INSERT INTO instances (name, owner_id, port, rcon_password, created_at, updated_at)
			VALUES (?, ?, ?, 'pw', ?, ?)`, name, uid, 27015+i, now, now); err != nil {
			t.Fatal(err)
		}
	}
	return st
}

// startServer runs fakesrcds in-process on 127.0.0.1. Its loopback opt-out
// is on: the engine would drop a 127.0.0.1 log destination (docs/srcds.md §4).
func startServer(t *testing.T) *fakesrcds.Server {
	t.Helper()
	dir := t.TempDir()
	if err := fakesrcds.WriteInstallation(dir, ""); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "left4dead2", "cfg", "server.cfg"), []byte("rcon_password pw\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	s, err := fakesrcds.Start(ctx, fakesrcds.Config{Dir: dir, AllowLoopbackLog: true,
		Args: []string{"-game", "left4dead2", "+ip", "127.0.0.1", "+hostport", "0", "-fakemapload", "0"}})
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	t.Cleanup(func() { cancel(); s.Wait() })
	return s
}

// startRecorder runs a Recorder on 127.0.0.1 that knows the given servers
// by game port.
func startRecorder(t *testing.T, st Store, servers map[string]*fakesrcds.Server) *Recorder {
	t.Helper()
	sources := SourcesFunc(func(_ context.Context, port int) (srcds.LogSource, bool, error) {
		for name, s := range servers {
			if s.Port() == port {
				return srcds.LogSource{Instance: name}, true, nil
			}
		}
		return srcds.LogSource{}, false, nil
	})
	r := NewRecorder(Config{Bind: "127.0.0.1:0"}, sources, st, nil)
	if err := r.Listen(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	return r
}

// collect reads the events of instances stored after id after, in the
// order they were stored, until one satisfies last; it polls the store,
// which is where the panel reads them from too.
func collect(t *testing.T, st *store.Store, after int64, last func(Event) bool, instances ...string) []Event {
	t.Helper()
	timeout := time.After(20 * time.Second)
	for {
		var got []Event
		for _, name := range instances {
			evs, err := st.ListEvents(context.Background(), name, after, 0)
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, evs...)
		}
		slices.SortFunc(got, func(a, b Event) int { return cmp.Compare(a.ID, b.ID) })
		for i, e := range got {
			if last(e) {
				return got[:i+1]
			}
		}
		select {
		case <-timeout:
			t.Fatalf("timed out; events so far: %+v", got)
		case <-time.After(10 * time.Millisecond):
		}
	}
}

func summary(events []Event) []string {
	var out []string
	for _, e := range events {
		out = append(out, strings.Join(strings.Fields(fmt.Sprintf("%s %s %s %s %s", e.Instance, e.Kind, e.Player, e.Map, e.Text)), " "))
	}
	return out
}

func TestRecorderStoresEventsFromFakesrcds(t *testing.T) {
	ctx := context.Background()
	st := openStore(t, "alpha", "beta")
	alpha, beta, stranger := startServer(t), startServer(t), startServer(t)
	r := startRecorder(t, st, map[string]*fakesrcds.Server{"alpha": alpha, "beta": beta})
	dest := r.Addr().String()
	for _, s := range []*fakesrcds.Server{alpha, beta, stranger} {
		s.Exec("logaddress_add " + dest)
		s.Exec("log on")
	}
	stranger.Exec("say nobody knows me") // from a port no instance has: dropped
	alpha.Exec("fakesrcds_players 1")    // Ellie, userid 2
	alpha.Exec("fakesrcds_bots 1")       // bots are not news
	alpha.Exec("fakesrcds_chat 2 hello there")
	alpha.Exec(`fakesrcds_chat 2 (team) rush "left"`)
	// RCON over the network: the poller's "status" is filtered, other
	// commands are kept.
	c, err := srcds.Dial(ctx, alpha.Addr(), "pw")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for _, cmd := range []string{"status", "sv_cheats 0"} {
		if _, err := c.Exec(ctx, cmd); err != nil {
			t.Fatal(err)
		}
	}
	alpha.Exec("changelevel c2m1_highway")
	alpha.Exec("fakesrcds_players 0")
	beta.Exec("say the end")

	// Each server's lines come in its order; two servers' lines may
	// interleave any way (alpha's map change runs on its own), so each
	// instance is waited for by itself.
	got := collect(t, st, 0, func(e Event) bool { return e.Kind == KindDisconnect }, "alpha")
	got = append(got, collect(t, st, 0, func(e Event) bool { return e.Kind == KindChat }, "beta")...)
	want := []string{
		"alpha connect Ellie",
		"alpha entered Ellie",
		"alpha chat Ellie hello there",
		`alpha team_chat Ellie rush "left"`,
		"alpha rcon sv_cheats 0",
		"alpha map c2m1_highway",
		"alpha entered Ellie", // re-entered after the map change
		"alpha disconnect Ellie Disconnect by user.",
		"beta chat Console the end",
	}
	if !slices.Equal(summary(got), want) {
		t.Errorf("events:\n%s\nwant:\n%s", strings.Join(summary(got), "\n"), strings.Join(want, "\n"))
	}
	for _, e := range got {
		if e.ID == 0 || e.At.IsZero() {
			t.Errorf("stored event without id or time: %+v", e)
		}
		if e.Player == "Ellie" && e.SteamID != "STEAM_1:0:1" {
			t.Errorf("player event with SteamID %q", e.SteamID)
		}
	}

	stored, err := st.ListEvents(ctx, "alpha", 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(summary(stored), want[:len(want)-1]) {
		t.Errorf("stored for alpha:\n%s", strings.Join(summary(stored), "\n"))
	}
	if b, err := st.ListEvents(ctx, "beta", 0, 0); err != nil || len(b) != 1 || b[0].Text != "the end" {
		t.Errorf("stored for beta: %+v, %v", b, err)
	}
}

func TestConvert(t *testing.T) {
	tests := []struct {
		line      string
		keepOther bool
		want      string // "" when dropped
	}{
		{`"Nick<3><STEAM_1:1:42><Survivor>" connected, address "203.0.113.9:27005"`, false, "connect Nick STEAM_1:1:42 "},
		{`"Nick<3><STEAM_1:1:42><>" STEAM USERID validated`, false, ""},
		{`"Nick<3><STEAM_1:1:42><Survivor>" entered the game`, false, "entered Nick STEAM_1:1:42 "},
		{`"Nick<3><STEAM_1:1:42><Survivor>" disconnected (reason "Kicked by Console")`, false, "disconnect Nick STEAM_1:1:42 Kicked by Console"},
		{`"Nick<3><STEAM_1:1:42><Survivor>" say "gg"`, false, "chat Nick STEAM_1:1:42 gg"},
		{`"Nick<3><STEAM_1:1:42><Survivor>" say_team "heal me"`, false, "team_chat Nick STEAM_1:1:42 heal me"},
		{`"Nick<3><STEAM_1:1:42><>" joined team "Survivor"`, false, ""},
		{`"Coach<4><BOT><>" connected, address "none"`, false, ""},
		{`Loading map "c1m2_streets"`, false, ""},
		{`Started map "c1m2_streets" (CRC "-12345")`, false, "map   c1m2_streets"},
		{`rcon from "127.0.0.1:40000": command "status"`, false, ""},
		{`rcon from "127.0.0.1:40000": command "kick Nick"`, false, "rcon   kick Nick"},
		{`rcon from "198.51.100.4:5000": Bad Password`, false, "rcon   bad password from 198.51.100.4:5000"},
		{`server_cvar: "sv_cheats" "0"`, false, ""},
		{`Log file closed`, false, ""},
		{`World triggered "Round_Start"`, false, ""},
		{`World triggered "Round_Start"`, true, `other   World triggered "Round_Start"`},
	}
	for _, tc := range tests {
		t.Run(tc.line, func(t *testing.T) {
			ev, err := srcds.ParseLogLine([]byte("L 11/29/2026 - 22:18:29: " + tc.line))
			if err != nil {
				t.Fatal(err)
			}
			e, ok := Convert(ev, tc.keepOther)
			got := ""
			if ok {
				got = fmt.Sprintf("%s %s %s %s%s", e.Kind, e.Player, e.SteamID, e.Map, e.Text)
			}
			if got != tc.want {
				t.Errorf("Convert = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestResolveRefusesForeignSenders(t *testing.T) {
	calls := 0
	r := NewRecorder(Config{}, SourcesFunc(func(context.Context, int) (srcds.LogSource, bool, error) {
		calls++
		return srcds.LogSource{Instance: "one"}, true, nil
	}), nil, nil)
	// 198.51.100.0/24 is TEST-NET-2: never an address of this host.
	if _, ok := r.resolve(netip.MustParseAddrPort("198.51.100.7:27015")); ok {
		t.Errorf("a packet from another host was accepted")
	}
	for range 3 {
		if src, ok := r.resolve(netip.MustParseAddrPort("127.0.0.1:27015")); !ok || src.Instance != "one" {
			t.Errorf("local sender: %+v %v", src, ok)
		}
	}
	if calls != 1 {
		t.Errorf("sources consulted %d times for one port, want 1 (cached)", calls)
	}
	r.cfg.AllowRemote = true
	if _, ok := r.resolve(netip.MustParseAddrPort("198.51.100.7:27015")); !ok {
		t.Errorf("AllowRemote did not accept another host")
	}
}

func TestAnnounceAddr(t *testing.T) {
	specific := netip.MustParseAddrPort("192.0.2.10:27500")
	if got, err := AnnounceAddr(specific); err != nil || got != specific {
		t.Errorf("AnnounceAddr(%s) = %s, %v", specific, got, err)
	}
	got, err := AnnounceAddr(netip.MustParseAddrPort("0.0.0.0:27500"))
	if err != nil {
		t.Skipf("host has no non-loopback IPv4 address: %v", err)
	}
	if got.Addr().IsLoopback() || got.Port() != 27500 {
		t.Errorf("AnnounceAddr(0.0.0.0:27500) = %s", got)
	}
}
