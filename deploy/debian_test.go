package deploy

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// makeInstall runs "make install DESTDIR=dir" (or another target) in the
// repository and returns the files it wrote, relative to dir.
func makeInstall(t *testing.T, target, dir string, extra ...string) map[string]os.FileMode {
	t.Helper()
	if _, err := exec.LookPath("make"); err != nil {
		t.Skip("needs make")
	}
	args := append([]string{"-C", "..", target, "DESTDIR=" + dir, "BUILDDIR=" + filepath.Join(t.TempDir(), "bin")}, extra...)
	if out, err := exec.Command("make", args...).CombinedOutput(); err != nil {
		t.Fatalf("make %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	files := map[string]os.FileMode{}
	err := filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		if !fi.IsDir() {
			rel, _ := filepath.Rel(dir, p)
			files["/"+rel] = fi.Mode().Perm()
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// "make install DESTDIR=" installs every host file under DESTDIR, as
// package builders and other distributions use it (make deb does), and
// keeps settings a previous install left there.
func TestMakeInstallDestdir(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binaries")
	}
	dir := t.TempDir()
	files := makeInstall(t, "install", dir)
	want := map[string]os.FileMode{
		"/usr/bin/left4me":                                      0o755,
		"/usr/libexec/left4me/left4me-overlay":                  0o755,
		"/usr/lib/systemd/system/left4me-server@.service":       0o644,
		"/usr/lib/systemd/system/left4me-web.service":           0o644,
		"/usr/lib/systemd/system/left4me-autostart.service":     0o644,
		"/usr/lib/systemd/journald@left4me.conf.d/left4me.conf": 0o644,
		"/usr/share/polkit-1/rules.d/50-left4me.rules":          0o644,
		"/usr/lib/sysusers.d/left4me.conf":                      0o644,
		"/usr/lib/tmpfiles.d/left4me.conf":                      0o644,
		"/usr/lib/sysctl.d/60-left4me.conf":                     0o644,
		"/usr/share/left4me/nftables/left4me-qos.nft":           0o644,
		"/usr/share/left4me/grafana/left4me-dashboard.json":     0o644,
		"/usr/share/left4me/examples/overlays/tickrate.sh":      0o755,
		"/etc/left4me/host.env":                                 0o644,
		"/etc/left4me/web.env":                                  0o640,
		"/etc/left4me/build-resolv.conf":                        0o644,
	}
	for name, mode := range want {
		if got, ok := files[name]; !ok {
			t.Errorf("make install DESTDIR= did not install %s", name)
		} else if got != mode {
			t.Errorf("%s: mode %v, want %v", name, got, mode)
		}
	}
	for name := range files {
		if strings.HasPrefix(name, dir) {
			t.Errorf("%s: a path with DESTDIR twice", name)
		}
	}
	// An operator's settings survive a reinstall.
	env := filepath.Join(dir, "etc/left4me/web.env")
	if err := os.WriteFile(env, []byte("LEFT4ME_LISTEN=127.0.0.1:9000\n"), 0o640); err != nil {
		t.Fatal(err)
	}
	makeInstall(t, "install-data", dir)
	if b, _ := os.ReadFile(env); !bytes.Contains(b, []byte("9000")) {
		t.Errorf("make install replaced a changed web.env:\n%s", b)
	}
}

// deploy/debian/version maps git describe to Debian versions that sort in
// release order.
func TestDebianVersion(t *testing.T) {
	for _, tc := range []struct{ describe, count, want string }{
		{"v1.2.3-0-gabc1234", "", "1.2.3-1"},
		{"v1.2.3-4-gabc1234", "", "1.2.3+git4.abc1234-1"},
		{"v1.2.3-rc1-0-gabc1234", "", "1.2.3~rc1-1"},
		{"v1.2.3-4-gabc1234-dirty", "", "1.2.3+git4.abc1234+dirty-1"},
		{"abc1234", "42", "0~git.42.abc1234-1"},
		{"abc1234-dirty", "42", "0~git.42.abc1234+dirty-1"},
	} {
		out, err := exec.Command("sh", "debian/version", tc.describe, tc.count).CombinedOutput()
		if got := strings.TrimSpace(string(out)); err != nil || got != tc.want {
			t.Errorf("version %q %q = %q (%v), want %q", tc.describe, tc.count, got, err, tc.want)
		}
	}
	if out, err := exec.Command("sh", "debian/version", "abc1234").CombinedOutput(); err == nil {
		t.Errorf("a describe without a tag and no count gave %q, want an error", out)
	}
	if _, err := exec.LookPath("dpkg"); err != nil {
		return
	}
	order := []string{"0~git.42.abc1234-1", "0~git.43.def5678-1", "1.2.3~rc1-1", "1.2.3-1", "1.2.3+git4.abc1234-1", "1.2.3+git4.abc1234+dirty-1", "1.2.4-1"}
	for i := 1; i < len(order); i++ {
		if err := exec.Command("dpkg", "--compare-versions", order[i-1], "lt", order[i]).Run(); err != nil {
			t.Errorf("%s does not sort before %s", order[i-1], order[i])
		}
	}
}

// Every file under /etc in the package is a conffile, and the maintainer
// scripts are POSIX shell that sh -n accepts.
func TestMaintainerScripts(t *testing.T) {
	for _, s := range []string{"postinst", "prerm", "postrm", "mkdeb.sh", "version"} {
		p := filepath.Join("debian", s)
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode()&0o111 == 0 {
			t.Errorf("%s is not executable", p)
		}
		if out, err := exec.Command("sh", "-n", p).CombinedOutput(); err != nil {
			t.Errorf("sh -n %s: %v\n%s", p, err, out)
		}
	}
	// The purge keeps the state root unless the marker the README names
	// is there.
	b, err := os.ReadFile("debian/postrm")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `MARKER=/var/lib/left4me/.remove-on-purge`) || strings.Count(string(b), "rm -rf --one-file-system /var/lib/left4me") != 1 {
		t.Errorf("postrm must remove /var/lib/left4me only when .remove-on-purge is there")
	}
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(readme, []byte("/var/lib/left4me/.remove-on-purge")) {
		t.Errorf("README.md does not name the purge marker /var/lib/left4me/.remove-on-purge")
	}
}
