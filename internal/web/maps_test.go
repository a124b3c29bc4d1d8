package web

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/left4me/left4me/internal/events"
	"github.com/left4me/left4me/internal/fakesrcds"
	"github.com/left4me/left4me/internal/instance"
	"github.com/left4me/left4me/internal/layout"
	"github.com/left4me/left4me/internal/overlay"
	"github.com/left4me/left4me/internal/srcds"
	"github.com/left4me/left4me/internal/store"
	"github.com/left4me/left4me/internal/views"
	"github.com/left4me/left4me/internal/workshop"
	"github.com/left4me/left4me/internal/workshop/workshoptest"
)

// stackSupervisor runs each instance as a real stand-in server on its
// port, over a copy of what its overlay would show: the stand-in
// installation, the addons of the layers its staged instance.env names
// (uppermost wins), and the staged cfgs. Map loads take no time.
type stackSupervisor struct {
	t    *testing.T
	root layout.Root
	st   *store.Store

	mu      sync.Mutex
	running map[string]*fakesrcds.Server
	stops   map[string]func()
}

func (g *stackSupervisor) Start(ctx context.Context, name string) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.running[name] != nil {
		return nil
	}
	in, err := g.st.InstanceByName(ctx, name)
	if err != nil {
		return err
	}
	env, err := overlay.ReadEnvFile(g.root.InstanceEnv(name))
	if err != nil {
		return err
	}
	dir := g.t.TempDir()
	if err := fakesrcds.WriteInstallation(dir, ""); err != nil {
		return err
	}
	for i := len(env.LowerDirs) - 1; i >= 0; i-- {
		vpks, _ := filepath.Glob(filepath.Join(env.LowerDirs[i], "left4dead2", "addons", "*.vpk"))
		for _, p := range vpks {
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			if err := os.WriteFile(filepath.Join(dir, "left4dead2", "addons", filepath.Base(p)), b, 0o644); err != nil {
				return err
			}
		}
	}
	staged := filepath.Dir(g.root.UpperServerCfg(name))
	for _, f := range []string{"server.cfg", instance.LaunchCfgName} {
		b, err := os.ReadFile(filepath.Join(staged, f))
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, "left4dead2", "cfg", f), b, 0o644); err != nil {
			return err
		}
	}
	gctx, cancel := context.WithCancel(context.Background())
	args := append([]string{"-norestart", "-strictportbind", "-nohltv", "-fakemapload", "0", "+ip", "0.0.0.0",
		"+hostport", strconv.Itoa(in.Port), "+exec", instance.LaunchCfgName}, env.Args...)
	s, err := fakesrcds.Start(gctx, fakesrcds.Config{Dir: dir, Args: args})
	if err != nil {
		cancel()
		return err
	}
	g.running[name] = s
	g.stops[name] = func() { cancel(); _ = s.Wait() }
	return nil
}

func (g *stackSupervisor) Stop(ctx context.Context, name string) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	if stop := g.stops[name]; stop != nil {
		stop()
	}
	delete(g.running, name)
	delete(g.stops, name)
	return nil
}

func (g *stackSupervisor) Restart(ctx context.Context, name string) error {
	if err := g.Stop(ctx, name); err != nil {
		return err
	}
	return g.Start(ctx, name)
}

func (g *stackSupervisor) Status(ctx context.Context, name string) (instance.Status, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.running[name] != nil {
		return instance.Status{State: instance.Running}, nil
	}
	return instance.Status{State: instance.Stopped}, nil
}

// server is the running stand-in of an instance.
func (g *stackSupervisor) server(name string) *fakesrcds.Server {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.running[name]
}

// mapsEnv is a panel whose instances run as real stand-in servers over
// their stacks, with a Workshop layer "wsmaps" holding item 1001, a VPK
// with the campaign "Fancy Campaign" (fancy01, fancy02), and an instance
// alpha stacking it, running, shared with an operator and a viewer.
type mapsEnv struct {
	*env
	gs                      *stackSupervisor
	owner, operator, viewer store.User
}

func newMapsEnv(t *testing.T) *mapsEnv { return newMapsEnvWith(t, false) }

// newMapsEnvWith is newMapsEnv; withEvents also records the servers' UDP
// logs into the store as the panel does (internal/events) and gives
// alpha one simulated player, whose logs reach the recorder on loopback.
func newMapsEnvWith(t *testing.T, withEvents bool) *mapsEnv {
	t.Helper()
	steam := workshoptest.New(t)
	me := &mapsEnv{}
	var args []string
	me.env = newEnvWith(t, func(e *env, cfg *Config) {
		me.gs = &stackSupervisor{t: t, root: e.root, st: e.st, running: map[string]*fakesrcds.Server{}, stops: map[string]func(){}}
		icfg := instance.Config{Root: e.root, PortMin: 20000, PortMax: 20999}
		if withEvents {
			rec := events.NewRecorder(events.Config{Bind: "127.0.0.1:0"}, events.SourcesFunc(func(ctx context.Context, port int) (srcds.LogSource, bool, error) {
				in, err := e.st.InstanceByName(ctx, "alpha")
				if err != nil || in.Port != port {
					return srcds.LogSource{}, false, nil
				}
				return srcds.LogSource{Instance: "alpha"}, true, nil
			}), e.st, nil)
			if err := rec.Listen(); err != nil {
				t.Fatal(err)
			}
			rctx, cancel := context.WithCancel(context.Background())
			done := make(chan struct{})
			go func() { defer close(done); _ = rec.Run(rctx) }()
			t.Cleanup(func() { cancel(); <-done })
			icfg.LogAddress = rec.Addr().String()
			args = []string{"-allowloopbacklog", "-fakeplayers", "1"}
		}
		e.svc = instance.NewService(icfg, e.st, me.gs)
		cfg.Instances, cfg.States, cfg.Console, cfg.Root = e.svc, me.gs, RCONConsole(5*time.Second), e.root
		ws := workshop.NewService(workshop.Config{Root: e.root, API: workshop.NewClient(steam.URL(), steam.Client()),
			Downloader: workshop.NewDownloader(workshop.DownloaderConfig{Root: e.root, HTTPClient: steam.Client()})}, e.st)
		steam.SetItem(workshoptest.Item{ID: 1001, Title: "Fancy Campaign", TimeUpdated: 1700000000,
			Data: workshoptest.MakeVPK(t, "Fancy Campaign", "fancy01", "fancy02")})
		if _, err := ws.Add(context.Background(), "wsmaps", []string{"1001"}, workshop.NopProgress{}); err != nil {
			t.Fatal(err)
		}
		cfg.Workshop = ws
	})
	t.Cleanup(func() { _ = me.gs.Stop(context.Background(), "alpha") })
	ctx := context.Background()
	me.owner, me.operator, me.viewer = me.quickUser("alice", false), me.quickUser("olga", false), me.quickUser("vic", false)
	port := freePort(t, 20000, 20999)
	if _, err := me.svc.Create(ctx, instance.Spec{Name: "alpha", OwnerID: me.owner.ID, Port: port, Layers: []string{"wsmaps"}, Args: args, ServerCfg: "hostname alpha\n"}); err != nil {
		t.Fatal(err)
	}
	for u, role := range map[int64]string{me.operator.ID: "operator", me.viewer.ID: "viewer"} {
		if err := me.st.SetShare(ctx, "alpha", u, role); err != nil {
			t.Fatal(err)
		}
	}
	if err := me.svc.Start(ctx, "alpha"); err != nil {
		t.Fatal(err)
	}
	return me
}

// TestMapPickerWorkshopCampaign: a campaign from a VPK in a Workshop layer
// appears in the instance's picker with its layer, and a changelevel to it
// from the API, by an operator, succeeds on the stand-in server; the same
// for the next start; bad input names its field and changes nothing; a
// viewer may read the picker but not change the map.
func TestMapPickerWorkshopCampaign(t *testing.T) {
	me := newMapsEnv(t)
	ctx := context.Background()
	op := me.as(me.operator)

	resp, body := me.as(me.viewer).get("/api/v1/instances/alpha/maps")
	var m views.Maps
	if err := json.Unmarshal([]byte(body), &m); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("maps = %d %s", resp.StatusCode, body)
	}
	var fancy *views.MapCampaign
	for i, c := range m.Campaigns {
		if c.Title == "Fancy Campaign" {
			fancy = &m.Campaigns[i]
		}
	}
	if fancy == nil || fancy.Layer != "wsmaps" || fancy.Source != "layer" || !slices.Equal(fancy.Maps, []string{"fancy01", "fancy02"}) ||
		!strings.Contains(fancy.File, "left4dead2/addons/1001.vpk") {
		t.Fatalf("the Workshop campaign in the picker = %+v\n%s", fancy, body)
	}
	if m.Campaigns[0].Name != "c1" || len(m.Campaigns) != 15 || !slices.Contains(m.Modes, "versus") {
		t.Errorf("official campaigns or modes missing: %s", body)
	}
	if _, page := me.as(me.viewer).get("/instances/alpha"); !strings.Contains(page, `id="campaigns"`) || strings.Contains(page, `id="map-form"`) {
		t.Error("the viewer's page lacks the campaigns or offers the map form")
	}
	if resp, _ := me.as(me.viewer).do("POST", "/api/v1/instances/alpha/map", `{"map": "fancy02"}`, nil); resp.StatusCode != http.StatusForbidden {
		t.Errorf("a viewer's map change = %d, want 403", resp.StatusCode)
	}

	resp, body = op.do("POST", "/api/v1/instances/alpha/map", `{"map": "fancy02", "mode": "coop", "when": "now"}`, nil)
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, `"source": "wsmaps"`) {
		t.Fatalf("changelevel fancy02 = %d %s", resp.StatusCode, body)
	}
	if out := me.gs.server("alpha").Exec("status"); !strings.Contains(out, "fancy02") {
		t.Errorf("the server's status after the change:\n%s", out)
	}
	if out := me.gs.server("alpha").Exec("mp_gamemode"); !strings.Contains(out, `"coop"`) {
		t.Errorf("mp_gamemode after the change: %s", out)
	}
	if h, _ := me.st.ListRCON(ctx, "alpha", 0); len(h) < 2 || h[len(h)-1].Command != "changelevel fancy02" {
		t.Errorf("the console history lacks the change: %+v", h)
	}

	before, _ := me.svc.Get(ctx, "alpha")
	for _, tc := range []struct{ body, field string }{
		{`{"map": "c99m1_nowhere"}`, "map"},
		{`{"map": "fancy01", "mode": "deathmatch"}`, "mode"},
		{`{"map": "fancy01", "when": "tomorrow"}`, "when"},
		{`{"map": "fancy01", "mode": "versus", "when": "next-start"}`, "mode"},
		{`{"map": ""}`, "map"},
	} {
		resp, body := op.do("POST", "/api/v1/instances/alpha/map", tc.body, nil)
		var e apiError
		json.Unmarshal([]byte(body), &e)
		if resp.StatusCode/100 != 4 || e.Field != tc.field {
			t.Errorf("%s = %d %s, want 4xx naming %s", tc.body, resp.StatusCode, body, tc.field)
		}
	}
	if after, _ := me.svc.Get(ctx, "alpha"); !slices.Equal(after.Args, before.Args) {
		t.Errorf("a refused change changed the arguments: %v", after.Args)
	}
	if out := me.gs.server("alpha").Exec("status"); !strings.Contains(out, "fancy02") {
		t.Errorf("a refused change changed the map:\n%s", out)
	}

	resp, body = op.do("POST", "/api/v1/instances/alpha/map", `{"map": "fancy01", "mode": "coop", "when": "next-start"}`, nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("next start = %d %s", resp.StatusCode, body)
	}
	if in, _ := me.svc.Get(ctx, "alpha"); strings.Join(in.Args, " ") != "+map fancy01 +mp_gamemode coop" {
		t.Errorf("arguments after next-start = %v", in.Args)
	}
	if err := me.svc.Restart(ctx, "alpha"); err != nil {
		t.Fatal(err)
	}
	if out := me.gs.server("alpha").Exec("status"); !strings.Contains(out, "fancy01") {
		t.Errorf("after the restart the server is not on fancy01:\n%s", out)
	}
	// The panel's own form, without script.
	resp, _ = op.post("/instances/alpha/map", map[string][]string{"map": {"c2m1_highway"}, "when": {"now"}})
	if resp.StatusCode != http.StatusSeeOther || !strings.Contains(resp.Header.Get("Location"), "done=map") {
		t.Errorf("the picker's form = %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	if out := me.gs.server("alpha").Exec("status"); !strings.Contains(out, "c2m1_highway") {
		t.Errorf("after the form the server is not on c2m1_highway:\n%s", out)
	}
}
