package doctor

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
)

// polkitRunner answers busctl like systemd does under a polkit that allows
// the units in allowed.
func polkitRunner(allowed ...string) *fakeRunner {
	return polkitVersionRunner("pkaction version 126\n", allowed...)
}

// polkitVersionRunner is polkitRunner whose pkaction --version prints
// version.
func polkitVersionRunner(version string, allowed ...string) *fakeRunner {
	return &fakeRunner{answer: func(argv []string) (string, error) {
		if slices.Equal(argv, []string{"pkaction", "--version"}) {
			return version, nil
		}
		if argv[0] != "busctl" {
			return "", errors.New("unexpected command " + argv[0])
		}
		for _, u := range allowed {
			if slices.Contains(argv, "/org/freedesktop/systemd1/unit/"+u) {
				return "", nil
			}
		}
		return "Call failed: Interactive authentication required.\n", errors.New("exit status 1")
	}}
}

const (
	probeUnitPath    = "left4me_2dserver_40doctor_2dprobe_2eservice"
	negativeUnitPath = "doctor_2dprobe_2dnot_2dleft4me_2eservice"
)

func TestCheckPolkit(t *testing.T) {
	for _, tc := range []struct {
		name    string
		allowed []string
		want    Status
		words   []string
	}{
		{"rule effective", []string{probeUnitPath}, OK, []string{"may reset-failed left4me-server@doctor-probe.service", "refused on doctor-probe-not-left4me.service"}},
		{"no rule", nil, Fail, []string{"may not reset-failed", "Interactive authentication required", "50-left4me.rules"}},
		{"rule too broad", []string{probeUnitPath, negativeUnitPath}, Fail, []string{"grant more than left4me's units"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := newDoctor(t)
			r := polkitRunner(tc.allowed...)
			d.Cmd = r
			expect(t, d.CheckPolkit(context.Background()), "polkit", tc.want, tc.words...)
			for _, c := range r.calls {
				if c.argv[0] == "pkaction" {
					continue
				}
				if c.as != nil {
					t.Errorf("as the service user the call switched user: %+v", c)
				}
				if !slices.Contains(c.argv, "--allow-interactive-authorization=no") || !slices.Contains(c.argv, "ResetFailed") {
					t.Errorf("argv = %v", c.argv)
				}
			}
		})
	}
}

func TestCheckPolkitAsRootRunsAsServiceUser(t *testing.T) {
	d := newDoctor(t)
	d.Identity = Identity{EUID: 0, Service: Account{Name: ServiceUser, UID: 999, GID: 999}}
	r := polkitRunner(probeUnitPath)
	d.Cmd = r
	expect(t, d.CheckPolkit(context.Background()), "polkit", OK)
	busctl := slices.DeleteFunc(slices.Clone(r.calls), func(c call) bool { return c.argv[0] != "busctl" })
	if len(busctl) != 2 {
		t.Fatalf("%d busctl calls, want the positive and the negative one", len(busctl))
	}
	for _, c := range busctl {
		if c.as == nil || c.as.UID != 999 {
			t.Errorf("as root, a call ran as %+v, want the service user", c.as)
		}
	}
}

func TestCheckPolkitAndJournalSkipForOtherUsers(t *testing.T) {
	d := newDoctor(t)
	d.Identity = Identity{EUID: 1234, Service: Account{Name: ServiceUser, UID: 999}}
	r := polkitRunner(probeUnitPath)
	d.Cmd = r
	expect(t, d.CheckPolkit(context.Background()), "polkit", Skip, "not checked as uid 1234", "run the doctor as root or left4me")
	expect(t, d.CheckJournal(context.Background()), "journal", Skip, "not checked as uid 1234")
	if len(r.calls) != 0 {
		t.Errorf("ran %v as another user", r.calls)
	}
	d.Identity = Identity{EUID: 0, ServiceErr: errors.New("user left4me does not exist")}
	expect(t, d.CheckPolkit(context.Background()), "polkit", Skip, "does not exist", "systemd-sysusers")
}

func TestCheckJournal(t *testing.T) {
	for _, tc := range []struct {
		name  string
		out   string
		err   error
		want  Status
		words []string
	}{
		{"readable", "2026-11-30T18:00:00+0000 host srcds_run[12]: Executing dedicated server config file server.cfg\n", nil, OK, []string{"reads journal namespace left4me", "Executing dedicated server config"}},
		{"empty", "-- No entries --\n", nil, OK, []string{"no entries yet"}},
		{"no permission", "No journal files were opened due to insufficient permissions.\n", errors.New("exit status 1"), Fail, []string{"cannot read", "systemd-tmpfiles --create"}},
		{"no files", "No journal files were found.\n", nil, Warn, []string{"no files yet"}},
		{"no journalctl", "", errors.New("exec: \"journalctl\": executable file not found"), Fail, []string{"executable file not found"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := newDoctor(t)
			r := &fakeRunner{answer: func([]string) (string, error) { return tc.out, tc.err }}
			d.Cmd = r
			expect(t, d.CheckJournal(context.Background()), "journal", tc.want, tc.words...)
			if len(r.calls) != 1 || !strings.Contains(strings.Join(r.calls[0].argv, " "), "journalctl --namespace=left4me -n 1") {
				t.Errorf("calls = %+v", r.calls)
			}
		})
	}
}

// TestCheckPolkitNotesDebian12sStall: polkitd before 123 gets a note on
// its 15 s stalls (docs/platforms.md); the check still passes.
func TestCheckPolkitNotesDebian12sStall(t *testing.T) {
	for _, tc := range []struct {
		version string
		note    bool
	}{
		{"pkaction version 122\n", true},
		{"pkaction version 0.105\n", false}, // no JavaScript rules at all
		{"pkaction version 123\n", false},
		{"pkaction version 126\n", false},
		{"", false},
	} {
		d := newDoctor(t)
		d.Cmd = polkitVersionRunner(tc.version, probeUnitPath)
		r := d.CheckPolkit(context.Background())
		if r.Status != OK {
			t.Errorf("%q: status %s, want ok: %s", tc.version, r.Status, r.Found)
		}
		if got := strings.Contains(r.Found, "fixed in polkit 123"); got != tc.note {
			t.Errorf("%q: found %q, note = %v, want %v", tc.version, r.Found, got, tc.note)
		}
	}
}
