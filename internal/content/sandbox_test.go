package content

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	sddbus "github.com/coreos/go-systemd/v22/dbus"
	"github.com/godbus/dbus/v5"
)

// fakeUnits stands in for systemd: a started unit is active for a few
// polls, then ends with result.
type fakeUnits struct {
	mu       sync.Mutex
	started  []string
	stopped  []string
	polls    int
	active   int    // polls the unit stays active
	result   string // Result after it ends
	startJob string // job result of the start ("done")
}

func (f *fakeUnits) StartUnitContext(ctx context.Context, name, mode string, ch chan<- string) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.started = append(f.started, name)
	ch <- f.startJob
	return 1, nil
}

func (f *fakeUnits) StopUnitContext(ctx context.Context, name, mode string, ch chan<- string) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.stopped = append(f.stopped, name)
	ch <- "done"
	return 2, nil
}

func (f *fakeUnits) GetUnitPropertyContext(ctx context.Context, unit, name string) (*sddbus.Property, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.polls++
	state := "active"
	if f.active >= 0 && f.polls > f.active {
		state = "inactive"
		if f.result != "success" {
			state = "failed"
		}
	}
	return &sddbus.Property{Name: name, Value: dbus.MakeVariant(state)}, nil
}

func (f *fakeUnits) GetServicePropertyContext(ctx context.Context, service, name string) (*sddbus.Property, error) {
	switch name {
	case "Result":
		return &sddbus.Property{Name: name, Value: dbus.MakeVariant(f.result)}, nil
	case "ExecMainStatus":
		return &sddbus.Property{Name: name, Value: dbus.MakeVariant(int32(3))}, nil
	}
	return nil, errors.New("no such property")
}

func TestSystemdSandbox(t *testing.T) {
	root := newRoot(t)
	follow := func(ctx context.Context, unit string, line func(string)) {
		line("journal of " + unit)
		<-ctx.Done()
	}
	spec := BuildSpec{ID: "build-1", Script: []byte("echo hi\n"), Env: map[string]string{"LAYER_ID": "x", "QUOTED": `a "b" \c`}}

	f := &fakeUnits{active: 2, result: "success", startJob: "done"}
	sb := &SystemdSandbox{PollInterval: time.Millisecond, testConn: f, testFollow: follow}
	var lines []string
	if err := sb.Run(context.Background(), root, spec, func(l string) { lines = append(lines, l) }); err != nil {
		t.Fatal(err)
	}
	if len(f.started) != 1 || f.started[0] != "left4me-build@build-1.service" {
		t.Errorf("started %q", f.started)
	}
	if len(lines) != 1 || lines[0] != "journal of left4me-build@build-1.service" {
		t.Errorf("lines = %q", lines)
	}
	// The unit's contract: build.sh, build.env with OVERLAY=/overlay, output/.
	dir := root.Build("build-1")
	if b, _ := os.ReadFile(filepath.Join(dir, BuildScript)); string(b) != "echo hi\n" {
		t.Errorf("build.sh = %q", b)
	}
	env, _ := os.ReadFile(filepath.Join(dir, BuildEnv))
	for _, want := range []string{`OVERLAY="/overlay"`, `LAYER_ID="x"`, `QUOTED="a \"b\" \\c"`} {
		if !strings.Contains(string(env), want) {
			t.Errorf("build.env lacks %s:\n%s", want, env)
		}
	}
	if fi, err := os.Stat(filepath.Join(dir, BuildOutput)); err != nil || !fi.IsDir() {
		t.Errorf("output dir: %v", err)
	}

	// A failed unit is a failed build, with its exit status.
	f = &fakeUnits{active: 1, result: "exit-code", startJob: "done"}
	sb = &SystemdSandbox{PollInterval: time.Millisecond, testConn: f, testFollow: follow}
	err := sb.Run(context.Background(), root, BuildSpec{ID: "build-2", Script: []byte("exit 3")}, func(string) {})
	if err == nil || !strings.Contains(err.Error(), `"exit-code"`) || !strings.Contains(err.Error(), "exit status 3") {
		t.Errorf("failed unit: %v", err)
	}
	// A start job that fails.
	f = &fakeUnits{active: 1, result: "success", startJob: "failed"}
	sb = &SystemdSandbox{PollInterval: time.Millisecond, testConn: f, testFollow: follow}
	if err := sb.Run(context.Background(), root, BuildSpec{ID: "build-3", Script: []byte("true")}, func(string) {}); err == nil {
		t.Error("failed start job: no error")
	}
	// Cancelling stops the unit.
	f = &fakeUnits{active: -1, result: "success", startJob: "done"}
	sb = &SystemdSandbox{PollInterval: time.Millisecond, testConn: f, testFollow: follow}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := sb.Run(ctx, root, BuildSpec{ID: "build-4", Script: []byte("sleep 1000")}, func(string) {}); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("cancelled build: %v", err)
	}
	if len(f.stopped) != 1 || f.stopped[0] != "left4me-build@build-4.service" {
		t.Errorf("stopped %q", f.stopped)
	}
	// Bad ids, environment names and templates never reach systemd.
	for _, bad := range []BuildSpec{{ID: "../x"}, {ID: "Upper"}, {ID: "ok", Env: map[string]string{"BAD-NAME": "x"}}, {ID: "ok2", Env: map[string]string{"A": "line\nbreak"}}, {ID: "ok3", Template: "left4me-server"}} {
		f = &fakeUnits{active: 1, result: "success", startJob: "done"}
		sb = &SystemdSandbox{PollInterval: time.Millisecond, testConn: f, testFollow: follow}
		if err := sb.Run(context.Background(), root, bad, func(string) {}); err == nil || len(f.started) != 0 {
			t.Errorf("spec %+v: err %v, started %q", bad, err, f.started)
		}
	}
}

func TestSandboxSteamRunner(t *testing.T) {
	root := newRoot(t)
	f := &fakeUnits{active: 1, result: "success", startJob: "done"}
	sb := &SystemdSandbox{PollInterval: time.Millisecond, testConn: f, testFollow: func(ctx context.Context, unit string, line func(string)) { <-ctx.Done() }}
	r := SandboxSteamRunner{Root: root, Sandbox: sb, SteamCmd: "/steam/steamcmd.sh"}
	out := filepath.Join(root.Build("install-1"), BuildOutput)
	if err := r.Run(context.Background(), out, []string{"+login", "anonymous", "+app_update", "222860", "it's"}, func(string) {}); err != nil {
		t.Fatal(err)
	}
	script, _ := os.ReadFile(filepath.Join(root.Build("install-1"), BuildScript))
	if !strings.Contains(string(script), `exec "$STEAMCMD" +force_install_dir "$OVERLAY" '+login' 'anonymous' '+app_update' '222860' 'it'\''s'`) {
		t.Errorf("steamcmd script:\n%s", script)
	}
	env, _ := os.ReadFile(filepath.Join(root.Build("install-1"), BuildEnv))
	if !strings.Contains(string(env), `STEAMCMD="/steam/steamcmd.sh"`) {
		t.Errorf("build.env:\n%s", env)
	}
	// steamcmd runs in its own template (steam/ writable), never in the
	// layer-script one.
	if want := "left4me-steamcmd@install-1.service"; len(f.started) != 1 || f.started[0] != want {
		t.Errorf("started %q, want [%s]", f.started, want)
	}
	if err := r.Run(context.Background(), t.TempDir(), nil, func(string) {}); err == nil {
		t.Error("an install dir outside builds/ was accepted")
	}
}
