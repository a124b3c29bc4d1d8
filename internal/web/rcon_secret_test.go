package web

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/left4me/left4me/internal/fakesrcds"
	"github.com/left4me/left4me/internal/instance"
	"github.com/left4me/left4me/internal/layout"
	"github.com/left4me/left4me/internal/rcon"
	"github.com/left4me/left4me/internal/srcds"
	"github.com/left4me/left4me/internal/store"
)

// TestRCONSecretsRefusedForSharedUser: a user an instance is shared with
// may not read or set a secret cvar from the console, however the command
// is chained, on the page or the API (403 naming the field); the owner and
// an admin may; the history keeps no secret of either. (Fails on the old
// code: every command of a shared user was sent, and "echo a;
// rcon_password x" was kept whole in the history.)
func TestRCONSecretsRefusedForSharedUser(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	alice, bob, admin := e.quickUser("alice", false), e.quickUser("bob", false), e.quickUser("root", true)
	e.mustCreate("alpha", alice)
	if err := e.st.ShareInstance(ctx, "alpha", bob.ID); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.Start(ctx, "alpha"); err != nil {
		t.Fatal(err)
	}
	b := e.as(bob)
	for _, cmd := range []string{
		"rcon_password", "sv_password x", "echo a; rcon_password x", "echo a;\trcon_password\tx",
		`echo "a"; "sv_password" "x"`, ";sv_password", "sv_logsecret", "sv_setsteamaccount T0KEN",
	} {
		body := fmt.Sprintf(`{"command": %q}`, cmd)
		resp, answer := b.do("POST", "/api/v1/instances/alpha/rcon", body, nil)
		if resp.StatusCode != http.StatusForbidden || !strings.Contains(answer, "only the instance's owner and administrators") ||
			!strings.Contains(answer, `"field": "command"`) {
			t.Errorf("bob's %q by the API = %d %s, want 403 naming the command", cmd, resp.StatusCode, answer)
		}
		form := url.Values{"command": {cmd}, "csrf_token": {b.csrf}}
		req, _ := http.NewRequest("POST", e.ts.URL+"/instances/alpha/rcon", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Accept", "application/json")
		resp, err := b.hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("bob's %q on the page = %d, want 403", cmd, resp.StatusCode)
		}
	}
	if h, _ := e.st.ListRCON(ctx, "alpha", 0); len(h) != 0 {
		t.Errorf("bob's refused commands were recorded: %+v", h)
	}
	if resp, _ := b.do("POST", "/api/v1/instances/alpha/rcon", `{"command": "status"}`, nil); resp.StatusCode != http.StatusOK {
		t.Errorf("bob's status = %d, want 200", resp.StatusCode)
	}
	for _, u := range []store.User{alice, admin} {
		resp, body := e.as(u).do("POST", "/api/v1/instances/alpha/rcon", `{"command": "echo a; sv_password hunter2secret"}`, nil)
		if resp.StatusCode != http.StatusOK || !strings.Contains(body, "hunter2secret") {
			t.Errorf("%s's sv_password = %d %s, want 200 with the reply", u.Name, resp.StatusCode, body)
		}
	}
	// An entry recorded before the policy knew chaining is redacted when
	// read, on the page too.
	if _, err := e.st.AddRCON(ctx, "alpha", alice.ID, "echo a; rcon_password oldsecret77", "oldsecret77"); err != nil {
		t.Fatal(err)
	}
	_, body := b.get("/api/v1/instances/alpha/rcon")
	if strings.Contains(body, "hunter2secret") || strings.Contains(body, "oldsecret77") ||
		!strings.Contains(body, `echo a; sv_password \u003chidden\u003e`) {
		t.Errorf("the history bob reads = %s", body)
	}
	if _, page := b.get("/instances/alpha"); strings.Contains(page, "hunter2secret") || strings.Contains(page, "oldsecret77") ||
		!strings.Contains(page, "echo a; rcon_password &lt;hidden&gt;") {
		t.Error("the instance page shows bob a secret, or not the redacted command")
	}
}

// gameSupervisor runs each instance as a real stand-in server (in
// process, on the instance's port) the way the unit does: the staged
// server.cfg and launch cfg, +exec left4me_launch.cfg on the command line.
type gameSupervisor struct {
	t    *testing.T
	root layout.Root
	st   *store.Store

	mu      sync.Mutex
	running map[string]func()
}

func (g *gameSupervisor) Start(ctx context.Context, name string) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.running[name] != nil {
		return nil
	}
	in, err := g.st.InstanceByName(ctx, name)
	if err != nil {
		return err
	}
	dir := g.t.TempDir()
	if err := fakesrcds.WriteInstallation(dir, ""); err != nil {
		return err
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
	s, err := fakesrcds.Start(gctx, fakesrcds.Config{Dir: dir, Args: []string{
		"-norestart", "-strictportbind", "-nohltv", "+ip", "0.0.0.0", "+hostport", strconv.Itoa(in.Port), "+exec", instance.LaunchCfgName,
	}})
	if err != nil {
		cancel()
		return err
	}
	g.running[name] = func() { cancel(); _ = s.Wait() }
	return nil
}

func (g *gameSupervisor) Stop(ctx context.Context, name string) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	if stop := g.running[name]; stop != nil {
		stop()
	}
	delete(g.running, name)
	return nil
}

func (g *gameSupervisor) Restart(ctx context.Context, name string) error {
	if err := g.Stop(ctx, name); err != nil {
		return err
	}
	return g.Start(ctx, name)
}

func (g *gameSupervisor) Status(ctx context.Context, name string) (instance.Status, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.running[name] != nil {
		return instance.Status{State: instance.Running}, nil
	}
	return instance.Status{State: instance.Stopped}, nil
}

// freePort is a port in the panel's range that nothing on this host holds
// (TCP and UDP, every address), for a real stand-in server.
func freePort(t *testing.T, min, max int) int {
	t.Helper()
	for p := min; p <= max; p++ {
		tl, err := net.Listen("tcp", ":"+strconv.Itoa(p))
		if err != nil {
			continue
		}
		ul, err := net.ListenPacket("udp", ":"+strconv.Itoa(p))
		tl.Close()
		if err != nil {
			continue
		}
		ul.Close()
		return p
	}
	t.Fatal("no free port")
	return 0
}

// TestUnshareRotatesRCONPassword: unsharing gives the instance a new RCON
// password at once; on the running stand-in server it is set live, which
// closes the old connections, and after a restart the launch cfg sets it;
// the old password no longer authenticates either way, and the panel's
// console keeps working. (Fails on the old code: the old password still
// worked after the unshare and the restart.)
func TestUnshareRotatesRCONPassword(t *testing.T) {
	var gs *gameSupervisor
	e := newEnvWith(t, func(e *env, cfg *Config) {
		gs = &gameSupervisor{t: t, root: e.root, st: e.st, running: map[string]func(){}}
		e.svc = instance.NewService(instance.Config{Root: e.root, PortMin: 20000, PortMax: 20999}, e.st, gs)
		cfg.Instances, cfg.States, cfg.Console = e.svc, gs, RCONConsole(5*time.Second)
	})
	t.Cleanup(func() { _ = gs.Stop(context.Background(), "alpha") })
	ctx := context.Background()
	alice, bob, admin := e.quickUser("alice", false), e.quickUser("bob", false), e.quickUser("root", true)
	port := freePort(t, 20000, 20999)
	in, err := e.svc.Create(ctx, instance.Spec{Name: "alpha", OwnerID: alice.ID, Port: port, ServerCfg: "hostname alpha\n"})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.st.ShareInstance(ctx, "alpha", bob.ID); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.Start(ctx, "alpha"); err != nil {
		t.Fatal(err)
	}
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	a := e.as(alice)
	status := func(when string) {
		t.Helper()
		resp, body := a.do("POST", "/api/v1/instances/alpha/rcon", `{"command": "status"}`, nil)
		if resp.StatusCode != http.StatusOK || !strings.Contains(body, "hostname: alpha") {
			t.Fatalf("the panel's console %s = %d %s", when, resp.StatusCode, body)
		}
	}
	status("before the unshare")
	// The stand-in's cvarlist prints every value, the secrets' too: bob
	// gets it without them.
	if resp, body := a.do("POST", "/api/v1/instances/alpha/rcon", `{"command": "sv_password joinpw123"}`, nil); resp.StatusCode != http.StatusOK {
		t.Fatalf("alice's sv_password = %d %s", resp.StatusCode, body)
	}
	b := e.as(bob)
	for _, cmd := range []string{"cvarlist", "cvarlist sv_", "cvarlist rcon"} {
		resp, body := b.do("POST", "/api/v1/instances/alpha/rcon", `{"command": "`+cmd+`"}`, nil)
		if resp.StatusCode != http.StatusOK || strings.Contains(body, in.RCONPassword) || strings.Contains(body, "joinpw123") ||
			!strings.Contains(body, "(line hidden: it names a secret cvar)") {
			t.Errorf("bob's %s = %d %s", cmd, resp.StatusCode, body)
		}
	}
	if _, body := b.get("/api/v1/instances/alpha/rcon"); strings.Contains(body, in.RCONPassword) || strings.Contains(body, "joinpw123") {
		t.Errorf("the history bob reads holds a secret: %s", body)
	}
	// What bob keeps: a connection and the password.
	kept, err := srcds.Dial(ctx, addr, in.RCONPassword)
	if err != nil {
		t.Fatalf("the old password before the unshare: %v", err)
	}
	defer kept.Close()

	if resp, body := e.as(admin).post("/instances/alpha/shares/"+strconv.FormatInt(bob.ID, 10)+"/delete", nil); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("unshare = %d %s", resp.StatusCode, body)
	}
	after, err := e.svc.Get(ctx, "alpha")
	if err != nil {
		t.Fatal(err)
	}
	if after.RCONPassword == in.RCONPassword || after.RCONPassword == "" {
		t.Fatal("the unshare did not store a new RCON password")
	}
	if _, err := kept.Exec(ctx, "status"); err == nil {
		t.Error("a connection made with the old password still works after the unshare")
	}
	oldWorks := func(when string) {
		t.Helper()
		c, err := srcds.Dial(ctx, addr, in.RCONPassword)
		if err == nil {
			c.Close()
			t.Errorf("the old password authenticates %s", when)
		} else if !errors.Is(err, srcds.ErrAuth) {
			t.Fatalf("dial with the old password %s: %v", when, err)
		}
	}
	oldWorks("after the unshare")
	status("after the unshare")

	if err := e.svc.Restart(ctx, "alpha"); err != nil {
		t.Fatal(err)
	}
	oldWorks("after a restart")
	status("after a restart")
	c, err := srcds.Dial(ctx, addr, after.RCONPassword)
	if err != nil {
		t.Fatalf("the new password after a restart: %v", err)
	}
	c.Close()
}

// TestSetPasswordLiveOnTheStandIn: the stand-in, like the engine, hangs up
// on every RCON connection as rcon_password is set, the setter's included
// (docs/srcds.md §8), so the set itself gets no reply; SetPassword still
// reports success, because the new password is then accepted, and the old
// one is refused.
func TestSetPasswordLiveOnTheStandIn(t *testing.T) {
	var gs *gameSupervisor
	e := newEnvWith(t, func(e *env, cfg *Config) {
		gs = &gameSupervisor{t: t, root: e.root, st: e.st, running: map[string]func(){}}
		e.svc = instance.NewService(instance.Config{Root: e.root, PortMin: 20000, PortMax: 20999}, e.st, gs)
		cfg.Instances, cfg.States = e.svc, gs
	})
	t.Cleanup(func() { _ = gs.Stop(context.Background(), "alpha") })
	ctx := context.Background()
	alice := e.quickUser("alice", false)
	in, err := e.svc.Create(ctx, instance.Spec{Name: "alpha", OwnerID: alice.ID, Port: freePort(t, 20000, 20999)})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.svc.Start(ctx, "alpha"); err != nil {
		t.Fatal(err)
	}
	sender := RCONConsole(5 * time.Second)
	if _, err := sender.Exec(ctx, in, "status"); err != nil {
		t.Fatalf("status with the launch password: %v", err)
	}
	c := rcon.New(sender, gs, e.st, rcon.Policy{})
	if err := c.SetPassword(ctx, in, "rotated-password-1"); err != nil {
		t.Fatalf("SetPassword on the running stand-in: %v", err)
	}
	if _, err := sender.Exec(ctx, in, "status"); err == nil {
		t.Error("the old password still works after SetPassword")
	}
}
