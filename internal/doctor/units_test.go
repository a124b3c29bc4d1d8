package doctor

import (
	"context"
	"testing"
)

func TestCheckUnits(t *testing.T) {
	for _, tc := range []struct {
		name  string
		edit  func(f *fakeUnits)
		want  Status
		words []string
	}{
		{"all loaded", func(f *fakeUnits) {}, OK, []string{"7 units loaded", "left4me-server@doctor-probe.service", "l4d2-build.slice"}},
		{"server template missing", func(f *fakeUnits) { delete(f.units, "left4me-server@doctor-probe.service") }, Fail,
			[]string{"left4me-server@doctor-probe.service is not-found", "not found", "daemon-reload"}},
		{"bad setting", func(f *fakeUnits) {
			f.units["left4me-web.service"] = map[string]any{"LoadState": "bad-setting", "LoadError": []any{"org.freedesktop.systemd1.BadSetting", "Unit has a bad setting"}}
		}, Fail, []string{"left4me-web.service is bad-setting", "bad setting"}},
		{"web not running", func(f *fakeUnits) { f.units["left4me-web.service"]["ActiveState"] = "failed" }, Warn, []string{"left4me-web.service is failed", "enable --now"}},
		{"autostart disabled", func(f *fakeUnits) { f.units["left4me-autostart.service"]["UnitFileState"] = "disabled" }, Warn, []string{"left4me-autostart.service is disabled, not enabled"}},
		{"no bus", func(f *fakeUnits) { f.err = errBus }, Fail, []string{"system bus not found", "dbus"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := newDoctor(t)
			f := allUnitsLoaded()
			tc.edit(f)
			d.Units = f
			expect(t, d.CheckUnits(context.Background()), "units", tc.want, tc.words...)
		})
	}
}

func TestCheckSystemd(t *testing.T) {
	bookworm := "+PAM +AUDIT +SELINUX +SECCOMP -BPF_FRAMEWORK -XKBCOMMON +UTMP default-hierarchy=unified"
	trixie := "+PAM +AUDIT +SELINUX +SECCOMP +BPF_FRAMEWORK +XKBCOMMON default-hierarchy=unified"
	props252 := map[string]any{"ProtectHostname": true, "RestrictFileSystems": []any{false, []string{}}}
	props257 := map[string]any{"PrivatePIDs": "yes", "ProtectHostname": "private", "PrivateUsersEx": "self",
		"RestrictFileSystems": []any{true, []string{"ext4", "xfs"}}, "ProtectControlGroupsEx": "yes", "PrivateTmpEx": "no"}
	for _, tc := range []struct {
		name     string
		version  string
		features string
		props    map[string]any
		cgroup2  bool
		want     Status
		words    []string
	}{
		{"Debian 12", "252.39-1~deb12u2", bookworm, props252, true, Warn,
			[]string{"systemd 252.39-1~deb12u2", "not enforced (built without BPF_FRAMEWORK)", "ProtectHostname=true", "not in this systemd: PrivatePIDs, PrivateUsersEx", "+BPF_FRAMEWORK"}},
		{"Debian 13", "257.9-1~deb13u1", trixie, props257, true, OK,
			[]string{"systemd 257.9-1~deb13u1: SocketBindAllow= enforced", "PrivatePIDs=yes", "ProtectHostname=private", "PrivateUsersEx=self", "RestrictFileSystems=ext4 xfs", "available, not set: PrivateTmpEx"}},
		{"cgroup v1", "257.9", trixie, props257, false, Warn, []string{"no unified cgroup hierarchy"}},
		{"too old", "247.3", "+BPF_FRAMEWORK", map[string]any{}, true, Warn, []string{"older than 249"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := newDoctor(t)
			d.Units = &fakeUnits{version: tc.version, features: tc.features, service: tc.props}
			if tc.cgroup2 {
				writeSys(t, d, "/sys/fs/cgroup/cgroup.controllers", "cpu memory pids\n")
			}
			expect(t, d.CheckSystemd(context.Background()), "systemd", tc.want, tc.words...)
		})
	}
	t.Run("no bus", func(t *testing.T) {
		d := newDoctor(t)
		d.Units = &fakeUnits{err: errBus}
		expect(t, d.CheckSystemd(context.Background()), "systemd", Fail, "system bus not found")
	})
}

func TestSystemdMajor(t *testing.T) {
	for v, want := range map[string]int{"252.39-1~deb12u2": 252, "257": 257, "257.9": 257, "": 0, "x": 0} {
		if got := systemdMajor(v); got != want {
			t.Errorf("systemdMajor(%q) = %d, want %d", v, got, want)
		}
	}
}
