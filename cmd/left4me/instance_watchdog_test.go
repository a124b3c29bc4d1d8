package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/left4me/left4me/internal/store"
	"github.com/left4me/left4me/internal/views"
)

// TestInstanceWatchdogCLI: `instance update --watchdog on|off` sets the
// watchdog through the instance service, show says it, and anything but
// on or off is refused naming the field, changing nothing.
func TestInstanceWatchdogCLI(t *testing.T) {
	f := newCLIFixture(t)
	f.must(t, "password-one\n", "user", "create", "alice", "--admin")
	f.must(t, "", "instance", "create", "wd", "--owner", "alice")
	show := func() views.Instance {
		t.Helper()
		var v views.Instance
		if err := json.Unmarshal([]byte(f.must(t, "", "instance", "show", "wd", "--json")), &v); err != nil {
			t.Fatal(err)
		}
		return v
	}
	if !show().Watchdog {
		t.Fatal("a new instance has its watchdog off")
	}
	if out := f.must(t, "", "instance", "update", "wd", "--watchdog", "off"); out != "watchdog of wd: off\n" {
		t.Errorf("update --watchdog off printed %q", out)
	}
	if show().Watchdog {
		t.Error("--watchdog off left it on")
	}
	if out := f.must(t, "", "instance", "show", "wd"); !strings.Contains(out, "watchdog:") || !strings.Contains(out, "off") {
		t.Errorf("show:\n%s", out)
	}
	code, _, errOut := f.run(t, "", "instance", "update", "wd", "--watchdog", "maybe")
	if code != 1 || !strings.Contains(errOut, `watchdog: "maybe" is neither on nor off; give on or off`) {
		t.Errorf("--watchdog maybe: exit %d, stderr %q", code, errOut)
	}
	if show().Watchdog {
		t.Error("a refused update changed the setting")
	}
	f.must(t, "", "instance", "update", "wd", "--watchdog", "on")
	if !show().Watchdog {
		t.Error("--watchdog on left it off")
	}
}

// TestInstanceShowUnhealthy: show and list say when the watchdog marked
// the running server unhealthy.
func TestInstanceShowUnhealthy(t *testing.T) {
	f := newCLIFixture(t)
	f.must(t, "password-one\n", "user", "create", "alice", "--admin")
	f.must(t, "", "instance", "create", "wd", "--owner", "alice")
	st, err := store.Open(context.Background(), strings.TrimPrefix(f.env["DATABASE_URL"], "sqlite://"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.SetUnhealthy(context.Background(), "wd", time.Now(), "frozen, not restarted"); err != nil {
		t.Fatal(err)
	}
	// Stopped: the mark belonged to a run that is over.
	if out := f.must(t, "", "instance", "show", "wd"); strings.Contains(out, "unhealthy") {
		t.Errorf("show of a stopped instance:\n%s", out)
	}
}
