package live

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/left4me/left4me/internal/fakesrcds"
	"github.com/left4me/left4me/internal/hostaddr"
	"github.com/left4me/left4me/internal/steam"
)

const steamBase = 76561197960265728

// testServer is a fakesrcds running in-process, bound to every address
// (+ip 0.0.0.0, as left4me's units run it): RCON on 127.0.0.1, A2S on the
// host's address, since the stand-in, like the real server, ignores A2S
// from loopback.
type testServer struct {
	*fakesrcds.Server
	dir      string
	password string
	host     string // the host's address, for A2S
	cancel   context.CancelFunc
}

// startServer writes a stand-in installation whose server.cfg sets the
// hostname, and starts fakesrcds on it (port 0 picks a free port) with the
// RCON password set once on the command line (as left4me does: a server.cfg
// that sets it closes every RCON connection at each map start) and the
// extra command-line args.
func startServer(tb testing.TB, hostname, password string, port int, args ...string) *testServer {
	tb.Helper()
	dir := tb.TempDir()
	if err := fakesrcds.WriteInstallation(dir, ""); err != nil {
		tb.Fatal(err)
	}
	cfg := fmt.Sprintf("hostname %q\n", hostname)
	if err := os.WriteFile(filepath.Join(dir, "left4dead2", "cfg", "server.cfg"), []byte(cfg), 0o644); err != nil {
		tb.Fatal(err)
	}
	return restartServer(tb, dir, password, port, args...)
}

// restartServer starts fakesrcds on an existing installation.
func restartServer(tb testing.TB, dir, password string, port int, args ...string) *testServer {
	tb.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	full := append([]string{"-game", "left4dead2", "+ip", "0.0.0.0", "+hostport", strconv.Itoa(port), "+rcon_password", password}, args...)
	s, err := fakesrcds.Start(ctx, fakesrcds.Config{Dir: dir, Args: full})
	if err != nil {
		cancel()
		tb.Fatalf("start fakesrcds: %v", err)
	}
	host, err := hostaddr.Primary()
	if err != nil {
		cancel()
		tb.Skipf("no non-loopback address to send A2S to: %v", err)
	}
	ts := &testServer{Server: s, dir: dir, password: password, cancel: cancel, host: host.String()}
	tb.Cleanup(ts.stop)
	return ts
}

func (ts *testServer) stop() {
	ts.cancel()
	_ = ts.Wait()
}

func (ts *testServer) target(name string) Target {
	return Target{Name: name, RCONAddr: ts.Addr(), A2SAddr: net.JoinHostPort(ts.host, strconv.Itoa(ts.Port())), RCONPassword: ts.password}
}

// targetList is a TargetLister whose list a test can change.
type targetList struct {
	mu      sync.Mutex
	targets []Target
}

func (l *targetList) Targets(context.Context) ([]Target, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.targets), nil
}

func (l *targetList) set(ts ...Target) {
	l.mu.Lock()
	l.targets = ts
	l.mu.Unlock()
}

func ctxFor(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func snapshot(t *testing.T, p *Poller, name string) Snapshot {
	t.Helper()
	s, ok := p.Snapshot(name)
	if !ok {
		t.Fatalf("no snapshot for %q", name)
	}
	return s
}

// fakeSteam serves GetPlayerSummaries in Steam's shape for every id.
func fakeSteam(t *testing.T) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var players []string
		for _, s := range strings.Split(r.URL.Query().Get("steamids"), ",") {
			id, err := strconv.ParseUint(s, 10, 64)
			if err != nil {
				continue
			}
			players = append(players, fmt.Sprintf(`{"steamid":"%d","communityvisibilitystate":3,"profilestate":1,"personaname":"persona-%d","profileurl":"https://steamcommunity.com/profiles/%d/","avatar":"https://avatars.steamstatic.com/%d.jpg","avatarmedium":"https://avatars.steamstatic.com/%d_medium.jpg","avatarfull":"https://avatars.steamstatic.com/%d_full.jpg","avatarhash":"0","personastate":0}`,
				id, id-steamBase, id, id, id, id))
		}
		w.Header().Set("Content-Type", "application/json; charset=UTF-8")
		fmt.Fprintf(w, `{"response":{"players":[%s]}}`, strings.Join(players, ","))
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestPollerReportsEachServer(t *testing.T) {
	ctx := ctxFor(t)
	hotel := startServer(t, "Hotel", "pw-hotel", 0, "+map", "c1m1_hotel", "+maxplayers", "8", "-fakeplayers", "3", "-fakebots", "2")
	highway := startServer(t, "Highway", "pw-highway", 0, "+map", "c2m1_highway", "+maxplayers", "4")
	locked := startServer(t, "Locked", "the-real-one", 0, "+map", "c5m1_waterfront", "-fakeplayers", "1")
	wrong := locked.target("locked")
	wrong.RCONPassword = "not-the-password"
	var logs bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	steamSrv := fakeSteam(t)
	personas := steam.NewPersonaCache(steam.NewClient(steamSrv.URL, "key", steamSrv.Client()), time.Hour)
	targets := &targetList{}
	targets.set(hotel.target("hotel"), highway.target("highway"), wrong)
	p := NewPoller(Config{Timeout: 5 * time.Second}, targets, personas, logger)
	if err := p.Refresh(ctx); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name       string
		hostname   string
		mapName    string
		humans     int
		bots       int
		maxPlayers int
		players    []string // names in order
		errPart    string
	}{
		{"hotel", "Hotel", "c1m1_hotel", 3, 2, 8, []string{"Ellie", "Marcus", "Priya", "Coach", "Ellis"}, ""},
		{"highway", "Highway", "c2m1_highway", 0, 0, 4, nil, ""},
		// RCON refuses the password: A2S still shows the server.
		{"locked", "Locked", "c5m1_waterfront", 1, 0, 8, []string{"Ellie"}, "authentication"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := snapshot(t, p, tc.name)
			var names []string
			for _, pl := range s.Players {
				names = append(names, pl.Name)
			}
			if !s.Online || s.Failures != 0 || s.Name != tc.name || s.Hostname != tc.hostname || s.Map != tc.mapName ||
				s.Humans != tc.humans || s.Bots != tc.bots || s.MaxPlayers != tc.maxPlayers ||
				!slices.Equal(names, tc.players) || s.UpdatedAt.IsZero() {
				t.Errorf("snapshot = %+v\nplayers %q", s, names)
			}
			if tc.errPart == "" && s.Err != "" || !strings.Contains(s.Err, tc.errPart) {
				t.Errorf("Err = %q, want it to mention %q", s.Err, tc.errPart)
			}
		})
	}

	// The simulated humans: i-th has score (7i)%23, ping 20+(13i)%80 and
	// STEAM_1:0:i (see internal/fakesrcds).
	hs := snapshot(t, p, "hotel")
	for i, pl := range hs.Players[:3] {
		n := i + 1
		want := Player{UserID: pl.UserID, Name: pl.Name, SteamID: fmt.Sprintf("STEAM_1:0:%d", n),
			SteamID64: steamBase + 2*uint64(n), Score: (7 * n) % 23, Connected: pl.Connected, Ping: 20 + (13*n)%80,
			PersonaName: fmt.Sprintf("persona-%d", 2*n), ProfileURL: fmt.Sprintf("https://steamcommunity.com/profiles/%d/", steamBase+2*uint64(n)),
			AvatarURL: fmt.Sprintf("https://avatars.steamstatic.com/%d_medium.jpg", steamBase+2*uint64(n))}
		if pl != want || pl.UserID < 2 {
			t.Errorf("player %d = %+v\nwant %+v", n, pl, want)
		}
	}
	for _, pl := range hs.Players[3:] {
		if !pl.Bot || pl.SteamID != "BOT" || pl.SteamID64 != 0 || pl.AvatarURL != "" {
			t.Errorf("bot = %+v", pl)
		}
	}
	if ls := snapshot(t, p, "locked"); ls.Players[0].SteamID64 != 0 || ls.Players[0].Score != 7 {
		t.Errorf("A2S-only player = %+v", ls.Players[0])
	}
	for _, secret := range []string{"not-the-password", "pw-hotel", "pw-highway"} {
		if strings.Contains(logs.String(), secret) {
			t.Errorf("the logs contain an RCON password:\n%s", logs.String())
		}
		for name, s := range p.Snapshots() {
			if strings.Contains(fmt.Sprintf("%+v", s), secret) {
				t.Errorf("snapshot %s contains an RCON password", name)
			}
		}
	}

	if s := snapshot(t, p, "hotel"); s.Hibernating {
		t.Errorf("hotel has humans but hibernates")
	}
	if s := snapshot(t, p, "highway"); !s.Hibernating || s.Bots != 0 {
		t.Errorf("highway has no humans: want it hibernating, got %+v", s)
	}

	// A map change shows at the next refresh, over the same connection.
	hotel.Exec("changelevel c3m1_plankcountry")
	highway.Exec("fakesrcds_players 2")
	if err := p.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	// A refused password is not tried again at once (srcds bans addresses
	// after repeated failures); A2S keeps the server visible meanwhile.
	if s := snapshot(t, p, "locked"); !s.Online || !strings.Contains(s.Err, "not retried") {
		t.Errorf("locked after a second poll: online %v, err %q", s.Online, s.Err)
	}
	if n := p.servers["hotel"].rcon.Dials(); n != 1 {
		t.Errorf("%d RCON connections to hotel, want 1 kept between polls", n)
	}
	if s := snapshot(t, p, "hotel"); s.Map != "c3m1_plankcountry" || s.Humans != 3 {
		t.Errorf("after changelevel: map %q, %d humans", s.Map, s.Humans)
	}
	if s := snapshot(t, p, "highway"); s.Humans != 2 || len(s.Players) != 2 {
		t.Errorf("after two players joined: %d humans, players %+v", s.Humans, s.Players)
	}

	// A target that is no longer listed (the instance stopped) is dropped.
	targets.set(hotel.target("hotel"))
	if err := p.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	if _, ok := p.Snapshot("highway"); ok {
		t.Errorf("highway still has a snapshot after it left the target list")
	}
}

func TestPollerOfflineOnlyAfterConsecutiveFailures(t *testing.T) {
	ctx := ctxFor(t)
	srv := startServer(t, "Flaky", "pw", 0, "-fakeplayers", "2")
	port := srv.Port()
	targets := &targetList{}
	targets.set(srv.target("flaky"))
	// A span too short to matter: three failures suffice.
	p := NewPoller(Config{Timeout: 2 * time.Second, OfflineAfter: 3, OfflineSpan: time.Nanosecond}, targets, nil, nil)
	notes, cancel := p.Subscribe()
	defer cancel()
	refresh := func() Snapshot {
		t.Helper()
		if err := p.Refresh(ctx); err != nil {
			t.Fatal(err)
		}
		select {
		case <-notes:
		default:
			t.Errorf("no notification after a refresh")
		}
		return snapshot(t, p, "flaky")
	}
	if s := refresh(); !s.Online || s.Humans != 2 {
		t.Fatalf("first poll: %+v", s)
	}
	srv.stop()
	for i := 1; i <= 3; i++ {
		s := refresh()
		wantOnline := i < 3
		if s.Online != wantOnline || s.Failures != i || s.Err == "" {
			t.Errorf("after %d failed polls: online %v failures %d err %q; want online %v", i, s.Online, s.Failures, s.Err, wantOnline)
		}
		if wantOnline && (s.Humans != 2 || s.Map != "c1m1_hotel" || !s.NotAnswering) {
			t.Errorf("after %d failed polls the last state is gone: %+v", i, s)
		}
		if !wantOnline && (len(s.Players) != 0 || s.Humans != 0) {
			t.Errorf("offline server still lists players: %+v", s)
		}
	}
	// Started again on the same port: the stale RCON connection is
	// replaced and the server is back at once.
	restartServer(t, srv.dir, srv.password, port, "-fakeplayers", "1", "+map", "c4m1_milltown_a")
	if s := refresh(); !s.Online || s.Failures != 0 || s.Err != "" || s.Map != "c4m1_milltown_a" || s.Humans != 1 {
		t.Errorf("after restart: %+v", s)
	}
}

func TestPollerRunStopsOnCancel(t *testing.T) {
	srv := startServer(t, "Run", "pw", 0)
	targets := &targetList{}
	targets.set(srv.target("run"))
	p := NewPoller(Config{Interval: 20 * time.Millisecond}, targets, nil, nil)
	notes, unsubscribe := p.Subscribe()
	defer unsubscribe()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx) }()
	for range 3 {
		select {
		case <-notes:
		case <-time.After(20 * time.Second):
			t.Fatal("Run published no refresh")
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Run = %v", err)
	}
	if s := snapshot(t, p, "run"); !s.Online {
		t.Errorf("snapshot after Run: %+v", s)
	}
}

func TestPollerWithoutSteam(t *testing.T) {
	ctx := ctxFor(t)
	srv := startServer(t, "NoSteam", "pw", 0, "-fakeplayers", "2")
	down := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "Service Unavailable", http.StatusServiceUnavailable)
	}))
	defer down.Close()
	targets := &targetList{}
	targets.set(srv.target("nosteam"))
	for name, resolver := range map[string]PersonaResolver{
		"no key":     nil,
		"steam down": steam.NewPersonaCache(steam.NewClient(down.URL, "key", down.Client()), time.Hour),
	} {
		t.Run(name, func(t *testing.T) {
			p := NewPoller(Config{}, targets, resolver, nil)
			if err := p.Refresh(ctx); err != nil {
				t.Fatal(err)
			}
			s := snapshot(t, p, "nosteam")
			if !s.Online || len(s.Players) != 2 {
				t.Fatalf("snapshot = %+v", s)
			}
			for _, pl := range s.Players {
				if pl.Name == "" || pl.SteamID64 == 0 || pl.PersonaName != "" || pl.AvatarURL != "" {
					t.Errorf("player = %+v, want in-game name and no persona", pl)
				}
			}
		})
	}
}

// TestPollerMapLoadsAreNotOutages changes the map three times in a row on
// a server whose map loads stall it (no A2S, no RCON) for longer than a
// poll's timeout: the server never shows offline, the snapshot keeps the
// last state while it does not answer, and the RCON connection is kept.
func TestPollerMapLoadsAreNotOutages(t *testing.T) {
	ctx := ctxFor(t)
	srv := startServer(t, "Loader", "pw", 0, "-fakemapload", "1.5", "-fakeplayers", "2")
	targets := &targetList{}
	targets.set(srv.target("loader"))
	p := NewPoller(Config{Timeout: 300 * time.Millisecond, OfflineAfter: 2}, targets, nil, nil)
	if err := p.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	if s := snapshot(t, p, "loader"); !s.Online || s.NotAnswering || s.Humans != 2 {
		t.Fatalf("first poll: %+v", s)
	}
	stalled := 0
	for _, m := range []string{"c2m1_highway", "c3m1_plankcountry", "c4m1_milltown_a"} {
		srv.Exec("changelevel " + m)
		for {
			if err := p.Refresh(ctx); err != nil {
				t.Fatal(err)
			}
			s := snapshot(t, p, "loader")
			if !s.Online {
				t.Fatalf("offline during the load of %s: %+v", m, s)
			}
			if s.NotAnswering {
				stalled++
				if s.Humans != 2 || len(s.Players) != 2 {
					t.Errorf("not answering but the last state is gone: %+v", s)
				}
				continue
			}
			if s.Map == m {
				break
			}
		}
	}
	if stalled == 0 {
		t.Errorf("no poll fell into a map load; the test proves nothing")
	}
	if n := p.servers["loader"].rcon.Dials(); n != 1 {
		t.Errorf("%d RCON connections over three map loads, want 1", n)
	}
}
