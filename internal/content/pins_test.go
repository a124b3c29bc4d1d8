package content

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/left4me/left4me/internal/layout"
)

// TestGCKeepsPinnedAndDefaultGenerations: a generation an instance is
// pinned to (started or not) and the held default survive GC long after
// their grace; once unpinned and no longer the default they go.
func TestGCKeepsPinnedAndDefaultGenerations(t *testing.T) {
	root := newRoot(t)
	now := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	publish := func(parent string, at time.Time) string {
		src := filepath.Join(root.Builds(), "out")
		writeTree(t, src, map[string]string{"f": at.String()})
		g, err := Publish(parent, src, "", at)
		if err != nil {
			t.Fatal(err)
		}
		return g
	}
	inst := root.Installations()
	i1 := publish(inst, now.Add(-96*time.Hour))
	i2 := publish(inst, now.Add(-72*time.Hour))
	i3 := publish(inst, now.Add(-48*time.Hour))
	i4 := publish(inst, now.Add(-47*time.Hour))
	lay := filepath.Join(root.Overlays(), "maps")
	l1 := publish(lay, now.Add(-72*time.Hour))
	l2 := publish(lay, now.Add(-48*time.Hour))
	os.RemoveAll(filepath.Join(root.Builds(), "out"))
	// "never" has never started: only its pins name i1 and l1.
	os.MkdirAll(root.Instance("never"), 0o755)
	pins := layout.Pins{layout.PinInstallation: i1, "maps": l1}
	if err := os.WriteFile(root.Pins("never"), pins.Format(), 0o644); err != nil {
		t.Fatal(err)
	}
	// A rollback held i2 as the default.
	if err := layout.SetDefault(inst, i2); err != nil {
		t.Fatal(err)
	}
	if d, _ := layout.Default(inst); d != i2 {
		t.Fatalf("default = %q, want %q", d, i2)
	}
	removed, err := GC(context.Background(), root, GCOptions{Grace: time.Hour, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{filepath.Join(inst, i3)}; !slices.Equal(removed, want) {
		t.Errorf("GC removed %q, want only %q (i1 and l1 pinned, i2 the default, i4 the newest)", removed, want)
	}
	for _, keep := range []string{filepath.Join(inst, i1), filepath.Join(inst, i2), filepath.Join(inst, i4), filepath.Join(lay, l1), filepath.Join(lay, l2)} {
		if _, err := os.Stat(keep); err != nil {
			t.Errorf("%s removed: %v", keep, err)
		}
	}
	// Unpinned and back on the newest: they go.
	os.Remove(root.Pins("never"))
	if err := layout.SetDefault(inst, ""); err != nil {
		t.Fatal(err)
	}
	removed, err = GC(context.Background(), root, GCOptions{Grace: time.Hour, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(removed)
	want := []string{filepath.Join(inst, i1), filepath.Join(inst, i2), filepath.Join(lay, l1)}
	slices.Sort(want)
	if !slices.Equal(removed, want) {
		t.Errorf("GC after unpinning removed %q, want %q", removed, want)
	}
	// A pins file GC cannot read stops it.
	os.WriteFile(root.Pins("never"), []byte("garbage\n"), 0o644)
	if _, err := GC(context.Background(), root, GCOptions{Now: now}); err == nil {
		t.Error("GC with an unreadable pins file did not fail")
	}
}

// TestStaleFollowsPinsAndDefault: an instance is stale when its next start
// would pick another generation: pinned ones count, and a held default
// below the newest is what unpinned instances move to.
func TestStaleFollowsPinsAndDefault(t *testing.T) {
	root, i1, i2, _ := staleFixture(t)
	g1, g2 := filepath.Base(i1), filepath.Base(i2)
	if d, _ := layout.Default(root.Installations()); d != g2 {
		t.Fatalf("default = %q, want the newest %q", d, g2)
	}
	// b is pinned to g1: not stale; c (on g2) pinned to g1: stale.
	os.WriteFile(root.Pins("b"), layout.Pins{layout.PinInstallation: g1}.Format(), 0o644)
	os.WriteFile(root.Pins("c"), layout.Pins{layout.PinInstallation: g1}.Format(), 0o644)
	stacks, err := Stacks(root)
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]Stack{}
	for _, st := range stacks {
		byName[st.Name] = st
	}
	if len(byName["a"].Stale) != 1 || len(byName["b"].Stale) != 0 || len(byName["c"].Stale) != 1 || byName["c"].Stale[0].Newest != g1 {
		t.Errorf("with pins: %+v", stacks)
	}
	if !slices.Equal(byName["b"].Pinned, []string{"installation=" + g1}) {
		t.Errorf("b.Pinned = %q", byName["b"].Pinned)
	}
	// Rolled back to g1: a is no longer stale.
	if err := layout.SetDefault(root.Installations(), g1); err != nil {
		t.Fatal(err)
	}
	stale, err := Stale(root)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, st := range stale {
		names = append(names, st.Name)
	}
	if !slices.Equal(names, []string{"c"}) {
		t.Errorf("stale after the rollback = %v, want [c]", names)
	}
	gens, err := InstallGenerations(root)
	if err != nil {
		t.Fatal(err)
	}
	if !gens[0].Default || gens[1].Default || !gens[1].Newest || !slices.Equal(gens[0].PinnedBy, []string{"b", "c"}) {
		t.Errorf("InstallGenerations = %+v", gens)
	}
}
