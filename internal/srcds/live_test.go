package srcds_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorcon/rcon"

	"github.com/left4me/left4me/internal/fakesrcds"
	"github.com/left4me/left4me/internal/srcds"
)

// startServer writes a stand-in installation with the given cfg files
// (name → content, under left4dead2/cfg) and starts fakesrcds in-process on
// 127.0.0.1 with a free port.
func startServer(t *testing.T, cfgs map[string]string, args ...string) *fakesrcds.Server {
	t.Helper()
	dir := t.TempDir()
	if err := fakesrcds.WriteInstallation(dir, ""); err != nil {
		t.Fatal(err)
	}
	for name, text := range cfgs {
		p := filepath.Join(dir, "left4dead2", "cfg", name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	// -a2sloopback: these tests exercise the A2S client on loopback, which
	// the real server (and the stand-in by default) ignores.
	full := append([]string{"-game", "left4dead2", "+ip", "127.0.0.1", "+hostport", "0", "-a2sloopback"}, args...)
	s, err := fakesrcds.Start(ctx, fakesrcds.Config{Dir: dir, Args: full, AllowLoopbackLog: true})
	if err != nil {
		cancel()
		t.Fatalf("start fakesrcds: %v", err)
	}
	t.Cleanup(func() {
		cancel()
		_ = s.Wait()
	})
	return s
}

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// launchPassword sets the RCON password once on the command line, as
// left4me does, instead of in server.cfg: a server.cfg that sets it closes
// every RCON connection at each map start (docs/srcds.md §8).
var launchPassword = []string{"+rcon_password", "s3cret"}

// cfgWithoutPassword is baseCfg without its rcon_password line.
var cfgWithoutPassword = strings.Replace(baseCfg, "rcon_password \"s3cret\"\n", "", 1)

const baseCfg = `// a server.cfg as an operator writes it
hostname "Test Server One"
rcon_password "s3cret"
exec gamemode/versus.cfg
sv_tags "left4me"; z_difficulty Hard
`

func TestQueryInfoAndPlayers(t *testing.T) {
	s := startServer(t, map[string]string{
		"server.cfg":          baseCfg + "fakesrcds_players 3\n",
		"gamemode/versus.cfg": "mp_gamemode versus\n",
	}, "+map", "c2m1_highway", "+maxplayers", "8", "-fakebots", "1")
	info, players, err := srcds.Query(testCtx(t), s.Addr())
	if err != nil {
		t.Fatalf("Query: %v", err)
	}
	want := srcds.Info{
		Name: "Test Server One", Map: "c2m1_highway", Folder: "left4dead2", Game: "Left 4 Dead 2",
		AppID: 550, Players: 4, MaxPlayers: 8, Bots: 1, VAC: true, Version: fakesrcds.GameVersion,
		Port: s.Port(), Keywords: "versus,left4me,secure",
	}
	if info != want {
		t.Errorf("info:\n got %+v\nwant %+v", info, want)
	}
	if len(players) != 4 {
		t.Fatalf("players: got %d, want 4: %+v", len(players), players)
	}
	names := map[string]bool{}
	for _, p := range players {
		names[p.Name] = true
		if p.Duration < 0 {
			t.Errorf("player %q: negative duration %v", p.Name, p.Duration)
		}
	}
	for _, n := range []string{"Ellie", "Marcus", "Priya", "Coach"} {
		if !names[n] {
			t.Errorf("player %q missing from %v", n, names)
		}
	}
}

func TestQueryTimesOutOnSilentServer(t *testing.T) {
	// A UDP socket that never answers: Query must give up by ctx.
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	if _, _, err := srcds.Query(ctx, pc.LocalAddr().String()); err == nil {
		t.Fatal("Query of a silent socket succeeded")
	}
}

func TestRCONAuth(t *testing.T) {
	s := startServer(t, map[string]string{"server.cfg": baseCfg, "gamemode/versus.cfg": ""})
	noPass := startServer(t, map[string]string{"server.cfg": `hostname "no rcon"`})
	tests := []struct {
		name     string
		addr     string
		password string
		wantErr  error
	}{
		{"right password", s.Addr(), "s3cret", nil},
		{"wrong password", s.Addr(), "guess", srcds.ErrAuth},
		{"empty password", s.Addr(), "", srcds.ErrAuth},
		{"server without rcon_password refuses all", noPass.Addr(), "", srcds.ErrAuth},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := srcds.Dial(testCtx(t), tt.addr, tt.password)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Dial: got %v, want %v", err, tt.wantErr)
			}
			if err == nil {
				c.Close()
			}
		})
	}
}

func dial(t *testing.T, s *fakesrcds.Server) *srcds.RCON {
	t.Helper()
	c, err := srcds.Dial(testCtx(t), s.Addr(), "s3cret")
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func TestRCONStatus(t *testing.T) {
	s := startServer(t, map[string]string{"server.cfg": baseCfg + "fakesrcds_players 2\nfakesrcds_bots 1\n", "gamemode/versus.cfg": ""},
		"+maxplayers", "4")
	c := dial(t, s)
	out, err := c.Exec(testCtx(t), "status")
	if err != nil {
		t.Fatal(err)
	}
	st, err := srcds.ParseStatus(out)
	if err != nil {
		t.Fatalf("ParseStatus: %v\n%s", err, out)
	}
	if st.Hostname != "Test Server One" || st.Map != "c1m1_hotel" || st.Humans != 2 || st.Bots != 1 || st.MaxPlayers != 4 {
		t.Errorf("status header: %+v\n%s", st, out)
	}
	if len(st.Players) != 3 {
		t.Fatalf("status rows: got %d, want 3\n%s", len(st.Players), out)
	}
	var humans int
	for _, p := range st.Players {
		if p.Bot {
			if p.Name != "Coach" || p.UniqueID != "BOT" {
				t.Errorf("bot row: %+v", p)
			}
			continue
		}
		humans++
		if p.SteamID64 == 0 || p.Ping <= 0 || p.State != "active" || p.Addr == "" || p.UserID < 2 || p.Slot < 1 {
			t.Errorf("human row: %+v", p)
		}
	}
	if humans != 2 {
		t.Errorf("humans in rows: %d", humans)
	}
	if st.Players[1].UniqueID != "STEAM_1:0:1" && st.Players[0].UniqueID != "STEAM_1:0:1" {
		t.Errorf("first simulated player should be STEAM_1:0:1: %+v", st.Players)
	}
}

func TestRCONCvarFromNestedCfg(t *testing.T) {
	s := startServer(t, map[string]string{
		"server.cfg":          baseCfg,
		"gamemode/versus.cfg": "exec deeper // nested twice, without .cfg\n",
		"deeper.cfg":          "mp_gamemode \"versus\"\nl4m_only_in_layer 42\n",
	})
	c := dial(t, s)
	tests := []struct {
		cmd, value  string
		def         string
		hasDef      bool
		wantUnknown bool
	}{
		{cmd: "mp_gamemode", value: "versus", def: "coop", hasDef: true},
		{cmd: "l4m_only_in_layer", value: "42", def: "", hasDef: true},
		{cmd: "sv_cheats", value: "0"},
		{cmd: "z_difficulty", value: "Hard", def: "Normal", hasDef: true},
		{cmd: "never_set_anywhere", wantUnknown: true},
	}
	for _, tt := range tests {
		t.Run(tt.cmd, func(t *testing.T) {
			out, err := c.Exec(testCtx(t), tt.cmd)
			if err != nil {
				t.Fatal(err)
			}
			cv, err := fakesrcds.ParseCvar(out)
			if tt.wantUnknown {
				if !errors.Is(err, fakesrcds.ErrUnknownCvar) {
					t.Fatalf("ParseCvar(%q): got %v, want ErrUnknownCvar", out, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseCvar(%q): %v", out, err)
			}
			if cv.Name != tt.cmd || cv.Value != tt.value || cv.HasDefault != tt.hasDef || cv.Default != tt.def {
				t.Errorf("%q parsed as %+v", out, cv)
			}
		})
	}
	// Setting over RCON, then reading back.
	if _, err := c.Exec(testCtx(t), `mp_gamemode "coop"`); err != nil {
		t.Fatal(err)
	}
	out, _ := c.Exec(testCtx(t), "mp_gamemode")
	if !strings.HasPrefix(out, `"mp_gamemode" = "coop"`+"\n") {
		t.Errorf("after set: %q", out)
	}
}

func TestRCONLongReplyIsReassembled(t *testing.T) {
	var cfg strings.Builder
	cfg.WriteString(baseCfg)
	for i := range 400 {
		fmt.Fprintf(&cfg, "l4m_test_cvar_%03d value_%03d\n", i, i)
	}
	s := startServer(t, map[string]string{"server.cfg": cfg.String(), "gamemode/versus.cfg": ""})
	c := dial(t, s)
	out, err := c.Exec(testCtx(t), "cvarlist l4m_test_cvar_")
	if err != nil {
		t.Fatal(err)
	}
	if len(out) < 3*4096 {
		t.Fatalf("reply is %d bytes, want several packets' worth", len(out))
	}
	for _, want := range []string{"l4m_test_cvar_000", "l4m_test_cvar_200", "l4m_test_cvar_399", "400 convars/concommands"} {
		if !strings.Contains(out, want) {
			t.Errorf("reply lacks %q", want)
		}
	}
	// The connection stays in step: the next command gets its own reply.
	out, err = c.Exec(testCtx(t), "echo after")
	if err != nil || out != "after\n" {
		t.Errorf("next command: %q, %v", out, err)
	}
}

func TestRCONPlainGorconClient(t *testing.T) {
	// gorcon's own Execute (one packet per command, no end marker) must
	// work against the stand-in for short replies.
	s := startServer(t, map[string]string{"server.cfg": baseCfg, "gamemode/versus.cfg": "mp_gamemode versus"})
	c, err := rcon.Dial(s.Addr(), "s3cret", rcon.SetDeadline(5*time.Second))
	if err != nil {
		t.Fatalf("gorcon Dial: %v", err)
	}
	defer c.Close()
	out, err := c.Execute("mp_gamemode")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(out, `"mp_gamemode" = "versus" ( def. "coop" )`) {
		t.Errorf("gorcon Execute: %q", out)
	}
	if _, err := rcon.Dial(s.Addr(), "wrong", rcon.SetDeadline(5*time.Second)); !errors.Is(err, rcon.ErrAuthFailed) {
		t.Errorf("gorcon Dial with a wrong password: %v", err)
	}
}

func TestRCONChangelevel(t *testing.T) {
	s := startServer(t, map[string]string{"server.cfg": cfgWithoutPassword, "gamemode/versus.cfg": ""}, launchPassword...)
	c := dial(t, s)
	if out, err := c.Exec(testCtx(t), "changelevel c5m1_waterfront"); err != nil {
		t.Fatalf("changelevel: %v %q", err, out)
	}
	out, err := c.Exec(testCtx(t), "status")
	if err != nil {
		t.Fatal(err)
	}
	st, err := srcds.ParseStatus(out)
	if err != nil || st.Map != "c5m1_waterfront" {
		t.Errorf("status after changelevel: %+v, %v", st, err)
	}
	info, _, err := srcds.Query(testCtx(t), s.Addr())
	if err != nil || info.Map != "c5m1_waterfront" {
		t.Errorf("A2S after changelevel: %+v, %v", info, err)
	}
	out, _ = c.Exec(testCtx(t), "changelevel no_such_map")
	if !strings.Contains(out, "not found") {
		t.Errorf("changelevel to a missing map: %q", out)
	}
}

// collector gathers log events for one instance.
type collector struct {
	mu     sync.Mutex
	events []srcds.Event
	ch     chan struct{}
}

func newCollector() *collector { return &collector{ch: make(chan struct{}, 1000)} }

func (c *collector) handle(_ string, ev srcds.Event) {
	c.mu.Lock()
	c.events = append(c.events, ev)
	c.mu.Unlock()
	c.ch <- struct{}{}
}

// waitFor waits until an event satisfying ok has arrived.
func (c *collector) waitFor(t *testing.T, what string, ok func(srcds.Event) bool) srcds.Event {
	t.Helper()
	timeout := time.After(10 * time.Second)
	seen := 0
	for {
		c.mu.Lock()
		for _, ev := range c.events[seen:] {
			if ok(ev) {
				c.mu.Unlock()
				return ev
			}
		}
		seen = len(c.events)
		c.mu.Unlock()
		select {
		case <-c.ch:
		case <-timeout:
			t.Fatalf("no %s event; got %d events", what, seen)
		}
	}
}

func startListener(t *testing.T, bind string, srv *fakesrcds.Server, secret string, col *collector) *srcds.LogListener {
	t.Helper()
	l, err := srcds.ListenLog(bind, srcds.LogListenerConfig{
		Resolve: func(src netip.AddrPort) (srcds.LogSource, bool) {
			if int(src.Port()) != srv.Port() {
				return srcds.LogSource{}, false
			}
			return srcds.LogSource{Instance: "one", Secret: secret}, true
		},
		Handle: col.handle,
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- l.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("LogListener.Run: %v", err)
		}
	})
	return l
}

func TestLogListenerReceivesEvents(t *testing.T) {
	for _, secret := range []string{"", "91827"} {
		t.Run("secret="+secret, func(t *testing.T) {
			cfg := cfgWithoutPassword
			if secret != "" {
				cfg += "sv_logsecret " + secret + "\n"
			}
			s := startServer(t, map[string]string{"server.cfg": cfg, "gamemode/versus.cfg": ""}, launchPassword...)
			col := newCollector()
			l := startListener(t, "127.0.0.1:0", s, secret, col)
			c := dial(t, s)
			ctx := testCtx(t)
			for _, cmd := range []string{"log on", "logaddress_add " + l.Addr().String(), "fakesrcds_players 2"} {
				if _, err := c.Exec(ctx, cmd); err != nil {
					t.Fatalf("%s: %v", cmd, err)
				}
			}
			ev := col.waitFor(t, "connect", func(e srcds.Event) bool {
				return e.Type == srcds.EventConnect && e.Player.Name == "Marcus"
			})
			if ev.Player.SteamID != "STEAM_1:0:2" || ev.Player.SteamID64 != 76561197960265732 || ev.Address == "" {
				t.Errorf("connect event: %+v", ev)
			}
			col.waitFor(t, "entered", func(e srcds.Event) bool { return e.Type == srcds.EventEntered && e.Player.Name == "Ellie" })
			if _, err := c.Exec(ctx, "fakesrcds_chat 2 hello \"there\""); err != nil {
				t.Fatal(err)
			}
			if _, err := c.Exec(ctx, "say server speaking"); err != nil {
				t.Fatal(err)
			}
			col.waitFor(t, "player chat", func(e srcds.Event) bool {
				return e.Type == srcds.EventChat && e.Player.Name == "Ellie" && e.Text == `hello "there"`
			})
			col.waitFor(t, "console chat", func(e srcds.Event) bool {
				return e.Type == srcds.EventChat && e.Player.Name == "Console" && e.Text == "server speaking"
			})
			if _, err := c.Exec(ctx, "changelevel c3m1_plankcountry"); err != nil {
				t.Fatal(err)
			}
			col.waitFor(t, "map loading", func(e srcds.Event) bool { return e.Type == srcds.EventMapLoading && e.Map == "c3m1_plankcountry" })
			col.waitFor(t, "map started", func(e srcds.Event) bool { return e.Type == srcds.EventMapStarted && e.Map == "c3m1_plankcountry" })
			col.waitFor(t, "rcon", func(e srcds.Event) bool {
				return e.Type == srcds.EventRCON && e.Text == "changelevel c3m1_plankcountry"
			})
			if _, err := c.Exec(ctx, "fakesrcds_players 1"); err != nil {
				t.Fatal(err)
			}
			ev = col.waitFor(t, "disconnect", func(e srcds.Event) bool { return e.Type == srcds.EventDisconnect })
			if ev.Player.Name != "Marcus" || ev.Reason != "Disconnect by user." || ev.Player.Team != "Survivor" {
				t.Errorf("disconnect event: %+v", ev)
			}
		})
	}
}

func TestLogListenerDropsWrongSecretAndUnknownSource(t *testing.T) {
	// The server sends with secret 111; the listener expects 222 for its
	// port, and knows no other port: nothing may be delivered. A second
	// server with the right secret proves the listener works meanwhile.
	bad := startServer(t, map[string]string{"server.cfg": baseCfg + "sv_logsecret 111\n", "gamemode/versus.cfg": ""})
	good := startServer(t, map[string]string{"server.cfg": baseCfg + "sv_logsecret 222\n", "gamemode/versus.cfg": ""})
	col := newCollector()
	l, err := srcds.ListenLog("127.0.0.1:0", srcds.LogListenerConfig{
		Resolve: func(src netip.AddrPort) (srcds.LogSource, bool) {
			switch int(src.Port()) {
			case bad.Port():
				return srcds.LogSource{Instance: "bad", Secret: "222"}, true
			case good.Port():
				return srcds.LogSource{Instance: "good", Secret: "222"}, true
			}
			return srcds.LogSource{}, false
		},
		Handle: func(inst string, ev srcds.Event) {
			if inst != "good" {
				t.Errorf("event for %s delivered: %+v", inst, ev)
			}
			col.handle(inst, ev)
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go l.Run(ctx)
	for _, s := range []*fakesrcds.Server{bad, good} {
		c := dial(t, s)
		for _, cmd := range []string{"logaddress_add " + l.Addr().String(), "log on", "say marker"} {
			if _, err := c.Exec(testCtx(t), cmd); err != nil {
				t.Fatal(err)
			}
		}
	}
	col.waitFor(t, "chat from good", func(e srcds.Event) bool { return e.Type == srcds.EventChat && e.Text == "marker" })
}

// TestLogToNonLoopbackAddress runs the production path: the server does not
// allow loopback destinations, the listener is announced on a non-loopback
// address of this host (the kernel routes it locally).
func TestLogToNonLoopbackAddress(t *testing.T) {
	ip := nonLoopbackIPv4(t)
	dir := t.TempDir()
	if err := fakesrcds.WriteInstallation(dir, ""); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "left4dead2/cfg/server.cfg"), []byte(baseCfg), 0o644)
	ctx, cancel := context.WithCancel(context.Background())
	s, err := fakesrcds.Start(ctx, fakesrcds.Config{Dir: dir, Args: []string{"+ip", "0.0.0.0", "+hostport", "0"}})
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	defer func() { cancel(); s.Wait() }()
	col := newCollector()
	l := startListener(t, "0.0.0.0:0", s, "", col)
	c := dial(t, s)
	announce := netip.AddrPortFrom(ip, l.Addr().Port())
	loop := netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), l.Addr().Port())
	for _, cmd := range []string{"logaddress_add " + loop.String(), "logaddress_add " + announce.String(), "log on", "say via lan"} {
		if _, err := c.Exec(testCtx(t), cmd); err != nil {
			t.Fatal(err)
		}
	}
	col.waitFor(t, "chat", func(e srcds.Event) bool { return e.Type == srcds.EventChat && e.Text == "via lan" })
	// A second line sent after the first bounds the wait for a duplicate.
	if _, err := c.Exec(testCtx(t), "say end"); err != nil {
		t.Fatal(err)
	}
	col.waitFor(t, "end chat", func(e srcds.Event) bool { return e.Type == srcds.EventChat && e.Text == "end" })
	col.mu.Lock()
	defer col.mu.Unlock()
	n := 0
	for _, e := range col.events {
		if e.Type == srcds.EventChat && e.Text == "via lan" {
			n++
		}
	}
	if n != 1 {
		t.Errorf("chat line delivered %d times; the loopback destination must be dropped", n)
	}
}

func nonLoopbackIPv4(t *testing.T) netip.Addr {
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		t.Skipf("needs a non-loopback IPv4 address: %v", err)
	}
	for _, a := range addrs {
		if pn, ok := a.(*net.IPNet); ok {
			if ip, ok := netip.AddrFromSlice(pn.IP.To4()); ok && pn.IP.To4() != nil && !ip.IsLoopback() {
				return ip
			}
		}
	}
	t.Skip("needs a non-loopback IPv4 address on this host (the engine drops 127.0.0.0/8 log destinations)")
	return netip.Addr{}
}

func TestAddLogAddress(t *testing.T) {
	s := startServer(t, map[string]string{"server.cfg": baseCfg, "gamemode/versus.cfg": ""})
	c := dial(t, s)
	if err := c.AddLogAddress(testCtx(t), netip.MustParseAddrPort("127.0.0.1:27500")); err == nil {
		t.Error("AddLogAddress accepted a loopback address")
	}
	col := newCollector()
	l := startListener(t, "127.0.0.1:0", s, "", col)
	for range 2 { // twice: already in the list is fine
		if err := c.AddLogAddressUnchecked(testCtx(t), l.Addr()); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.Exec(testCtx(t), "say logged"); err != nil {
		t.Fatal(err)
	}
	col.waitFor(t, "chat", func(e srcds.Event) bool { return e.Type == srcds.EventChat && e.Text == "logged" })
}
