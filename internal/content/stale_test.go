package content

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/left4me/left4me/internal/instance"
	"github.com/left4me/left4me/internal/layout"
	"github.com/left4me/left4me/internal/overlay"
)

// fakeInstances stands in for the instance service: a list, a state per
// instance, and restarts recorded (or failing for one name).
type fakeInstances struct {
	names   []string
	running map[string]bool
	done    []string
	fail    string
}

func (f *fakeInstances) List(ctx context.Context) ([]instance.Instance, error) {
	var out []instance.Instance
	for _, n := range f.names {
		out = append(out, instance.Instance{Name: n})
	}
	return out, nil
}

func (f *fakeInstances) Status(ctx context.Context, name string) (instance.Status, error) {
	if f.running[name] {
		return instance.Status{State: instance.Running}, nil
	}
	return instance.Status{State: instance.Stopped}, nil
}

func (f *fakeInstances) Restart(ctx context.Context, name string) error {
	if name == f.fail {
		return errors.New("boom")
	}
	f.done = append(f.done, name)
	return nil
}

// staleFixture publishes installation generation i1 and layer generation
// l1, stages a (maps over i1), b (i1) and an instance never started, then
// publishes i2 and stages c on it.
func staleFixture(t *testing.T) (root layout.Root, i1, i2, l1 string) {
	t.Helper()
	root = newRoot(t)
	now := time.Now()
	pub := func(parent string) string {
		src := filepath.Join(root.Builds(), "x")
		os.MkdirAll(src, 0o755)
		g, err := Publish(parent, src, "", now)
		if err != nil {
			t.Fatal(err)
		}
		return filepath.Join(parent, g)
	}
	writeEnv := func(name string, dirs ...string) {
		os.MkdirAll(root.Instance(name), 0o755)
		if err := overlay.WriteEnvFile(root.InstanceEnv(name), overlay.Env{Port: 27015, LowerDirs: dirs}, os.Getuid(), os.Getgid()); err != nil {
			t.Fatal(err)
		}
	}
	i1 = pub(root.Installations())
	l1 = pub(filepath.Join(root.Overlays(), "maps"))
	writeEnv("a", l1, i1)
	writeEnv("b", i1)
	os.MkdirAll(root.Instance("never"), 0o755)
	if s, err := Stale(root); err != nil || len(s) != 0 {
		t.Fatalf("nothing newer yet: %+v %v", s, err)
	}
	i2 = pub(root.Installations())
	writeEnv("c", l1, i2)
	return root, i1, i2, l1
}

func TestStacksAndStale(t *testing.T) {
	root, i1, i2, _ := staleFixture(t)
	g1, g2 := filepath.Base(i1), filepath.Base(i2)
	stale := StaleLayer{Parent: root.Installations(), Current: g1, Newest: g2}
	stacks, err := Stacks(root)
	if err != nil {
		t.Fatal(err)
	}
	want := []Stack{
		{Name: "a", Install: g1, Stale: []StaleLayer{stale}},
		{Name: "b", Install: g1, Stale: []StaleLayer{stale}},
		{Name: "c", Install: g2},
	}
	if !reflect.DeepEqual(stacks, want) {
		t.Errorf("Stacks = %+v\nwant %+v", stacks, want)
	}
	s, err := Stale(root)
	if err != nil || !reflect.DeepEqual(s, want[:2]) {
		t.Errorf("Stale = %+v, %v\nwant %+v", s, err, want[:2])
	}
	if got, want := stale.String(), "installation "+g1+" → "+g2; got != want {
		t.Errorf("String = %q, want %q", got, want)
	}
	if got := (StaleLayer{Layer: "maps", Current: "1", Newest: "2"}).String(); got != "layer maps 1 → 2" {
		t.Errorf("String of a layer = %q", got)
	}

	// A new layer generation makes a and c stale on the layer too.
	src := filepath.Join(root.Builds(), "y")
	os.MkdirAll(src, 0o755)
	l2, err := Publish(filepath.Join(root.Overlays(), "maps"), src, "", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	s, err = Stale(root)
	if err != nil || len(s) != 3 || s[2].Name != "c" || len(s[2].Stale) != 1 || s[2].Stale[0].Layer != "maps" || s[2].Stale[0].Newest != l2 {
		t.Errorf("Stale after a layer build = %+v, %v", s, err)
	}
}

func TestInstallGenerations(t *testing.T) {
	root, i1, i2, _ := staleFixture(t)
	gens, err := InstallGenerations(root)
	if err != nil {
		t.Fatal(err)
	}
	want := []InstallGeneration{
		{Name: filepath.Base(i1), UsedBy: []string{"a", "b"}},
		{Name: filepath.Base(i2), Newest: true, Default: true, UsedBy: []string{"c"}},
	}
	if !reflect.DeepEqual(gens, want) {
		t.Errorf("InstallGenerations = %+v\nwant %+v", gens, want)
	}
}

func TestRollingRestart(t *testing.T) {
	r := &fakeInstances{}
	if done, err := RollingRestart(context.Background(), r, []string{"a", "b"}, NopProgress{}); err != nil || !reflect.DeepEqual(done, []string{"a", "b"}) || !reflect.DeepEqual(r.done, done) {
		t.Errorf("rolling restart: %v %q %q", err, done, r.done)
	}
	r = &fakeInstances{fail: "b"}
	if done, err := RollingRestart(context.Background(), r, []string{"a", "b", "c"}, NopProgress{}); err == nil || !reflect.DeepEqual(done, []string{"a"}) || !reflect.DeepEqual(r.done, done) {
		t.Errorf("rolling restart past a failure: %v %q %q", err, done, r.done)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	r = &fakeInstances{}
	if done, err := RollingRestart(ctx, r, []string{"a"}, NopProgress{}); !errors.Is(err, context.Canceled) || len(done)+len(r.done) != 0 {
		t.Errorf("cancelled rolling restart: %v %q %q", err, done, r.done)
	}
}

// TestRestartStale: only running, recorded instances on an older
// generation are restarted; a failure stops the round.
func TestRestartStale(t *testing.T) {
	root, _, _, _ := staleFixture(t)
	ctx := context.Background()
	// a and c run, b is stopped; "gone" has an instance.env but no record.
	os.MkdirAll(root.Instance("gone"), 0o755)
	if err := overlay.WriteEnvFile(root.InstanceEnv("gone"), overlay.Env{Port: 27016, LowerDirs: []string{root.Installation("000001-x")}}, os.Getuid(), os.Getgid()); err != nil {
		t.Fatal(err)
	}
	in := &fakeInstances{names: []string{"a", "b", "c", "never"}, running: map[string]bool{"a": true, "c": true, "gone": true}}
	stale, done, err := RestartStale(ctx, root, in, NopProgress{})
	if err != nil || !reflect.DeepEqual(stale, []string{"a"}) || !reflect.DeepEqual(done, []string{"a"}) || !reflect.DeepEqual(in.done, done) {
		t.Errorf("RestartStale = %q, %q, %v (restarted %q); want a", stale, done, err, in.done)
	}
	in = &fakeInstances{names: []string{"a", "b"}, running: map[string]bool{"a": true, "b": true}, fail: "a"}
	stale, done, err = RestartStale(ctx, root, in, NopProgress{})
	if err == nil || !reflect.DeepEqual(stale, []string{"a", "b"}) || len(done) != 0 || len(in.done) != 0 {
		t.Errorf("RestartStale past a failure = %q, %q, %v (restarted %q)", stale, done, err, in.done)
	}
	in = &fakeInstances{names: []string{"b"}}
	if stale, done, err := RestartStale(ctx, root, in, NopProgress{}); err != nil || stale != nil || done != nil {
		t.Errorf("RestartStale with nothing running = %q, %q, %v", stale, done, err)
	}
}
