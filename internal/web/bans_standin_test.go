package web

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/left4me/left4me/internal/bans"
	"github.com/left4me/left4me/internal/instance"
	"github.com/left4me/left4me/internal/rcon"
	"github.com/left4me/left4me/internal/store"
)

// standinBans is a real panel with three instances of the stand-in game
// server, the ban service as the panel builds it, and a console to look
// at the servers.
type standinBans struct {
	t       *testing.T
	p       *realPanel
	admin   store.User
	console *rcon.Console
	bans    *bans.Service
}

func newStandinBans(t *testing.T, names ...string) *standinBans {
	t.Helper()
	p := startRealPanel(t)
	bg := context.Background()
	admin, err := p.store.UserByName(bg, "admin")
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range names {
		if _, err := p.svc.Create(bg, instance.Spec{Name: n, OwnerID: admin.ID, Layers: []string{"example"}}); err != nil {
			t.Fatal(err)
		}
	}
	console := rcon.New(RCONConsole(5*time.Second), p.svc, p.store, rcon.Policy{})
	return &standinBans{t: t, p: p, admin: admin, console: console,
		bans: bans.New(bans.Config{Store: p.store, Instances: p.svc, Console: console})}
}

// exec sends a command to a running instance and returns the reply.
func (e *standinBans) exec(name, command string) string {
	e.t.Helper()
	ctx := context.Background()
	in, err := e.p.svc.Get(ctx, name)
	if err != nil {
		e.t.Fatal(err)
	}
	var last error
	for range 50 { // the server may still be starting up
		entry, err := e.console.Send(ctx, in, rcon.User{MaySeeSecrets: true}, command)
		if err == nil {
			return entry.Response
		}
		last = err
		time.Sleep(100 * time.Millisecond)
	}
	e.t.Fatalf("%s on %s: %v", command, name, last)
	return ""
}

func (e *standinBans) start(names ...string) {
	e.t.Helper()
	for _, n := range names {
		if err := e.p.svc.Do(context.Background(), instance.Start, n); err != nil {
			e.t.Fatalf("start %s: %v", n, err)
		}
		e.exec(n, "echo up")
	}
}

// TestBansAgainstStandin: a ban kicks the player from two running
// instances and is staged for a stopped one (in its left4me_bans.cfg at
// the next start, after which the player cannot join); bad input names
// its field and changes nothing; an expired ban is lifted everywhere.
func TestBansAgainstStandin(t *testing.T) {
	e := newStandinBans(t, "one", "two", "three")
	ctx := context.Background()
	e.start("one", "two")
	for _, n := range []string{"one", "two"} {
		e.exec(n, "fakesrcds_join STEAM_1:1:42 Villain")
		if st := e.exec(n, "status"); !strings.Contains(st, "STEAM_1:1:42") {
			t.Fatalf("the player did not join %s:\n%s", n, st)
		}
	}

	bad := []struct {
		spec  bans.Spec
		field string
	}{
		{bans.Spec{SteamID: "STEAM_1:2:42"}, bans.FieldSteamID},
		{bans.Spec{SteamID: "villain"}, bans.FieldSteamID},
		{bans.Spec{SteamID: "STEAM_1:1:42", Duration: "-10"}, bans.FieldDuration},
		{bans.Spec{SteamID: "STEAM_1:1:42", Duration: "-2h"}, bans.FieldDuration},
		{bans.Spec{SteamID: "STEAM_1:1:42", Instances: []string{"nope"}}, bans.FieldInstance},
		{bans.Spec{SteamID: "STEAM_1:1:42", Reason: `bye"; quit`}, bans.FieldReason},
	}
	for _, c := range bad {
		_, _, err := e.bans.Add(ctx, e.admin, c.spec)
		var fe *instance.FieldError
		if !errors.As(err, &fe) || fe.Field != c.field {
			t.Errorf("Add(%+v) = %v, want a FieldError naming %s", c.spec, err, c.field)
		}
	}
	if list, err := e.p.store.ActiveBans(ctx, time.Now()); err != nil || len(list) != 0 {
		t.Fatalf("bad input stored bans: %+v, %v", list, err)
	}
	if st := e.exec("one", "status"); !strings.Contains(st, "STEAM_1:1:42") {
		t.Fatalf("bad input kicked the player:\n%s", st)
	}

	b, pushes, err := e.bans.Add(ctx, e.admin, bans.Spec{SteamID: "[U:1:85]", Duration: "5m", Reason: "griefing"})
	if err != nil {
		t.Fatal(err)
	}
	if b.SteamID != "STEAM_1:1:42" || strings.Join(b.Instances, ",") != "one,three,two" {
		t.Errorf("ban = %+v, want STEAM_1:1:42 on one, three and two", b)
	}
	if len(pushes) != 2 || pushes[0].Err != nil || pushes[1].Err != nil {
		t.Errorf("pushes = %+v, want one and two, no errors", pushes)
	}
	for _, n := range []string{"one", "two"} {
		if st := e.exec(n, "status"); strings.Contains(st, "STEAM_1:1:42") {
			t.Errorf("the banned player is still on %s:\n%s", n, st)
		}
		if out := e.exec(n, "fakesrcds_join STEAM_1:1:42 Villain"); !strings.Contains(out, "banned") {
			t.Errorf("the banned player joined %s again: %q", n, out)
		}
	}

	e.start("three")
	cfg, err := os.ReadFile(filepath.Join(filepath.Dir(e.p.root.UpperServerCfg("three")), instance.BansCfgName))
	if err != nil || !strings.Contains(string(cfg), "banid 5 STEAM_1:1:42\n") {
		t.Errorf("three's staged %s = %q, %v; want the ban's line", instance.BansCfgName, cfg, err)
	}
	if out := e.exec("three", "fakesrcds_join STEAM_1:1:42 Villain"); !strings.Contains(out, "banned") {
		t.Errorf("the banned player joined three after its start: %q", out)
	}

	later := bans.New(bans.Config{Store: e.p.store, Instances: e.p.svc, Console: e.console,
		Now: func() time.Time { return time.Now().Add(6 * time.Minute) }})
	if n, err := later.Expire(ctx); err != nil || n != 1 {
		t.Fatalf("Expire = %d, %v; want the one ban", n, err)
	}
	if list, err := e.p.store.ActiveBans(ctx, time.Now()); err != nil || len(list) != 0 {
		t.Errorf("after expiry the store still has %+v (%v)", list, err)
	}
	for _, n := range []string{"one", "two", "three"} {
		if out := e.exec(n, "listid"); strings.Contains(out, "STEAM_1:1:42") {
			t.Errorf("%s still bans the player after expiry:\n%s", n, out)
		}
		e.exec(n, "fakesrcds_join STEAM_1:1:42 Villain")
		if st := e.exec(n, "status"); !strings.Contains(st, "STEAM_1:1:42") {
			t.Errorf("the player cannot join %s after the ban expired:\n%s", n, st)
		}
	}
}
