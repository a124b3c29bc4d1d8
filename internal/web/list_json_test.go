package web

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/left4me/left4me/internal/instance"
	"github.com/left4me/left4me/internal/views"
)

// settableLive is a live source the test changes at will.
type settableLive struct {
	mu    sync.Mutex
	state map[string]LiveState
}

func (l *settableLive) set(name string, st LiveState) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.state[name] = st
}

func (l *settableLive) Live(name string) (LiveState, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	st, ok := l.state[name]
	if ok {
		st.Players = append([]LivePlayer(nil), st.Players...) // the poller hands out copies
	}
	return st, ok
}

// TestJSONListNeverStale: the JSON list reuses each instance's encoded
// view, yet after every change (a start, a join with the same poll time,
// a map change, a restart whose new run the poller has not seen, a stop)
// the next list is byte for byte what encoding the fresh views answers,
// and shows the change; each viewer sees only its instances, the RCON
// password only where it may, whoever asked before.
func TestJSONListNeverStale(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	admin := e.quickUser("root", true)
	bob := e.quickUser("bob", false)
	alpha := e.mustCreate("alpha", admin)
	e.mustCreate("beta", admin)
	if err := e.st.SetShare(ctx, "alpha", bob.ID, "viewer"); err != nil {
		t.Fatal(err)
	}
	lv := &settableLive{state: map[string]LiveState{}}
	e.srv.cfg.Live = lv
	asAdmin, asBob := e.as(admin), e.as(bob)

	// list answers the list twice: as served (with the cache) and as
	// json.Encoder writes the same views (without it); they must be equal.
	list := func(c *client) (string, map[string]views.Instance) {
		t.Helper()
		for range 2 { // the second answer comes from the cache
			e.srv.oldListJSON = false
			_, got := c.get("/api/v1/instances")
			e.srv.oldListJSON = true
			_, want := c.get("/api/v1/instances")
			e.srv.oldListJSON = false
			if got != want {
				t.Fatalf("the list differs from a fresh encoding of the views:\n%s\nwant\n%s", got, want)
			}
		}
		_, body := c.get("/api/v1/instances")
		var doc struct{ Instances []views.Instance }
		if err := json.Unmarshal([]byte(body), &doc); err != nil {
			t.Fatalf("%v: %s", err, body)
		}
		out := map[string]views.Instance{}
		for _, v := range doc.Instances {
			out[v.Name] = v
		}
		return body, out
	}
	players := func(v views.Instance) string {
		if v.Live == nil {
			return "no live state"
		}
		var names []string
		for _, p := range v.Live.Players {
			names = append(names, p.Name)
		}
		return v.Live.Map + ": " + strings.Join(names, ",")
	}
	polled := time.Date(2026, 12, 1, 6, 0, 0, 0, time.UTC)
	snapshot := func(run time.Time, mapName string, names ...string) LiveState {
		st := LiveState{Online: true, Map: mapName, MaxPlayers: 8, UpdatedAt: polled, Run: run}
		for _, n := range names {
			st.Players = append(st.Players, LivePlayer{Name: n, Connected: time.Minute})
			st.Humans++
		}
		return st
	}
	step := func(what, want string) {
		t.Helper()
		for _, c := range []*client{asAdmin, asBob} {
			if _, l := list(c); players(l["alpha"]) != want {
				t.Errorf("%s: alpha shows %q, want %q", what, players(l["alpha"]), want)
			}
		}
	}

	step("stopped", "no live state")
	if err := e.svc.Do(ctx, instance.Start, "alpha"); err != nil {
		t.Fatal(err)
	}
	run1, _ := e.sup.Status(ctx, "alpha")
	lv.set("alpha", snapshot(run1.Since, "c1m1_hotel", "Bill"))
	step("started", "c1m1_hotel: Bill")
	// The same poll time: nothing but the content says it changed.
	lv.set("alpha", snapshot(run1.Since, "c1m1_hotel", "Bill", "Zoey"))
	step("a join", "c1m1_hotel: Bill,Zoey")
	lv.set("alpha", snapshot(run1.Since, "c1m2_streets", "Bill", "Zoey"))
	step("a map change", "c1m2_streets: Bill,Zoey")
	time.Sleep(time.Millisecond) // the new run starts at another time
	if err := e.svc.Do(ctx, instance.Restart, "alpha"); err != nil {
		t.Fatal(err)
	}
	step("a restart the poller has not seen yet", "no live state") // the previous run's players never
	run2, _ := e.sup.Status(ctx, "alpha")
	lv.set("alpha", snapshot(run2.Since, "c1m1_hotel"))
	step("the new run polled", "c1m1_hotel: ")
	if err := e.svc.Do(ctx, instance.Stop, "alpha"); err != nil {
		t.Fatal(err)
	}
	step("stopped again", "no live state")

	// Who sees what, asked in turns so that each answer could come from
	// the other viewer's cached bytes.
	for range 2 {
		body, l := list(asAdmin)
		if len(l) != 2 || !strings.Contains(body, alpha.RCONPassword) || l["alpha"].RCONPassword != alpha.RCONPassword {
			t.Errorf("the admin's list: %d instances, alpha's password %q", len(l), l["alpha"].RCONPassword)
		}
		body, l = list(asBob)
		if _, ok := l["beta"]; ok || len(l) != 1 {
			t.Errorf("bob (a viewer of alpha) sees %d instances: %v", len(l), l)
		}
		if strings.Contains(body, alpha.RCONPassword) || strings.Contains(body, "rcon_password") {
			t.Errorf("bob, a viewer, is shown the RCON password:\n%s", body)
		}
	}
}

// TestSameViewComparesEveryField: changing any one field of a view, its
// live state or a player (those the JSON leaves out included) makes it
// another view; a field added to the views and not to sameView fails here.
func TestSameViewComparesEveryField(t *testing.T) {
	at := time.Date(2026, 12, 1, 6, 0, 0, 0, time.UTC)
	base := func() views.Instance {
		return views.Instance{Name: "alpha", Layers: []string{"maps"}, Args: []string{"+map"}, Since: at,
			LastLines: []string{"x"}, Pins: map[string]string{"installation": "1"}, Stale: []string{"s"},
			Live: &views.Live{Online: true, Run: at, Players: []views.Player{{Name: "Bill"}}}}
	}
	if !sameView(base(), base()) {
		t.Fatal("two equal views are not the same")
	}
	// Each field changed in turn, at every level.
	type target struct {
		path string
		get  func(*views.Instance) reflect.Value
	}
	targets := []target{
		{"Instance", func(v *views.Instance) reflect.Value { return reflect.ValueOf(v).Elem() }},
		{"Live", func(v *views.Instance) reflect.Value { return reflect.ValueOf(v.Live).Elem() }},
		{"Player", func(v *views.Instance) reflect.Value { return reflect.ValueOf(&v.Live.Players[0]).Elem() }},
	}
	for _, tg := range targets {
		typ := tg.get(&views.Instance{Live: &views.Live{Players: []views.Player{{}}}}).Type()
		for i := range typ.NumField() {
			f := typ.Field(i)
			for _, variant := range []int{0, 1} {
				v := base()
				fv := tg.get(&v).Field(i)
				if !change(fv, variant) {
					continue
				}
				if sameView(base(), v) {
					t.Errorf("%s.%s changed (variant %d) and sameView says the views are the same", tg.path, f.Name, variant)
				}
			}
		}
	}
}

// change changes v; variant 1 tries a second kind of change (a slice or
// map made nil or empty, a pointer made nil). It reports whether it did.
func change(v reflect.Value, variant int) bool {
	if variant == 1 {
		switch v.Kind() {
		case reflect.Slice, reflect.Map:
			if v.IsNil() {
				v.Set(reflect.MakeSlice(v.Type(), 0, 0))
			} else if v.Kind() == reflect.Slice {
				v.Set(reflect.MakeSlice(v.Type(), 0, 0))
			} else {
				v.Set(reflect.Zero(v.Type()))
			}
			return true
		case reflect.Pointer:
			v.Set(reflect.Zero(v.Type()))
			return true
		}
		return false
	}
	switch v.Kind() {
	case reflect.String:
		v.SetString(v.String() + "x")
	case reflect.Int, reflect.Int64:
		v.SetInt(v.Int() + 1)
	case reflect.Bool:
		v.SetBool(!v.Bool())
	case reflect.Struct:
		t, ok := v.Interface().(time.Time)
		if !ok {
			panic("change: a struct field other than time.Time: " + v.Type().String())
		}
		v.Set(reflect.ValueOf(t.Add(time.Second)))
	case reflect.Slice:
		v.Set(reflect.Append(v, reflect.Zero(v.Type().Elem())))
	case reflect.Map:
		m := reflect.MakeMap(v.Type())
		m.SetMapIndex(reflect.ValueOf("other"), reflect.ValueOf("2"))
		v.Set(m)
	case reflect.Pointer:
		v.Set(reflect.New(v.Type().Elem()))
	default:
		panic("change: a field of kind " + v.Kind().String())
	}
	return true
}

// TestJSONListCacheKeepsOtherViewers: a viewer who sees one instance does
// not empty the cache of encoded views that an administrator's list of
// many filled (the bound counts every instance, not the viewer's).
func TestJSONListCacheKeepsOtherViewers(t *testing.T) {
	e := newEnv(t)
	admin := e.quickUser("root", true)
	bob := e.quickUser("bob", false)
	for i := range 24 {
		e.mustCreate(fmt.Sprintf("server-%02d", i), admin)
	}
	if err := e.st.SetShare(context.Background(), "server-00", bob.ID, "viewer"); err != nil {
		t.Fatal(err)
	}
	e.as(admin).get("/api/v1/instances")
	e.as(bob).get("/api/v1/instances")
	e.srv.listJSON.mu.Lock()
	n := len(e.srv.listJSON.entries)
	e.srv.listJSON.mu.Unlock()
	if n != 25 { // the admin's 24 views (with passwords) and bob's one
		t.Errorf("the cache keeps %d encoded views, want 25", n)
	}
}
