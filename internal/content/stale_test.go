package content

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/left4me/left4me/internal/overlay"
)

type fakeRestarter struct {
	done []string
	fail string
}

func (f *fakeRestarter) Restart(ctx context.Context, name string) error {
	if name == f.fail {
		return errors.New("boom")
	}
	f.done = append(f.done, name)
	return nil
}

func TestStaleAndRollingRestart(t *testing.T) {
	root := newRoot(t)
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
	i1 := pub(root.Installations())
	l1 := pub(filepath.Join(root.Overlays(), "maps"))
	writeEnv := func(name string, dirs ...string) {
		os.MkdirAll(root.Instance(name), 0o755)
		if err := overlay.WriteEnvFile(root.InstanceEnv(name), overlay.Env{Port: 27015, LowerDirs: dirs}, os.Getuid(), os.Getgid()); err != nil {
			t.Fatal(err)
		}
	}
	writeEnv("a", l1, i1)
	writeEnv("b", i1)
	if s, err := Stale(root); err != nil || len(s) != 0 {
		t.Fatalf("nothing newer yet: %+v %v", s, err)
	}
	i2 := pub(root.Installations())
	writeEnv("c", l1, i2)
	s, err := Stale(root)
	if err != nil {
		t.Fatal(err)
	}
	want := []StaleInstance{
		{Name: "a", Layers: []StaleLayer{{Parent: root.Installations(), Current: filepath.Base(i1), Newest: filepath.Base(i2)}}},
		{Name: "b", Layers: []StaleLayer{{Parent: root.Installations(), Current: filepath.Base(i1), Newest: filepath.Base(i2)}}},
	}
	if !reflect.DeepEqual(s, want) {
		t.Errorf("Stale = %+v\nwant %+v", s, want)
	}
	r := &fakeRestarter{}
	if err := RollingRestart(context.Background(), r, []string{"a", "b"}, NopProgress{}); err != nil || !reflect.DeepEqual(r.done, []string{"a", "b"}) {
		t.Errorf("rolling restart: %v %q", err, r.done)
	}
	r = &fakeRestarter{fail: "a"}
	if err := RollingRestart(context.Background(), r, []string{"a", "b"}, NopProgress{}); err == nil || len(r.done) != 0 {
		t.Errorf("rolling restart past a failure: %v %q", err, r.done)
	}
}
