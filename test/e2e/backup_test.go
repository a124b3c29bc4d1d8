package e2e

import (
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// The instances of the backup checks.
const (
	bkup   = "bkup" // backed up while it runs
	bkupP  = 27070
	bkupR  = "bkupr" // restored from bkup's backup
	bkupRP = 27072
)

// backupChecks: an instance backed up while it runs (as left4me, through
// the CLI) restores under a new name with the same upper, owned by the
// service user, and the restored instance starts and answers.
func (h *harness) backupChecks(t *testing.T) {
	h.check(t, "backup/restore-starts", func(t *testing.T) {
		h.create(t, bkup, bkupP)
		defer func() {
			for _, n := range []string{bkupR, bkup} {
				_, _ = h.c.cli(h.ctx, nil, "instance", "stop", n)
				_, _ = h.c.cli(h.ctx, nil, "instance", "delete", n, "--yes")
			}
		}()
		h.cliOK(t, "instance", "start", bkup)
		h.mustState(t, bkup, "active")
		h.a2s(t, bkupP)
		// Files the operator put into upper while it runs (as the
		// service user, like a plugin writing its data).
		if out, err := h.c.asUser(h.ctx, "left4me", nil, "sh", "-c",
			"mkdir -p "+runtimeDir(bkup)+"/upper/left4dead2/addons/data && "+
				"head -c 3000000 /dev/urandom > "+runtimeDir(bkup)+"/upper/left4dead2/addons/data/blob.bin && "+
				"echo 'sm_test 1' > "+runtimeDir(bkup)+"/upper/left4dead2/addons/data/plugin.cfg && "+
				"chmod 600 "+runtimeDir(bkup)+"/upper/left4dead2/addons/data/plugin.cfg"); err != nil {
			t.Fatalf("write into upper: %v\n%s", err, out)
		}
		out := h.cliOK(t, "instance", "backup", bkup, "-o", stateRoot+"/bkup-test.tar.zst")
		t.Logf("%s", strings.TrimSpace(out))
		h.cliOK(t, "instance", "stop", bkup)
		// Over the existing name: refused, naming the field.
		if out, err := h.c.cli(h.ctx, nil, "instance", "restore", stateRoot+"/bkup-test.tar.zst"); err == nil || !strings.Contains(out, "name:") {
			t.Fatalf("restore over %s: %v\n%s", bkup, err, out)
		}
		out = h.cliOK(t, "instance", "restore", stateRoot+"/bkup-test.tar.zst", "--name", bkupR)
		t.Logf("%s", strings.TrimSpace(out))
		h.cliOK(t, "instance", "update", bkupR, "--port", "27072")
		src, dst := h.c.path(runtimeDir(bkup)+"/upper"), h.c.path(runtimeDir(bkupR)+"/upper")
		want, got := upperSums(t, src), upperSums(t, dst)
		for p, w := range want {
			if got[p] != w {
				t.Errorf("%s: restored %q, want %q", p, got[p], w)
			}
		}
		// Everything restore created belongs to the service user, so the
		// unit (User=left4me) can read and write it.
		var stRoot syscall.Stat_t
		if err := syscall.Stat(h.c.path(stateRoot), &stRoot); err != nil {
			t.Fatal(err)
		}
		_ = filepath.WalkDir(dst, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			var st syscall.Stat_t
			if err := syscall.Lstat(p, &st); err != nil {
				return err
			}
			if st.Uid != stRoot.Uid {
				t.Errorf("%s: owner %d, want the service user %d", p, st.Uid, stRoot.Uid)
			}
			if d.Type().IsRegular() && st.Mode&0o600 != 0o600 || d.IsDir() && st.Mode&0o700 != 0o700 {
				t.Errorf("%s: mode %o, the owner must read and write it", p, st.Mode&0o7777)
			}
			return nil
		})
		h.cliOK(t, "instance", "start", bkupR)
		h.mustState(t, bkupR, "active")
		h.a2s(t, bkupRP)
		// Its layer is in its stack again (the value is the layer's
		// newest generation's).
		if got := h.rconCvar(t, bkupRP, h.rconPassword(t, bkupR), layerCvar); got == "" {
			t.Errorf("restored instance's %s is empty: its layer is missing", layerCvar)
		}
	})
}

// upperSums maps every regular file under dir to its SHA-256.
func upperSums(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		if strings.HasPrefix(rel, "left4dead2/cfg/") || strings.HasPrefix(rel, "left4dead2/logs/") {
			// Staged at each start, and the logs the server writes.
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		out[rel] = hex.EncodeToString(sum[:])
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(out) == 0 {
		t.Fatalf("nothing in %s", dir)
	}
	return out
}
