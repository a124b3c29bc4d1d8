package e2e

import (
	"context"
	"database/sql"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pressly/goose/v3"
	_ "modernc.org/sqlite" // the driver internal/store uses
)

// The harness installs left4me the way an operator does: the Debian package
// (make deb) with apt-get in the guest, whose postinst does the README's
// post-install step. LEFT4ME_E2E_INSTALL=make uses "make install DESTDIR="
// and the README's manual post-install step instead.
func installWithMake() bool { return os.Getenv("LEFT4ME_E2E_INSTALL") == "make" }

const (
	// guestDebDir holds the packages in the guest: first/ the one installed
	// at the start, second/ the same source with a higher version.
	guestDebDir = "/root/left4me-e2e"
	debupName   = "debup"
	debupP      = 27060
	dbPath      = stateRoot + "/left4me.db"
)

// aptInstall is apt-get install of a local package, without the
// recommended packages (the guest has no network) and keeping a changed
// conffile (the harness edits web.env).
const aptInstall = `cd "$1" && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends ` +
	`-o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold ./left4me_*.deb`

// debVersions are the first package's version (deploy/debian/version for
// this checkout) and the second's, which sorts after it.
func debVersions(ctx context.Context, t *testing.T, repo string) (string, string) {
	t.Helper()
	cmd := exec.CommandContext(ctx, "sh", "deploy/debian/version")
	cmd.Dir = repo
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("deploy/debian/version: %v", err)
	}
	v1 := strings.TrimSpace(string(out))
	v2 := strings.TrimSuffix(v1, "-1") + "+e2e2-1"
	if err := exec.CommandContext(ctx, "dpkg", "--compare-versions", v2, "gt", v1).Run(); err != nil {
		t.Fatalf("version %s does not sort after %s", v2, v1)
	}
	return v1, v2
}

// buildDebs runs "make deb" twice into work/deb/{first,second} (once for
// all suites) and copies both packages into the guest rootfs.
func buildDebs(ctx context.Context, t *testing.T, repo, work, root string, env []string) {
	t.Helper()
	dir := filepath.Join(work, "deb")
	if _, err := os.Stat(filepath.Join(dir, "second")); err != nil {
		v1, v2 := debVersions(ctx, t, repo)
		for sub, v := range map[string]string{"first": v1, "second": v2} {
			out := filepath.Join(dir, sub, "left4me_"+v+"_amd64.deb")
			cmd := exec.CommandContext(ctx, "make", "deb", "GO="+goTool(), "DEB_VERSION="+v, "DEB="+out)
			cmd.Dir, cmd.Env = repo, env
			if b, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("make deb DEB_VERSION=%s: %v\n%s", v, err, b)
			}
		}
	}
	if out, err := exec.CommandContext(ctx, "cp", "-a", dir+"/.", filepath.Join(root, guestDebDir)).CombinedOutput(); err != nil {
		t.Fatalf("copy the packages into the guest: %v\n%s", err, out)
	}
}

// installDeb installs a package in the guest with apt-get.
func (h *harness) installDeb(t *testing.T, which string) string {
	t.Helper()
	out, err := h.c.exec(h.ctx, nil, "sh", "-c", aptInstall, "sh", guestDebDir+"/"+which)
	if err != nil {
		t.Fatalf("apt-get install ./left4me_*.deb (%s): %v", which, err)
	}
	return out
}

// dbVersion is the database's migration version and the newest migration
// of the source, read from the host side of the rootfs.
func (h *harness) dbVersion(t *testing.T, rollback bool) (got, newest int64) {
	t.Helper()
	db, err := sql.Open("sqlite", h.c.path(dbPath))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	p, err := goose.NewProvider(goose.DialectSQLite3, db, os.DirFS(filepath.Join(h.repo, "internal", "store", "migrations")))
	if err != nil {
		t.Fatalf("goose: %v", err)
	}
	if rollback {
		if _, err := p.Down(h.ctx); err != nil {
			t.Fatalf("roll back the newest migration: %v", err)
		}
	}
	if got, err = p.GetDBVersion(h.ctx); err != nil {
		t.Fatalf("database version: %v", err)
	}
	srcs := p.ListSources()
	return got, srcs[len(srcs)-1].Version
}

// webExe is the web unit's main process and whether it runs the file now at
// /usr/bin/left4me (same inode, not a deleted one).
func (h *harness) webExe(t *testing.T) (pid string, current bool, detail string) {
	t.Helper()
	pid = h.prop(t, "left4me-web.service", "MainPID")
	if pid == "" || pid == "0" {
		return pid, false, "left4me-web has no main process"
	}
	out, err := h.c.exec(h.ctx, nil, "sh", "-c", `readlink /proc/$1/exe; stat -L -c %i /proc/$1/exe; stat -c %i /usr/bin/left4me`, "sh", pid)
	if err != nil {
		return pid, false, err.Error()
	}
	f := strings.Fields(out)
	return pid, len(f) == 3 && f[0] == "/usr/bin/left4me" && f[1] == f[2], strings.TrimSpace(out)
}

// debChecks upgrades the package under a running instance, then removes
// and purges it. It changes the installation, so it runs last.
func (h *harness) debChecks(t *testing.T) {
	if installWithMake() {
		t.Log("deb checks skipped: LEFT4ME_E2E_INSTALL=make")
		return
	}
	var oldWeb string
	h.check(t, "deb/upgrade-keeps-instances-running", func(t *testing.T) {
		h.create(t, debupName, debupP)
		h.cliOK(t, "instance", "start", debupName)
		h.mustState(t, debupName, "active")
		h.a2s(t, debupP)
		mainPID := h.prop(t, unitName(debupName), "MainPID")
		var current bool
		var detail string
		oldWeb, current, detail = h.webExe(t)
		if !current {
			t.Fatalf("before the upgrade the panel does not run /usr/bin/left4me: %s", detail)
		}
		// An older database: the newest migration rolled back, as after a
		// release that adds one.
		before, newest := h.dbVersion(t, true)
		if before >= newest {
			t.Fatalf("database at version %d after rolling back, newest %d", before, newest)
		}
		out := h.installDeb(t, "second")
		t.Logf("upgrade:\n%s", lastLines(out, 8))
		if v, _ := h.c.exec(h.ctx, nil, "dpkg-query", "-W", "-f", "${Version}", "left4me"); !strings.Contains(v, "+e2e2") {
			t.Fatalf("installed version after the upgrade = %q", v)
		}
		if got := h.prop(t, unitName(debupName), "MainPID"); got != mainPID {
			t.Errorf("the upgrade restarted %s: main process %s, was %s", unitName(debupName), got, mainPID)
		}
		h.mustState(t, debupName, "active")
		h.mustMounted(t, debupName, true)
		h.a2s(t, debupP)
		if got, newest := h.dbVersion(t, false); got != newest {
			t.Errorf("database at version %d after the upgrade, want %d", got, newest)
		}
		if err := within(h.ctx, 30*time.Second, "the panel on the new binary", func() (bool, error) {
			pid, current, _ := h.webExe(t)
			return pid != oldWeb && current && h.prop(t, "left4me-web.service", "ActiveState") == "active", nil
		}); err != nil {
			_, _, detail := h.webExe(t)
			t.Errorf("%v: %s", err, detail)
		}
	})
	h.check(t, "deb/upgraded-instance-stops-and-unmounts", func(t *testing.T) {
		h.cliOK(t, "instance", "stop", debupName)
		h.mustState(t, debupName, "inactive")
		if r := h.prop(t, unitName(debupName), "Result"); r != "success" && r != "" {
			t.Errorf("%s Result = %q after the stop\n%s", unitName(debupName), r, h.unitLog(debupName))
		}
		h.mustMounted(t, debupName, false)
		if _, err := os.Stat(h.c.path(runtimeDir(debupName) + "/work/work")); err == nil {
			t.Errorf("work/work left behind after the stop (rule 7)")
		}
	})
	var uid string
	h.check(t, "deb/remove-stops-everything", func(t *testing.T) {
		h.cliOK(t, "instance", "start", debupName)
		h.mustState(t, debupName, "active")
		uid = strings.TrimSpace(h.must(t, "id", "-u", "left4me"))
		out, err := h.c.exec(h.ctx, nil, "env", "DEBIAN_FRONTEND=noninteractive", "apt-get", "remove", "-y", "-q", "left4me")
		if err != nil {
			t.Fatalf("apt-get remove: %v", err)
		}
		t.Logf("remove:\n%s", lastLines(out, 6))
		for _, u := range []string{"left4me-web.service", unitName(debupName)} {
			if s := h.prop(t, u, "ActiveState"); s == "active" || s == "activating" || s == "deactivating" {
				t.Errorf("%s is %s after the removal", u, s)
			}
		}
		h.mustMounted(t, debupName, false)
		for _, p := range []string{"/usr/bin/left4me", "/usr/lib/systemd/system/left4me-web.service", "/usr/share/polkit-1/rules.d/50-left4me.rules"} {
			if _, err := os.Lstat(h.c.path(p)); err == nil {
				t.Errorf("%s is still there after the removal", p)
			}
		}
		if _, err := os.Stat(h.c.path("/etc/left4me/web.env")); err != nil {
			t.Errorf("a removal (not a purge) removed the settings: %v", err)
		}
	})
	h.check(t, "deb/purge-leaves-only-the-state-root", func(t *testing.T) {
		out, err := h.c.exec(h.ctx, nil, "env", "DEBIAN_FRONTEND=noninteractive", "apt-get", "purge", "-y", "-q", "left4me")
		if err != nil {
			t.Fatalf("apt-get purge: %v", err)
		}
		t.Logf("purge:\n%s", lastLines(out, 6))
		left, _ := h.c.exec(h.ctx, nil, "sh", "-c", `find /etc /usr /var/lib/systemd /var/lib/polkit-1 -path /usr/local -prune -o -name '*left4me*' -print 2>/dev/null; ls -d /var/log/journal/*.left4me 2>/dev/null; true`)
		if s := strings.TrimSpace(left); s != "" {
			t.Errorf("left behind after the purge:\n%s", s)
		}
		for _, db := range []string{"passwd", "group"} {
			if out, err := h.c.exec(h.ctx, nil, "getent", db, "left4me"); err == nil {
				t.Errorf("%s still has left4me after the purge: %s", db, out)
			}
		}
		if st, _ := h.c.exec(h.ctx, nil, "dpkg-query", "-W", "-f", "${db:Status-Status}", "left4me"); strings.Contains(st, "installed") && !strings.Contains(st, "not-installed") {
			t.Errorf("dpkg status after the purge: %q", st)
		}
		if _, err := os.Stat(h.c.path(dbPath)); err != nil {
			t.Errorf("the purge removed the state root (the database): %v", err)
		}
	})
	h.check(t, "deb/reinstall-adopts-the-kept-state-root", func(t *testing.T) {
		h.installDeb(t, "second")
		if got := strings.TrimSpace(h.must(t, "id", "-u", "left4me")); got != uid {
			t.Errorf("left4me's uid after the reinstall = %s, want the kept state root's %s", got, uid)
		}
		if out := h.cliOK(t, "user", "list"); !strings.Contains(out, adminUser) {
			t.Errorf("the kept database has no %s after the reinstall:\n%s", adminUser, out)
		}
		if s := h.prop(t, "left4me-web.service", "ActiveState"); s != "active" {
			t.Errorf("left4me-web is %s after the reinstall", s)
		}
	})
	h.check(t, "deb/purge-with-marker-removes-the-state-root", func(t *testing.T) {
		h.must(t, "touch", stateRoot+"/.remove-on-purge")
		if out, err := h.c.exec(h.ctx, nil, "env", "DEBIAN_FRONTEND=noninteractive", "apt-get", "purge", "-y", "-q", "left4me"); err != nil {
			t.Fatalf("apt-get purge: %v\n%s", err, out)
		}
		if _, err := os.Lstat(h.c.path(stateRoot)); err == nil {
			t.Errorf("%s is still there after a purge with the marker", stateRoot)
		}
	})
}

// must runs a command as root in the guest and fails the check on error.
func (h *harness) must(t *testing.T, argv ...string) string {
	t.Helper()
	out, err := h.c.exec(h.ctx, nil, argv...)
	if err != nil {
		t.Fatalf("%v", err)
	}
	return out
}

// The version of the harness's second package sorts after the first.
func TestDebVersionsOrder(t *testing.T) {
	if _, err := exec.LookPath("dpkg"); err != nil {
		t.Skip("needs dpkg")
	}
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("needs git")
	}
	v1, v2 := debVersions(context.Background(), t, repoRoot(t))
	t.Logf("%s < %s", v1, v2)
}
