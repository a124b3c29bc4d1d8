package workshop

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/left4me/left4me/internal/overlay"
)

func TestGC(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	one := f.item(t, 1, "One", 100)
	f.item(t, 2, "Two", 200)
	gen1 := f.add(t, "maps", "1", "2").Generation
	f.item(t, 1, "One", 101)
	f.item(t, 2, "Two", 201)
	if _, err := f.svc.Refresh(ctx, nil); err != nil {
		t.Fatal(err)
	}
	// An instance names item 2's old revision directly as a lower layer.
	old2 := f.root.WorkshopItem("2", "200")
	env, err := overlay.Env{LowerDirs: []string{old2, f.root.Installation("g1")}, Port: 27015}.Encode()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(f.root.Instance("a"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(f.root.InstanceEnv("a"), env, 0o644); err != nil {
		t.Fatal(err)
	}
	// The first generation links revision 100 of item 1.
	genFile := filepath.Join(f.root.Overlay("maps", gen1), "left4dead2", "addons", "1.vpk")

	// Within the grace period nothing goes.
	if removed, err := f.svc.GC(ctx, time.Hour); err != nil || len(removed) != 0 {
		t.Fatalf("GC within grace = %v, %v", removed, err)
	}
	removed, err := f.svc.GC(ctx, time.Nanosecond)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{f.root.WorkshopItem("1", "100")}; !reflect.DeepEqual(removed, want) {
		t.Errorf("removed %v, want %v", removed, want)
	}
	for _, keep := range []string{old2, f.root.WorkshopItem("1", "101"), f.root.WorkshopItem("2", "201")} {
		if _, err := os.Stat(keep); err != nil {
			t.Errorf("%s: %v", keep, err)
		}
	}
	// The old generation still has its file: a hard link, not a reference.
	if b, err := os.ReadFile(genFile); err != nil || !bytes.Equal(b, one.Data) {
		t.Errorf("first generation's file after GC: %v", err)
	}
}
