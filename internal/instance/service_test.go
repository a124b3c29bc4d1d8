package instance

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/left4me/left4me/internal/layout"
	"github.com/left4me/left4me/internal/overlay"
	"github.com/left4me/left4me/internal/store"
)

// fakeSupervisor records calls and keeps a state per instance. It stands in
// for systemd, which cannot run in unit tests; the process supervisor's own
// tests drive the service against real child processes.
type fakeSupervisor struct {
	mu       sync.Mutex
	state    map[string]State
	calls    []string
	startErr error
	// onStop, when set, runs at the end of Stop and may change the state
	// Stop leaves (and the Result Status reports).
	onStop func(name string) (State, string)
	result map[string]string
}

func newFakeSupervisor() *fakeSupervisor { return &fakeSupervisor{state: map[string]State{}} }

func (f *fakeSupervisor) record(call, name string) {
	f.calls = append(f.calls, call+" "+name)
}

func (f *fakeSupervisor) Start(ctx context.Context, name string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record("start", name)
	if f.startErr != nil {
		return f.startErr
	}
	f.state[name] = Running
	return nil
}

func (f *fakeSupervisor) Stop(ctx context.Context, name string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record("stop", name)
	f.state[name] = Stopped
	if f.onStop != nil {
		st, res := f.onStop(name)
		f.state[name] = st
		if f.result == nil {
			f.result = map[string]string{}
		}
		f.result[name] = res
	}
	return nil
}

func (f *fakeSupervisor) Restart(ctx context.Context, name string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record("restart", name)
	f.state[name] = Running
	return nil
}

func (f *fakeSupervisor) Status(ctx context.Context, name string) (Status, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	st := f.state[name]
	if st == "" {
		st = Stopped
	}
	return Status{State: st, Since: time.Now(), Result: f.result[name]}, nil
}

func (f *fakeSupervisor) takeCalls() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	c := f.calls
	f.calls = nil
	return c
}

type fixture struct {
	root  layout.Root
	st    *store.Store
	sup   *fakeSupervisor
	svc   *Service
	owner int64
	busy  map[int]bool // ports "in use on the host"
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	ctx := context.Background()
	root, err := layout.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if err := root.Create(0o755); err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(ctx, root.Database())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	u, err := st.CreateUser(ctx, "owner", "hash", false)
	if err != nil {
		t.Fatal(err)
	}
	// The fixture's owner has no limits: the tests of the account limits
	// (quota_test.go) make accounts of their own.
	unlimited := Unlimited
	if err := st.SetLimits(ctx, u.ID, store.Limits{MaxInstances: &unlimited, MaxRunning: &unlimited}); err != nil {
		t.Fatal(err)
	}
	f := &fixture{root: root, st: st, sup: newFakeSupervisor(), owner: u.ID, busy: map[int]bool{}}
	f.svc = NewService(Config{Root: root, PortMin: 27015, PortMax: 27020, LogAddress: "192.0.2.1:28000"}, st, f.sup)
	f.svc.portFree = func(p int) bool { return !f.busy[p] }
	f.svc.udpFree = func(p int) bool { return !f.busy[p] }
	// A base installation and two layers, one with two generations.
	for _, dir := range []string{
		root.Installation("20260101"), root.Installation("20260301"),
		root.Overlay("zonemod", "1"), root.Overlay("zonemod", "2"),
		root.Overlay("maps", "7"),
		filepath.Join(root.Overlays(), "empty"),
		filepath.Join(root.Overlays(), "partial", ".tmp-3"),
	} {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return f
}

// assertAbsent checks that nothing of instance name exists.
func (f *fixture) assertAbsent(t *testing.T, name string) {
	t.Helper()
	for _, p := range []string{f.root.Instance(name), f.root.Runtime(name)} {
		if _, err := os.Lstat(p); !errors.Is(err, os.ErrNotExist) && !errors.Is(err, syscall.ENOTDIR) {
			t.Errorf("%s exists after a failed operation (err=%v)", p, err)
		}
	}
	if _, err := f.st.InstanceByName(context.Background(), name); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("record of %s exists after a failed operation (err=%v)", name, err)
	}
}

func TestCreateRefusesBadSpecs(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	if _, err := f.svc.Create(ctx, Spec{Name: "taken", OwnerID: f.owner, Port: 27015}); err != nil {
		t.Fatal(err)
	}
	f.busy[27019] = true
	tests := []struct {
		name string
		spec Spec
		want error
		msg  string // must appear in the error
	}{
		{"bad name", Spec{Name: "Bad Name", OwnerID: f.owner}, ErrInvalid, "name"},
		{"name too long", Spec{Name: strings.Repeat("a", 65), OwnerID: f.owner}, ErrInvalid, "name"},
		{"no owner", Spec{Name: "x1"}, ErrInvalid, "owner"},
		{"unknown owner", Spec{Name: "x1b", OwnerID: f.owner + 99}, ErrInvalid, "owner"},
		{"port too big", Spec{Name: "x2", OwnerID: f.owner, Port: 70000}, ErrInvalid, "port: 70000"},
		{"negative port", Spec{Name: "x3", OwnerID: f.owner, Port: -1}, ErrInvalid, "port"},
		{"port of another instance", Spec{Name: "x4", OwnerID: f.owner, Port: 27015}, ErrPortUsed, `instance "taken"`},
		{"port busy on host", Spec{Name: "x5", OwnerID: f.owner, Port: 27019}, ErrPortUsed, "on this host"},
		{"missing layer", Spec{Name: "x6", OwnerID: f.owner, Layers: []string{"zonemod", "nosuch"}}, ErrNoLayer, `"nosuch"`},
		{"layer without generation", Spec{Name: "x7", OwnerID: f.owner, Layers: []string{"empty"}}, ErrNoLayer, `"empty"`},
		{"layer with only a hidden generation", Spec{Name: "x8", OwnerID: f.owner, Layers: []string{"partial"}}, ErrNoLayer, `"partial"`},
		{"layer path escape", Spec{Name: "x9", OwnerID: f.owner, Layers: []string{"../installations"}}, ErrInvalid, "layer"},
		{"layer twice", Spec{Name: "x10", OwnerID: f.owner, Layers: []string{"maps", "maps"}}, ErrInvalid, "twice"},
		{"arg with newline", Spec{Name: "x11", OwnerID: f.owner, Args: []string{"+map", "c1m1\n"}}, ErrInvalid, "args"},
		{"arg with NUL", Spec{Name: "x12", OwnerID: f.owner, Args: []string{"a\x00"}}, ErrInvalid, "args"},
		{"managed arg", Spec{Name: "x13", OwnerID: f.owner, Args: []string{"+hostport", "1"}}, ErrInvalid, "+hostport"},
		{"own port for SourceTV", Spec{Name: "x16", OwnerID: f.owner, Args: []string{"+tv_port", "27020"}}, ErrInvalid, "+tv_port"},
		{"own client port", Spec{Name: "x17", OwnerID: f.owner, Args: []string{"+ClientPort", "27005"}}, ErrInvalid, "+ClientPort"},
		{"cfg with NUL", Spec{Name: "x14", OwnerID: f.owner, ServerCfg: "hostname a\x00"}, ErrInvalid, "server_cfg"},
		{"cfg too large", Spec{Name: "x15", OwnerID: f.owner, ServerCfg: strings.Repeat("a", MaxServerCfg+1)}, ErrInvalid, "server_cfg"},
		{"duplicate name", Spec{Name: "taken", OwnerID: f.owner}, ErrExists, `"taken"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := f.svc.Create(ctx, tt.spec)
			if !errors.Is(err, tt.want) {
				t.Fatalf("Create: err = %v, want %v", err, tt.want)
			}
			if !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("error %q does not name %q", err, tt.msg)
			}
			if tt.spec.Name != "taken" && layout.ValidateName(tt.spec.Name) == nil {
				f.assertAbsent(t, tt.spec.Name)
			}
		})
	}
	// The existing instance is untouched by the duplicate attempt.
	if cfg, err := f.svc.ServerCfg(ctx, "taken"); err != nil || cfg != "" {
		t.Errorf("ServerCfg(taken) = %q, %v", cfg, err)
	}
}

func TestCreateCleansUpOnFileFailure(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	// runtime/ is a file: making runtime/NAME fails after instances/NAME
	// was already created.
	if err := os.RemoveAll(f.root.Runtimes()); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(f.root.Runtimes(), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Create(ctx, Spec{Name: "one", OwnerID: f.owner, ServerCfg: "hostname x\n"}); err == nil {
		t.Fatal("Create succeeded with runtime/ being a file")
	}
	f.assertAbsent(t, "one")
}

func TestCreatePicksPorts(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.busy[27016] = true
	var got []int
	for _, name := range []string{"a", "b"} {
		in, err := f.svc.Create(ctx, Spec{Name: name, OwnerID: f.owner})
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, in.Port)
		if len(in.RCONPassword) < 20 {
			t.Errorf("RCON password %q too short", in.RCONPassword)
		}
	}
	// Blocks of two ports: 27015's block holds the busy 27016.
	if want := []int{27017, 27019}; !reflect.DeepEqual(got, want) {
		t.Errorf("ports = %v, want %v", got, want)
	}
	// Explicit ports must be in the range the server unit may bind.
	if _, err := f.svc.Create(ctx, Spec{Name: "d", OwnerID: f.owner, Port: 28015}); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "27015-27020") {
		t.Fatalf("explicit port outside the range: %v", err)
	}
	f.assertAbsent(t, "d")
	if _, err := f.svc.Create(ctx, Spec{Name: "e", OwnerID: f.owner}); !errors.Is(err, ErrPortUsed) || !strings.Contains(err.Error(), "27015-27020") {
		t.Errorf("full range: err = %v", err)
	}
	f.assertAbsent(t, "e")
}

func TestStartStagesFiles(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	in, err := f.svc.Create(ctx, Spec{
		Name: "vs", OwnerID: f.owner, Layers: []string{"maps", "zonemod"},
		Args: []string{"+map", "c2m1_highway", "+sv_tags", "a,b"}, ServerCfg: "hostname \"Versus\"\nrcon_password \"mine\"",
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.svc.Start(ctx, "vs"); err != nil {
		t.Fatal(err)
	}
	if c := f.sup.takeCalls(); !reflect.DeepEqual(c, []string{"start vs"}) {
		t.Errorf("supervisor calls = %v", c)
	}
	env, err := overlay.ReadEnvFile(f.root.InstanceEnv("vs"))
	if err != nil {
		t.Fatal(err)
	}
	want := overlay.Env{
		LowerDirs:  []string{f.root.Overlay("maps", "7"), f.root.Overlay("zonemod", "2"), f.root.Installation("20260301")},
		Port:       in.Port,
		ClientPort: in.Port + 1,
		Args:       []string{"+map", "c2m1_highway", "+sv_tags", "a,b"},
	}
	if !reflect.DeepEqual(env, want) {
		t.Errorf("instance.env = %+v, want %+v", env, want)
	}
	staged, err := os.ReadFile(f.root.UpperServerCfg("vs"))
	if err != nil {
		t.Fatal(err)
	}
	// server.cfg runs at every map start: it must not set the RCON password
	// (that closes every RCON connection); the launch cfg, run once, does.
	if !strings.Contains(string(staged), "hostname \"Versus\"\n") || !strings.Contains(string(staged), "\n// rcon_password \"mine\"") {
		t.Errorf("staged server.cfg:\n%s", staged)
	}
	for _, l := range strings.Split(string(staged), "\n") {
		if setsRCONPassword(l) {
			t.Errorf("staged server.cfg sets the RCON password: %q", l)
		}
	}
	launchPath := filepath.Join(filepath.Dir(f.root.UpperServerCfg("vs")), LaunchCfgName)
	launch, err := os.ReadFile(launchPath)
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range []string{`rcon_password "` + in.RCONPassword + `"` + "\n", "log on\n", "logaddress_add 192.0.2.1:28000\n"} {
		if !strings.Contains(string(launch), line) {
			t.Errorf("staged %s lacks %q:\n%s", LaunchCfgName, line, launch)
		}
	}
	for _, p := range []string{f.root.UpperServerCfg("vs"), launchPath} {
		if fi, err := os.Stat(p); err != nil || fi.Mode().Perm() != 0o640 {
			t.Errorf("%s mode = %v, %v; want 0640", p, fi.Mode(), err)
		}
	}
	got, _ := f.svc.Get(ctx, "vs")
	if !got.WantRunning {
		t.Error("want_running not set by Start")
	}
	// Starting a running instance neither restages nor calls the supervisor.
	if err := f.svc.Start(ctx, "vs"); err != nil {
		t.Fatal(err)
	}
	if c := f.sup.takeCalls(); len(c) != 0 {
		t.Errorf("second Start called the supervisor: %v", c)
	}
	// Restart is stop, stage, start; a changed cfg reaches upper.
	if err := f.svc.SetServerCfg(ctx, "vs", "hostname changed\n"); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.Restart(ctx, "vs"); err != nil {
		t.Fatal(err)
	}
	if c := f.sup.takeCalls(); !reflect.DeepEqual(c, []string{"stop vs", "start vs"}) {
		t.Errorf("restart calls = %v", c)
	}
	if staged, _ := os.ReadFile(f.root.UpperServerCfg("vs")); !strings.HasPrefix(string(staged), "hostname changed\n") {
		t.Errorf("restaged server.cfg = %q", staged)
	}
	if err := f.svc.Stop(ctx, "vs"); err != nil {
		t.Fatal(err)
	}
	if got, _ := f.svc.Get(ctx, "vs"); got.WantRunning {
		t.Error("want_running still set after Stop")
	}
}

func TestStartWithoutInstallation(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	if _, err := f.svc.Create(ctx, Spec{Name: "a", OwnerID: f.owner}); err != nil {
		t.Fatal(err)
	}
	if err := os.RemoveAll(f.root.Installations()); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.Start(ctx, "a"); !errors.Is(err, ErrNoInstallation) {
		t.Errorf("Start: err = %v, want ErrNoInstallation", err)
	}
	if c := f.sup.takeCalls(); len(c) != 0 {
		t.Errorf("supervisor called: %v", c)
	}
}

func TestResetEmptiesUpper(t *testing.T) {
	for _, running := range []bool{false, true} {
		f := newFixture(t)
		ctx := context.Background()
		if _, err := f.svc.Create(ctx, Spec{Name: "r", OwnerID: f.owner}); err != nil {
			t.Fatal(err)
		}
		if err := f.svc.Start(ctx, "r"); err != nil {
			t.Fatal(err)
		}
		junk := filepath.Join(f.root.Upper("r"), "left4dead2", "addons", "junk.vpk")
		os.MkdirAll(filepath.Dir(junk), 0o755)
		if err := os.WriteFile(junk, []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(f.root.Work("r"), "stale"), nil, 0o644)
		if !running {
			if err := f.svc.Stop(ctx, "r"); err != nil {
				t.Fatal(err)
			}
		}
		f.sup.takeCalls()
		if err := f.svc.Reset(ctx, "r"); err != nil {
			t.Fatal(err)
		}
		if _, err := os.Stat(junk); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("running=%v: upper not emptied: %v", running, err)
		}
		if ents, err := os.ReadDir(f.root.Work("r")); err != nil || len(ents) != 0 {
			t.Errorf("running=%v: work = %v, %v; want empty", running, ents, err)
		}
		want := []string{"stop r"}
		if running {
			want = append(want, "start r")
			if _, err := os.Stat(f.root.UpperServerCfg("r")); err != nil {
				t.Errorf("server.cfg not restaged after reset: %v", err)
			}
		}
		if c := f.sup.takeCalls(); !reflect.DeepEqual(c, want) {
			t.Errorf("running=%v: calls = %v, want %v", running, c, want)
		}
	}
}

func TestResetRefusesLeftoverWorkWork(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("as root work/work is removable; the check is for the unprivileged service user")
	}
	f := newFixture(t)
	ctx := context.Background()
	if _, err := f.svc.Create(ctx, Spec{Name: "w", OwnerID: f.owner}); err != nil {
		t.Fatal(err)
	}
	ww := filepath.Join(f.root.Work("w"), "work")
	if err := os.Mkdir(ww, 0); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Chmod(ww, 0o755) })
	if err := f.svc.Reset(ctx, "w"); !errors.Is(err, ErrMounted) || !strings.Contains(err.Error(), "work/work") {
		t.Errorf("Reset: err = %v, want ErrMounted naming work/work", err)
	}
}

func TestDeleteIsIdempotent(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	if _, err := f.svc.Create(ctx, Spec{Name: "d", OwnerID: f.owner, ServerCfg: "x"}); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.Start(ctx, "d"); err != nil {
		t.Fatal(err)
	}
	// A partial delete: the runtime tree is already gone.
	if err := os.RemoveAll(f.root.Runtime("d")); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.Delete(ctx, "d"); err != nil {
		t.Fatalf("Delete after partial delete: %v", err)
	}
	f.assertAbsent(t, "d")
	if err := f.svc.Delete(ctx, "d"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Delete of a deleted instance: err = %v, want ErrNotFound", err)
	}
	// The name can be used again.
	if _, err := f.svc.Create(ctx, Spec{Name: "d", OwnerID: f.owner}); err != nil {
		t.Errorf("re-create: %v", err)
	}
}

func TestCreateRemovesLeftovers(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	// Files of an instance whose record is gone (an interrupted delete).
	os.MkdirAll(f.root.Upper("old"), 0o755)
	os.MkdirAll(f.root.Instance("old"), 0o755)
	os.WriteFile(f.root.ServerCfg("old"), []byte("stale"), 0o644)
	if _, err := f.svc.Create(ctx, Spec{Name: "old", OwnerID: f.owner, ServerCfg: "fresh"}); err != nil {
		t.Fatal(err)
	}
	if cfg, _ := f.svc.ServerCfg(ctx, "old"); cfg != "fresh" {
		t.Errorf("server.cfg = %q, want fresh", cfg)
	}
}

func TestUpdate(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	if _, err := f.svc.Create(ctx, Spec{Name: "a", OwnerID: f.owner, Port: 27015}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Create(ctx, Spec{Name: "b", OwnerID: f.owner, Port: 27017}); err != nil {
		t.Fatal(err)
	}
	for _, used := range []int{27017, 27018} {
		if _, err := f.svc.Update(ctx, "a", Update{Port: &used}); !errors.Is(err, ErrPortUsed) || !strings.Contains(err.Error(), `instance "b"`) {
			t.Errorf("Update to port %d in b's block: %v", used, err)
		}
	}
	bad := []string{"nosuch"}
	if _, err := f.svc.Update(ctx, "a", Update{Layers: &bad}); !errors.Is(err, ErrNoLayer) {
		t.Errorf("Update to a missing layer: %v", err)
	}
	port, layers, args := 27019, []string{"zonemod"}, []string{"+map", "c5m1_waterfront"}
	in, err := f.svc.Update(ctx, "a", Update{Port: &port, Layers: &layers, Args: &args})
	if err != nil {
		t.Fatal(err)
	}
	if in.Port != port || !reflect.DeepEqual(in.Layers, layers) || !reflect.DeepEqual(in.Args, args) {
		t.Errorf("after Update: %+v", in)
	}
	if _, err := f.svc.Update(ctx, "nope", Update{}); !errors.Is(err, ErrNotFound) {
		t.Errorf("Update of missing: %v", err)
	}
}

func TestAutostartAndLayers(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	for _, n := range []string{"a", "b", "c"} {
		if _, err := f.svc.Create(ctx, Spec{Name: n, OwnerID: f.owner}); err != nil {
			t.Fatal(err)
		}
	}
	f.st.SetWantRunning(ctx, "a", true)
	f.st.SetWantRunning(ctx, "c", true)
	if err := f.svc.Autostart(ctx); err != nil {
		t.Fatal(err)
	}
	c := f.sup.takeCalls()
	slices.Sort(c) // started concurrently
	if !reflect.DeepEqual(c, []string{"start a", "start c"}) {
		t.Errorf("autostart calls = %v", c)
	}
	layers, err := f.svc.Layers(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := []Layer{
		{ID: "maps", Generation: "7", Path: f.root.Overlay("maps", "7")},
		{ID: "zonemod", Generation: "2", Path: f.root.Overlay("zonemod", "2")},
	}
	if !reflect.DeepEqual(layers, want) {
		t.Errorf("Layers = %+v, want %+v", layers, want)
	}
}

func TestLayersSkipsDeleted(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	// The content service marks a deleted layer and keeps its generations
	// while instances still name them.
	if err := os.WriteFile(filepath.Join(f.root.Overlays(), "zonemod", deletedMarker), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	layers, err := f.svc.Layers(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := []Layer{{ID: "maps", Generation: "7", Path: f.root.Overlay("maps", "7")}}
	if !reflect.DeepEqual(layers, want) {
		t.Errorf("Layers = %+v, want %+v (zonemod is marked deleted)", layers, want)
	}
	// Nor can an instance be given it: GC removes its generations.
	if _, err := f.svc.Create(ctx, Spec{Name: "x", OwnerID: f.owner, Layers: []string{"zonemod"}}); !errors.Is(err, ErrNoLayer) || !strings.Contains(err.Error(), "deleted") {
		t.Errorf("Create with a deleted layer: %v, want ErrNoLayer saying it was deleted", err)
	}
	f.assertAbsent(t, "x")
	if _, err := f.svc.Create(ctx, Spec{Name: "y", OwnerID: f.owner}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Update(ctx, "y", Update{Layers: &[]string{"maps", "zonemod"}}); !errors.Is(err, ErrNoLayer) {
		t.Errorf("Update with a deleted layer: %v, want ErrNoLayer", err)
	}
}

func TestLockSerialises(t *testing.T) {
	l := newLocker("", nil)
	ctx := context.Background()
	unlock, err := l.lock(ctx, "a")
	if err != nil {
		t.Fatal(err)
	}
	// Another instance is not blocked.
	u2, err := l.lock(ctx, "b")
	if err != nil {
		t.Fatal(err)
	}
	u2()
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := l.lock(cctx, "a"); !errors.Is(err, context.Canceled) {
		t.Errorf("lock of a held name with a cancelled ctx: %v", err)
	}
	unlock()
	u3, err := l.lock(ctx, "a")
	if err != nil {
		t.Fatal(err)
	}
	u3()
	if len(l.locks) != 0 {
		t.Errorf("locks not released: %v", l.locks)
	}
}

// TestLockSerialisesProcesses: the panel and a CLI command are two
// processes, each with its own Service; an operation on an instance in one
// waits for the other's (the flock under instances/), and a Delete from one
// cannot run in the middle of a Start in the other.
func TestLockSerialisesProcesses(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	if _, err := f.svc.Create(ctx, Spec{Name: "a", OwnerID: f.owner}); err != nil {
		t.Fatal(err)
	}
	other := NewService(Config{Root: f.root, PortMin: 27015, PortMax: 27020}, f.st, f.sup)
	unlock, err := f.svc.locks.lock(ctx, "a")
	if err != nil {
		t.Fatal(err)
	}
	short, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancel()
	if err := other.Delete(short, "a"); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Delete from another process while the instance is locked: %v, want it to wait", err)
	}
	if _, err := f.st.InstanceByName(ctx, "a"); err != nil {
		t.Errorf("instance gone while locked by the other process: %v", err)
	}
	// Other instances are not blocked.
	u2, err := other.locks.lock(ctx, "b")
	if err != nil {
		t.Errorf("lock of another instance: %v", err)
	} else {
		u2()
	}
	unlock()
	if err := other.Delete(ctx, "a"); err != nil {
		t.Errorf("Delete after the lock was released: %v", err)
	}
	// A name that is no instance's never becomes a lock file's path.
	for _, bad := range []string{"../../escape", "a/b", ""} {
		if err := other.Start(ctx, bad); !errors.Is(err, ErrNotFound) {
			t.Errorf("Start(%q) = %v, want ErrNotFound", bad, err)
		}
	}
	if _, err := os.Lstat(filepath.Join(f.root.String(), "escape.lock")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("lock file created outside instances/: %v", err)
	}
}

// killedStore fails DeleteInstance, standing in for a process killed after
// Delete removed the files and before it removed the record.
type killedStore struct{ *store.Store }

func (killedStore) DeleteInstance(context.Context, string) error {
	return errors.New("killed")
}

// TestInterruptedDeleteIsNotAutostarted: an instance whose delete was
// interrupted is not brought back by the boot autostart, and deleting again
// finishes the job.
func TestInterruptedDeleteIsNotAutostarted(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	if _, err := f.svc.Create(ctx, Spec{Name: "d", OwnerID: f.owner}); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.Start(ctx, "d"); err != nil {
		t.Fatal(err)
	}
	killed := NewService(Config{Root: f.root, PortMin: 27015, PortMax: 27020}, killedStore{f.st}, f.sup)
	if err := killed.Delete(ctx, "d"); err == nil {
		t.Fatal("Delete with a failing store succeeded")
	}
	f.sup.takeCalls()
	// The host reboots: nothing runs, the autostart starts what wants to.
	if err := f.svc.Autostart(ctx); err != nil {
		t.Fatal(err)
	}
	if calls := f.sup.takeCalls(); len(calls) != 0 {
		t.Errorf("autostart after an interrupted delete: %q, want nothing started", calls)
	}
	if err := f.svc.Delete(ctx, "d"); err != nil {
		t.Fatalf("Delete again: %v", err)
	}
	f.assertAbsent(t, "d")
}

// TestStartRefusesLeftoverMount: when the unit is stopped but its overlay is
// still mounted (a failed ExecStopPost), start neither rewrites
// instance.env (GC would no longer keep the mounted layers) nor writes into
// upper/ under the mount: it says what is wrong.
func TestStartRefusesLeftoverMount(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root: mounts a tmpfs on merged/ to stand in for a leftover overlay")
	}
	f := newFixture(t)
	ctx := context.Background()
	if _, err := f.svc.Create(ctx, Spec{Name: "m", OwnerID: f.owner, Layers: []string{"zonemod"}}); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.Start(ctx, "m"); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.Stop(ctx, "m"); err != nil {
		t.Fatal(err)
	}
	before, err := os.ReadFile(f.root.InstanceEnv("m"))
	if err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mount("none", f.root.Merged("m"), "tmpfs", 0, ""); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { syscall.Unmount(f.root.Merged("m"), 0) })
	// A newer generation of the layer appears meanwhile.
	if err := os.MkdirAll(f.root.Overlay("zonemod", "3"), 0o755); err != nil {
		t.Fatal(err)
	}
	f.sup.takeCalls()
	if err := f.svc.Start(ctx, "m"); !errors.Is(err, ErrMounted) || !strings.Contains(err.Error(), "left4me-overlay umount m") {
		t.Errorf("Start with a leftover mount: %v, want ErrMounted naming the fix", err)
	}
	if after, _ := os.ReadFile(f.root.InstanceEnv("m")); string(after) != string(before) {
		t.Errorf("instance.env rewritten under a leftover mount:\n%s\nwas\n%s", after, before)
	}
	if calls := f.sup.takeCalls(); len(calls) != 0 {
		t.Errorf("supervisor calls: %q, want none", calls)
	}
}

// TestStartWaitsForAStartUnderWay: a start of an instance whose server is
// starting (another caller's start) waits for that start through the
// supervisor instead of answering at once; a start of a running one does
// nothing.
func TestStartWaitsForAStartUnderWay(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	if _, err := f.svc.Create(ctx, Spec{Name: "vs", OwnerID: f.owner}); err != nil {
		t.Fatal(err)
	}
	f.sup.state["vs"] = Starting
	if err := f.svc.Start(ctx, "vs"); err != nil {
		t.Fatal(err)
	}
	if c := f.sup.takeCalls(); !reflect.DeepEqual(c, []string{"start vs"}) {
		t.Errorf("start of a starting instance: supervisor calls = %v, want it to wait on the start", c)
	}
	if err := f.svc.Start(ctx, "vs"); err != nil {
		t.Fatal(err)
	}
	if c := f.sup.takeCalls(); len(c) != 0 {
		t.Errorf("start of a running instance: supervisor calls = %v, want none", c)
	}
}
