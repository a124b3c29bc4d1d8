package instance

import (
	"context"
	"reflect"
	"slices"
	"testing"
)

// TestAutostartIsASetting: Start and Stop never change an instance's
// autostart setting; Create, Update and SetAutostart do; the boot
// autostart starts only the instances that were running with it on.
func TestAutostartIsASetting(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	off := false
	for _, sp := range []Spec{
		{Name: "on", OwnerID: f.owner},
		{Name: "off", OwnerID: f.owner, Autostart: &off},
		{Name: "later", OwnerID: f.owner},
	} {
		if _, err := f.svc.Create(ctx, sp); err != nil {
			t.Fatal(err)
		}
	}
	setting := func(name string) bool {
		t.Helper()
		in, err := f.svc.Get(ctx, name)
		if err != nil {
			t.Fatal(err)
		}
		return in.Autostart
	}
	if !setting("on") || setting("off") || !setting("later") {
		t.Fatalf("after create: on=%v off=%v later=%v", setting("on"), setting("off"), setting("later"))
	}
	for _, n := range []string{"on", "off", "later"} {
		if err := f.svc.Start(ctx, n); err != nil {
			t.Fatal(err)
		}
	}
	if !setting("on") || setting("off") {
		t.Error("Start changed the autostart setting")
	}
	if err := f.svc.Stop(ctx, "on"); err != nil {
		t.Fatal(err)
	}
	if !setting("on") {
		t.Error("Stop turned autostart off")
	}
	if err := f.svc.Start(ctx, "on"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Update(ctx, "later", Update{Autostart: &off}); err != nil {
		t.Fatal(err)
	}
	if setting("later") {
		t.Error("Update did not turn autostart off")
	}
	// A reboot: every instance was running (the supervisor forgets them);
	// only "on" comes back.
	for _, n := range []string{"on", "off", "later"} {
		if err := f.sup.Stop(ctx, n); err != nil {
			t.Fatal(err)
		}
	}
	f.sup.takeCalls()
	if err := f.svc.Autostart(ctx); err != nil {
		t.Fatal(err)
	}
	c := f.sup.takeCalls()
	slices.Sort(c)
	if !reflect.DeepEqual(c, []string{"start on"}) {
		t.Errorf("autostart calls = %v, want only on", c)
	}
	if err := f.svc.SetAutostart(ctx, "off", true); err != nil {
		t.Fatal(err)
	}
	if !setting("off") {
		t.Error("SetAutostart did not turn it on")
	}
	if err := f.svc.SetAutostart(ctx, "missing", true); err == nil {
		t.Error("SetAutostart of a missing instance succeeded")
	}
}
