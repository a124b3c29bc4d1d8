package main

import (
	"os"
	"strings"
	"testing"

	"github.com/left4me/left4me/internal/layout"
)

// TestPinRollbackAndCanaryCommands: instance update --pin/--unpin (a
// missing generation refused naming the field, nothing changed), install
// --rollback (to the previous and to a named generation; a missing one
// refused naming the field), install --list showing the default and the
// pins, and install --canary refusing a missing instance.
func TestPinRollbackAndCanaryCommands(t *testing.T) {
	f := newCLIFixture(t)
	f.must(t, "password-one\n", "user", "create", "alice", "--admin")
	for _, g := range []string{"000001-a", "000002-b", "000003-c"} {
		if err := os.MkdirAll(f.root.Installation(g), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	f.must(t, "", "instance", "create", "vs1", "--owner", "alice")

	code, _, errOut := f.run(t, "", "instance", "update", "vs1", "--pin", "installation=000009-z", "--port", "23050")
	if code == 0 || !strings.Contains(errOut, "pin:") || !strings.Contains(errOut, `"000009-z"`) {
		t.Errorf("pin to a missing generation: exit %d\n%s", code, errOut)
	}
	code, _, errOut = f.run(t, "", "instance", "update", "vs1", "--pin", "bogus")
	if code == 0 || !strings.Contains(errOut, "pin:") {
		t.Errorf("pin without =: exit %d\n%s", code, errOut)
	}
	code, _, errOut = f.run(t, "", "instance", "update", "vs1", "--unpin", "nolayer")
	if code == 0 || !strings.Contains(errOut, "unpin:") {
		t.Errorf("unpin of a layer it lacks: exit %d\n%s", code, errOut)
	}
	out := f.must(t, "", "instance", "update", "vs1", "--pin", "installation=000001-a")
	if !strings.Contains(out, "pinned to installation=000001-a") {
		t.Errorf("pin output:\n%s", out)
	}
	if p, _ := layout.ReadPins(f.root.Pins("vs1")); p[layout.PinInstallation] != "000001-a" {
		t.Errorf("pins file: %v", p)
	}
	if out := f.must(t, "", "instance", "show", "vs1"); !strings.Contains(out, "pinned:") || !strings.Contains(out, "installation=000001-a") {
		t.Errorf("show lacks the pins:\n%s", out)
	}
	if out := f.must(t, "", "instance", "show", "vs1", "--json"); !strings.Contains(out, `"pins": {`) {
		t.Errorf("show --json lacks the pins:\n%s", out)
	}
	out = f.must(t, "", "install", "--list")
	if !strings.Contains(out, "DEFAULT") || !strings.Contains(out, "PINNED BY") || !strings.Contains(out, "vs1") {
		t.Errorf("install --list:\n%s", out)
	}
	f.must(t, "", "instance", "update", "vs1", "--unpin", "all")
	if p, _ := layout.ReadPins(f.root.Pins("vs1")); len(p) != 0 {
		t.Errorf("pins after --unpin all: %v", p)
	}

	out = f.must(t, "", "install", "--rollback")
	if d, _ := layout.Default(f.root.Installations()); d != "000002-b" || !strings.Contains(out, "000002-b is the default now (was 000003-c)") {
		t.Errorf("rollback to the previous: default %q\n%s", d, out)
	}
	f.must(t, "", "install", "--rollback", "000001-a")
	if d, _ := layout.Default(f.root.Installations()); d != "000001-a" {
		t.Errorf("rollback to 000001-a: default %q", d)
	}
	code, _, errOut = f.run(t, "", "install", "--rollback")
	if code == 0 || !strings.Contains(errOut, "generation:") {
		t.Errorf("rollback below the oldest: exit %d\n%s", code, errOut)
	}
	code, _, errOut = f.run(t, "", "install", "--rollback", "000009-z")
	if code == 0 || !strings.Contains(errOut, "generation:") {
		t.Errorf("rollback to a missing generation: exit %d\n%s", code, errOut)
	}
	if d, _ := layout.Default(f.root.Installations()); d != "000001-a" {
		t.Errorf("a refused rollback changed the default to %q", d)
	}
	// Back to the newest: the held default is gone.
	f.must(t, "", "install", "--rollback", "000003-c")
	if layout.HeldDefault(f.root.Installations()) != "" {
		t.Error("rolling back to the newest left a held default")
	}
	code, _, errOut = f.run(t, "", "install", "--canary", "nosuch", "--generation", "000003-c")
	if code == 0 || !strings.Contains(errOut, "canary:") {
		t.Errorf("canary of a missing instance: exit %d\n%s", code, errOut)
	}
	code, _, errOut = f.run(t, "", "install", "--canary", "vs1", "--generation", "000009-z")
	if code == 0 || !strings.Contains(errOut, "generation:") {
		t.Errorf("canary of a missing generation: exit %d\n%s", code, errOut)
	}
	out = f.must(t, "", "install", "--canary", "vs1", "--generation", "000003-c")
	if !strings.Contains(out, "queued job") {
		t.Errorf("canary queued:\n%s", out)
	}
	code, _, errOut = f.run(t, "", "install", "000001-a")
	if code == 0 {
		t.Errorf("install GEN without --rollback: exit 0\n%s", errOut)
	}
}
