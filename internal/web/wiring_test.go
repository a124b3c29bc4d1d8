package web

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/left4me/left4me/internal/fakesrcds"
	"github.com/left4me/left4me/internal/hostaddr"
	"github.com/left4me/left4me/internal/instance"
	"github.com/left4me/left4me/internal/live"
)

// startGame starts fakesrcds in-process bound to every address, as the
// unit runs it, with the RCON password set once at launch.
func startGame(t *testing.T, serverCfg string, args ...string) (*fakesrcds.Server, *fakesrcds.Console) {
	t.Helper()
	var out fakesrcds.Console
	ctx, cancel := context.WithCancel(context.Background())
	full := append([]string{"+ip", "0.0.0.0", "+hostport", "0", "+rcon_password", "pw"}, args...)
	s, err := fakesrcds.StartInTree(ctx, t.TempDir(), serverCfg, full, &out)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	t.Cleanup(func() { cancel(); _ = s.Wait() })
	return s, &out
}

// TestRCONConsoleKeepsItsConnection: three changelevels in a row through
// the console, on a server whose map loads stall it, use one RCON
// connection (one auth); when the server closes it anyway (a new
// rcon_password), the next command dials again and is sent once.
func TestRCONConsoleKeepsItsConnection(t *testing.T) {
	s, out := startGame(t, "", "-fakemapload", "0.5")
	inst := instance.Instance{Name: "alpha", Port: s.Port(), RCONPassword: "pw"}
	con := RCONConsole(10 * time.Second)
	ctx := context.Background()
	for _, m := range []string{"c2m1_highway", "c3m1_plankcountry", "c4m1_milltown_a"} {
		if _, err := con.Exec(ctx, inst, "changelevel "+m); err != nil {
			t.Fatalf("changelevel %s: %v", m, err)
		}
	}
	got, err := con.Exec(ctx, inst, "status")
	if err != nil || !strings.Contains(got, "c4m1_milltown_a") {
		t.Fatalf("status after three changelevels: %q, %v", got, err)
	}
	if n := out.Count(`": password accepted`); n != 1 {
		t.Errorf("%d RCON auths for four commands and three map loads, want 1", n)
	}
	s.Exec("rcon_password pw") // closes every RCON connection
	if _, err := con.Exec(ctx, inst, "say once"); err != nil {
		t.Fatalf("say after the connection was closed: %v", err)
	}
	if n := out.Count(`command "say once"`); n != 1 {
		t.Errorf("say ran %d times, want once", n)
	}
	if n := out.Count(`": password accepted`); n != 2 {
		t.Errorf("%d RCON auths after the server closed the connection, want 2", n)
	}
}

// runningInstances is the part of Instances LiveTargets uses.
type runningInstances struct {
	Instances
	list []instance.Instance
}

func (r runningInstances) List(context.Context) ([]instance.Instance, error) { return r.list, nil }

func (r runningInstances) Status(context.Context, string) (instance.Status, error) {
	return instance.Status{State: instance.Running}, nil
}

// TestLiveShowsScoresWithoutLoopbackA2S: the stand-in, like srcds, ignores
// A2S from loopback; the live state, polling A2S on the host's address
// and RCON on loopback, still shows every player with a score.
func TestLiveShowsScoresWithoutLoopbackA2S(t *testing.T) {
	host, err := hostaddr.Primary()
	if err != nil {
		t.Skipf("no non-loopback address on this host: %v", err)
	}
	s, _ := startGame(t, "", "-fakeplayers", "3")
	insts := runningInstances{list: []instance.Instance{{Name: "alpha", Port: s.Port(), RCONPassword: "pw"}}}
	p := live.NewPoller(live.Config{Timeout: 5 * time.Second}, LiveTargets(insts, nil, host), nil, nil)
	if err := p.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	st, ok := PollerLive(p).Live("alpha")
	if !ok || st.Humans != 3 || len(st.Players) != 3 || st.Hibernating {
		t.Fatalf("live state: %+v, %v", st, ok)
	}
	for i, pl := range st.Players {
		if want := (7 * (i + 1)) % 23; pl.Score != want { // the stand-in's scores
			t.Errorf("%s has score %d, want %d", pl.Name, pl.Score, want)
		}
	}
}

func TestLiveSummary(t *testing.T) {
	for _, tt := range []struct {
		l    LiveState
		want string
	}{
		{LiveState{Online: true, Hibernating: true, MaxPlayers: 8}, "empty (hibernating)"},
		{LiveState{Online: true, Humans: 2, MaxPlayers: 8}, "2/8"},
		{LiveState{Online: true, MaxPlayers: 4}, "0/4"},
	} {
		if got := tt.l.Summary(); got != tt.want {
			t.Errorf("%+v: %q, want %q", tt.l, got, tt.want)
		}
	}
}

// TestHibernatingShowsEmpty: a hibernating server is "empty
// (hibernating)" in the list, on its page and in the API, not offline.
func TestHibernatingShowsEmpty(t *testing.T) {
	e := newEnv(t)
	u := e.quickUser("alice", false)
	e.mustCreate("alpha", u)
	if err := e.svc.Start(context.Background(), "alpha"); err != nil {
		t.Fatal(err)
	}
	e.srv.cfg.Live = liveFunc(func(name string) (LiveState, bool) {
		return LiveState{Online: true, Map: "c1m1_hotel", MaxPlayers: 8, Hibernating: true, Players: []LivePlayer{}}, true
	})
	c := e.as(u)
	if _, body := c.get("/instances"); !strings.Contains(body, "empty (hibernating)") {
		t.Errorf("instance list does not say empty (hibernating):\n%s", body)
	}
	if _, body := c.get("/instances/alpha"); !strings.Contains(body, "empty (hibernating)") || !strings.Contains(body, "hibernates until someone joins") {
		t.Errorf("instance page does not say empty (hibernating)")
	}
	if _, body := c.get("/api/v1/instances/alpha/live"); !strings.Contains(body, `"hibernating": true`) || !strings.Contains(body, `"online": true`) {
		t.Errorf("live API: %s", body)
	}
}
