package instance

import (
	"context"
	"errors"
	"os"
	"reflect"
	"testing"

	"github.com/left4me/left4me/internal/layout"
	"github.com/left4me/left4me/internal/overlay"
)

// TestPinsChooseTheStartedGeneration: a pinned installation or layer is
// staged on its pinned generation, an unpinned one on the default; a held
// default (a rollback) is what unpinned instances start on.
func TestPinsChooseTheStartedGeneration(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	if _, err := f.svc.Create(ctx, Spec{Name: "vs", OwnerID: f.owner, Layers: []string{"maps", "zonemod"}}); err != nil {
		t.Fatal(err)
	}
	lowers := func() []string {
		t.Helper()
		if err := f.svc.Start(ctx, "vs"); err != nil {
			t.Fatal(err)
		}
		if err := f.svc.Stop(ctx, "vs"); err != nil {
			t.Fatal(err)
		}
		env, err := overlay.ReadEnvFile(f.root.InstanceEnv("vs"))
		if err != nil {
			t.Fatal(err)
		}
		return env.LowerDirs
	}
	in, err := f.svc.Update(ctx, "vs", Update{Pin: map[string]string{layout.PinInstallation: "20260101", "zonemod": "1"}})
	if err != nil {
		t.Fatal(err)
	}
	if want := (layout.Pins{"installation": "20260101", "zonemod": "1"}); !reflect.DeepEqual(in.Pins, want) {
		t.Errorf("Pins = %v, want %v", in.Pins, want)
	}
	want := []string{f.root.Overlay("maps", "7"), f.root.Overlay("zonemod", "1"), f.root.Installation("20260101")}
	if got := lowers(); !reflect.DeepEqual(got, want) {
		t.Errorf("pinned start on %q, want %q", got, want)
	}
	if _, err := f.svc.Update(ctx, "vs", Update{Unpin: []string{"zonemod"}}); err != nil {
		t.Fatal(err)
	}
	want[1] = f.root.Overlay("zonemod", "2")
	if got := lowers(); !reflect.DeepEqual(got, want) {
		t.Errorf("after unpinning zonemod: %q, want %q", got, want)
	}
	if _, err := f.svc.Update(ctx, "vs", Update{Unpin: []string{UnpinAll}}); err != nil {
		t.Fatal(err)
	}
	want[2] = f.root.Installation("20260301")
	if got := lowers(); !reflect.DeepEqual(got, want) {
		t.Errorf("unpinned: %q, want %q", got, want)
	}
	// A rollback: the held default is what an unpinned start picks.
	if err := layout.SetDefault(f.root.Installations(), "20260101"); err != nil {
		t.Fatal(err)
	}
	want[2] = f.root.Installation("20260101")
	if got := lowers(); !reflect.DeepEqual(got, want) {
		t.Errorf("after a rollback: %q, want %q", got, want)
	}
	// Removing a layer drops its pin.
	if _, err := f.svc.Update(ctx, "vs", Update{Pin: map[string]string{"maps": "7"}}); err != nil {
		t.Fatal(err)
	}
	layers := []string{"zonemod"}
	if in, err := f.svc.Update(ctx, "vs", Update{Layers: &layers}); err != nil || len(in.Pins) != 0 {
		t.Errorf("pins after removing the layer: %v, %v", in.Pins, err)
	}
	// A pinned generation removed by hand: the start says what to do.
	if _, err := f.svc.Update(ctx, "vs", Update{Pin: map[string]string{"zonemod": "1"}}); err != nil {
		t.Fatal(err)
	}
	os.Remove(f.root.Overlay("zonemod", "1"))
	if err := f.svc.Start(ctx, "vs"); !errors.Is(err, ErrNoLayer) {
		t.Errorf("start pinned to a removed generation: %v", err)
	}
}

// TestPinRefusesBadInput: a pin of a missing generation, of something that
// is neither the installation nor a layer of the instance, and an unpin of
// such a thing are FieldErrors naming pin or unpin; nothing changes.
func TestPinRefusesBadInput(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	if _, err := f.svc.Create(ctx, Spec{Name: "vs", OwnerID: f.owner, Port: 27015, Layers: []string{"zonemod"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Update(ctx, "vs", Update{Pin: map[string]string{"zonemod": "2"}}); err != nil {
		t.Fatal(err)
	}
	port := 27017
	for _, c := range []struct {
		u     Update
		field string
	}{
		{Update{Port: &port, Pin: map[string]string{layout.PinInstallation: "20990101"}}, FieldPin},
		{Update{Port: &port, Pin: map[string]string{"zonemod": "9"}}, FieldPin},
		{Update{Port: &port, Pin: map[string]string{"maps": "7"}}, FieldPin}, // not a layer of vs
		{Update{Port: &port, Pin: map[string]string{layout.PinInstallation: "../20260101"}}, FieldPin},
		{Update{Port: &port, Unpin: []string{"maps"}}, FieldUnpin},
	} {
		_, err := f.svc.Update(ctx, "vs", c.u)
		var fe *FieldError
		if !errors.As(err, &fe) || fe.Field != c.field || !errors.Is(err, ErrInvalid) {
			t.Errorf("Update %+v: %v, want a FieldError naming %s", c.u, err, c.field)
		}
		in, _ := f.svc.Get(ctx, "vs")
		if in.Port != 27015 || !reflect.DeepEqual(in.Pins, layout.Pins{"zonemod": "2"}) {
			t.Errorf("after the refused %+v: port %d, pins %v", c.u, in.Port, in.Pins)
		}
	}
}

// TestCloneKeepsThePins: a clone has its source's stack, generations
// included, so it starts on what the source starts on.
func TestCloneKeepsThePins(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	if _, err := f.svc.Create(ctx, Spec{Name: "vs", OwnerID: f.owner, Layers: []string{"maps", "zonemod"}}); err != nil {
		t.Fatal(err)
	}
	pins := map[string]string{layout.PinInstallation: "20260101", "zonemod": "1"}
	if _, err := f.svc.Update(ctx, "vs", Update{Pin: pins}); err != nil {
		t.Fatal(err)
	}
	in, err := f.svc.Clone(ctx, "vs", CloneSpec{Name: "vs2"})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(in.Pins, layout.Pins(pins)) {
		t.Errorf("clone's pins = %v, want the source's %v", in.Pins, pins)
	}
	if err := f.svc.Start(ctx, "vs2"); err != nil {
		t.Fatal(err)
	}
	env, err := overlay.ReadEnvFile(f.root.InstanceEnv("vs2"))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{f.root.Overlay("maps", "7"), f.root.Overlay("zonemod", "1"), f.root.Installation("20260101")}
	if !reflect.DeepEqual(env.LowerDirs, want) {
		t.Errorf("clone started on %q, want the source's pinned stack %q", env.LowerDirs, want)
	}
}
