package main

import (
	"strings"
	"testing"
)

// TestInstanceAutostartFlag: create --autostart=false and update
// --autostart set the instance's setting (the instance service's rule,
// as the panel's form and the API), show says what a reboot does, and a
// bad value is a usage error naming the flag.
func TestInstanceAutostartFlag(t *testing.T) {
	f := newCLIFixture(t)
	f.must(t, "password-one\n", "user", "create", "alice")
	f.must(t, "", "instance", "create", "quiet", "--owner", "alice", "--autostart=false")
	f.must(t, "", "instance", "create", "loud", "--owner", "alice")
	if out := f.must(t, "", "instance", "show", "quiet"); !strings.Contains(out, "off (stays stopped after a reboot)") {
		t.Errorf("show quiet:\n%s", out)
	}
	if out := f.must(t, "", "instance", "show", "loud", "--json"); !strings.Contains(out, `"autostart": true`) {
		t.Errorf("show loud --json:\n%s", out)
	}
	f.must(t, "", "instance", "update", "quiet", "--autostart")
	if out := f.must(t, "", "instance", "show", "quiet", "--json"); !strings.Contains(out, `"autostart": true`) {
		t.Errorf("after update --autostart:\n%s", out)
	}
	f.must(t, "", "instance", "update", "quiet", "--port", "23060")
	if out := f.must(t, "", "instance", "show", "quiet", "--json"); !strings.Contains(out, `"autostart": true`) {
		t.Errorf("an update without --autostart changed it:\n%s", out)
	}
	if code, _, errOut := f.run(t, "", "instance", "update", "quiet", "--autostart=maybe"); code != 2 || !strings.Contains(errOut, "autostart") {
		t.Errorf("--autostart=maybe: exit %d\n%s", code, errOut)
	}
}
