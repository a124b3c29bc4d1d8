package doctor

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/left4me/left4me/internal/layout"
	"github.com/left4me/left4me/internal/overlay"
)

// fakeUnits is a UnitReader over maps.
type fakeUnits struct {
	units    map[string]map[string]any
	service  map[string]any
	version  string
	features string
	active   []string
	err      error
}

func (f *fakeUnits) UnitProps(_ context.Context, unit string) (map[string]any, error) {
	if f.err != nil {
		return nil, f.err
	}
	if p, ok := f.units[unit]; ok {
		return p, nil
	}
	return map[string]any{"LoadState": "not-found", "ActiveState": "inactive",
		"LoadError": []any{"org.freedesktop.systemd1.NoSuchUnit", "Unit " + unit + " not found."}}, nil
}

func (f *fakeUnits) ServiceProps(context.Context, string) (map[string]any, error) {
	if f.err != nil {
		return nil, f.err
	}
	return f.service, nil
}

func (f *fakeUnits) Manager(context.Context) (string, string, error) {
	return f.version, f.features, f.err
}

func (f *fakeUnits) ActiveUnits(context.Context, string) ([]string, error) {
	return f.active, f.err
}

// allUnitsLoaded is a fakeUnits where every shipped unit is loaded, the web
// panel active and enabled, the autostart enabled.
func allUnitsLoaded() *fakeUnits {
	f := &fakeUnits{units: map[string]map[string]any{}}
	for _, w := range wantedUnits() {
		p := map[string]any{"LoadState": "loaded", "ActiveState": "inactive", "UnitFileState": "static"}
		if w.active {
			p["ActiveState"] = "active"
		}
		if w.enabled {
			p["UnitFileState"] = "enabled"
		}
		f.units[w.unit] = p
	}
	return f
}

// call is one command a fakeRunner was asked to run.
type call struct {
	as   *Account
	argv []string
}

// fakeRunner answers commands by a function and records them.
type fakeRunner struct {
	calls  []call
	answer func(argv []string) (string, error)
}

func (f *fakeRunner) Run(_ context.Context, as *Account, argv ...string) (string, error) {
	f.calls = append(f.calls, call{as, argv})
	return f.answer(argv)
}

// fakeMounter answers TestMount per technique.
type fakeMounter struct {
	errs  map[overlay.Technique]error
	tried []overlay.Technique
}

func (f *fakeMounter) TestMount(_ string, _ int, t overlay.Technique) error {
	f.tried = append(f.tried, t)
	return f.errs[t]
}

type fakeReflink struct {
	cloned bool
	err    error
}

func (f fakeReflink) Reflink(string) (bool, error) { return f.cloned, f.err }

type fakeSockets struct {
	socks []Socket
	err   error
}

func (f fakeSockets) Bound(context.Context) ([]Socket, error) { return f.socks, f.err }

// me is the running user as the service user.
func me(t *testing.T) Identity {
	t.Helper()
	return Identity{EUID: os.Geteuid(), Service: Account{Name: ServiceUser, UID: os.Geteuid(), GID: os.Getegid(), Home: t.TempDir()}}
}

// newDoctor returns a Doctor whose state root and "/" are temporary
// directories, run by the service user, with fakes that report a healthy
// host.
func newDoctor(t *testing.T) *Doctor {
	t.Helper()
	root := layout.Root(filepath.Join(t.TempDir(), "state"))
	if err := root.Create(0o750); err != nil {
		t.Fatal(err)
	}
	return &Doctor{
		Config:   Config{Root: root, PortMin: 27015, PortMax: 27030, SysRoot: t.TempDir()},
		Identity: me(t),
		Units:    allUnitsLoaded(),
		Cmd:      &fakeRunner{answer: func([]string) (string, error) { return "", nil }},
		Mounter:  &fakeMounter{},
		Sockets:  fakeSockets{},
		Reflink:  fakeReflink{cloned: true},
	}
}

// writeSys writes a file below the Doctor's stand-in "/".
func writeSys(t *testing.T, d *Doctor, path, content string) {
	t.Helper()
	p := d.sys(path)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// expect checks a result's name, status and that its text has each want.
func expect(t *testing.T, r Result, name string, st Status, want ...string) {
	t.Helper()
	if r.Name != name {
		t.Errorf("name = %q, want %q", r.Name, name)
	}
	if r.Status != st {
		t.Errorf("%s: status = %s, want %s (found %q, fix %q)", name, r.Status, st, r.Found, r.Fix)
	}
	text := r.Found + " | " + r.Fix + " | " + r.Unchecked
	for _, w := range want {
		if !strings.Contains(text, w) {
			t.Errorf("%s: %q does not mention %q", name, text, w)
		}
	}
	if st != OK && r.Fix == "" {
		t.Errorf("%s: %s without a fix", name, st)
	}
}

var errBus = errors.New("system bus not found")
