package doctor

import (
	"context"
	"os"
	"path/filepath"
	"testing"
)

const dpkgStatus = `Package: lib32gcc-s1
Status: install ok installed
Architecture: amd64

Package: lib32stdc++6
Status: deinstall ok config-files
Architecture: amd64
`

func TestCheckRuntime32(t *testing.T) {
	t.Run("installed", func(t *testing.T) {
		d := newDoctor(t)
		writeSys(t, d, "/usr/lib32/libgcc_s.so.1", "ELF")
		writeSys(t, d, "/usr/lib32/libstdc++.so.6", "ELF")
		writeSys(t, d, "/var/lib/dpkg/status", dpkgStatus)
		expect(t, d.CheckRuntime32(context.Background()), "runtime32", OK, "libgcc_s.so.1 (lib32gcc-s1)", "libstdc++.so.6 (not from lib32stdc++6)")
	})
	t.Run("one missing", func(t *testing.T) {
		d := newDoctor(t)
		writeSys(t, d, "/usr/lib32/libgcc_s.so.1", "ELF")
		expect(t, d.CheckRuntime32(context.Background()), "runtime32", Fail, "missing /usr/lib32/libstdc++.so.6", "apt install lib32stdc++6")
	})
	t.Run("none", func(t *testing.T) {
		d := newDoctor(t)
		expect(t, d.CheckRuntime32(context.Background()), "runtime32", Fail, "apt install lib32gcc-s1 lib32stdc++6")
	})
}

func TestDpkgInstalled(t *testing.T) {
	d := newDoctor(t)
	writeSys(t, d, "/var/lib/dpkg/status", dpkgStatus)
	got, ok := dpkgInstalled(d.sys("/var/lib/dpkg/status"))
	if !ok || !got["lib32gcc-s1"] || got["lib32stdc++6"] {
		t.Errorf("dpkgInstalled = %v, %v", got, ok)
	}
	if _, ok := dpkgInstalled(d.sys("/nope")); ok {
		t.Error("a missing status file reported as read")
	}
}

func TestCheckSteamClient(t *testing.T) {
	setup := func(t *testing.T, d *Doctor, target bool) string {
		t.Helper()
		linux32 := filepath.Join(d.Config.Root.Steam(), "linux32")
		if err := os.MkdirAll(linux32, 0o755); err != nil {
			t.Fatal(err)
		}
		if target {
			if err := os.WriteFile(filepath.Join(linux32, "steamclient.so"), []byte("ELF"), 0o755); err != nil {
				t.Fatal(err)
			}
		}
		dot := filepath.Join(d.Identity.Service.Home, ".steam")
		if err := os.MkdirAll(dot, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(linux32, filepath.Join(dot, "sdk32")); err != nil {
			t.Fatal(err)
		}
		return linux32
	}
	t.Run("valid", func(t *testing.T) {
		d := newDoctor(t)
		linux32 := setup(t, d, true)
		expect(t, d.CheckSteamClient(context.Background()), "steamclient", OK, ".steam/sdk32/steamclient.so -> "+linux32+"/steamclient.so")
	})
	t.Run("link to nothing", func(t *testing.T) {
		d := newDoctor(t)
		linux32 := setup(t, d, false)
		expect(t, d.CheckSteamClient(context.Background()), "steamclient", Fail, "sdk32 -> "+linux32, "no such file", "left4me install")
	})
	t.Run("no link", func(t *testing.T) {
		d := newDoctor(t)
		expect(t, d.CheckSteamClient(context.Background()), "steamclient", Fail, "no such file", "left4me install")
	})
}

func writeGeneration(t *testing.T, d *Doctor, gen string, files map[string]os.FileMode) {
	t.Helper()
	dir := d.Config.Root.Installation(gen)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for f, mode := range files {
		p := filepath.Join(dir, f)
		if err := os.WriteFile(p, []byte("#!/bin/sh\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, mode); err != nil {
			t.Fatal(err)
		}
	}
}

func TestCheckInstallation(t *testing.T) {
	good := map[string]os.FileMode{"srcds_run": 0o755, "srcds_linux": 0o755}
	t.Run("newest is good", func(t *testing.T) {
		d := newDoctor(t)
		writeGeneration(t, d, "000001-a", map[string]os.FileMode{"srcds_run": 0o755})
		writeGeneration(t, d, "000002-b", good)
		writeGeneration(t, d, ".000003-writing", nil)
		expect(t, d.CheckInstallation(context.Background()), "installation", OK, "generation 000002-b")
	})
	t.Run("newest lacks srcds_linux", func(t *testing.T) {
		d := newDoctor(t)
		writeGeneration(t, d, "000001-a", good)
		writeGeneration(t, d, "000002-b", map[string]os.FileMode{"srcds_run": 0o755})
		expect(t, d.CheckInstallation(context.Background()), "installation", Fail, "000002-b", "srcds_linux: no such file", "left4me install")
	})
	t.Run("not executable", func(t *testing.T) {
		d := newDoctor(t)
		writeGeneration(t, d, "000001-a", map[string]os.FileMode{"srcds_run": 0o755, "srcds_linux": 0o644})
		expect(t, d.CheckInstallation(context.Background()), "installation", Fail, "srcds_linux is not executable (mode 0644)")
	})
	t.Run("none", func(t *testing.T) {
		d := newDoctor(t)
		expect(t, d.CheckInstallation(context.Background()), "installation", Fail, "no installation generation", "left4me install")
	})
}
