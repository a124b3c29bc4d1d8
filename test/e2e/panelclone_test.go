package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"syscall"
	"testing"
)

// The instances of the panel's clone, diff and backup checks.
const (
	pcSrc  = "pcsrc" // created and run through the panel
	pcSrcP = 27080
	pcDst  = "pcdst" // its clone (the panel picks the port)
	pcRes  = "pcres" // restored from pcsrc's backup
)

// Files the panel checks put into pcsrc's upper: a cfg its server.cfg
// execs (so RCON shows whether a copy has it) and, where the service user
// can make one, a whiteout hiding a file of the installation.
const (
	pcCfg      = "left4dead2/cfg/e2e_panel.cfg"
	pcCvar     = "sv_e2e_panel_marker"
	pcValue    = "copied-by-panel"
	pcWhiteout = "left4dead2/motd.txt"
)

// apiInstance is the part of an instance as /api/v1 answers it these
// checks read.
type apiInstance struct {
	Name         string `json:"name"`
	Port         int    `json:"port"`
	State        string `json:"state"`
	RCONPassword string `json:"rcon_password"`
}

// send calls a JSON API route with the session's CSRF token and a body
// (JSON unless contentType says otherwise), wants the status want and
// decodes the answer into into (when not nil).
func (p *panel) send(t *testing.T, method, path, contentType string, body []byte, want int, into any) string {
	t.Helper()
	if contentType == "" {
		contentType = "application/json"
	}
	var r io.Reader
	if body != nil {
		r = bytes.NewReader(body)
	}
	code, answer := p.do(t, method, path, r, http.Header{"X-CSRF-Token": {p.csrf}, "Content-Type": {contentType}})
	if code != want {
		t.Fatalf("%s %s: %d, want %d: %s", method, path, code, want, strings.TrimSpace(answer))
	}
	if into != nil {
		if err := json.Unmarshal([]byte(answer), into); err != nil {
			t.Fatalf("%s %s: %v\n%s", method, path, err, answer)
		}
	}
	return answer
}

// sendJSON is send with v as the JSON body.
func (p *panel) sendJSON(t *testing.T, method, path string, v any, want int, into any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return p.send(t, method, path, "", b, want, into)
}

// diffKinds lists an instance's upper through the panel: path → kind.
func (p *panel) diffKinds(t *testing.T, name string) map[string]string {
	t.Helper()
	code, body := p.do(t, "GET", "/api/v1/instances/"+name+"/diff", nil, nil)
	var d struct {
		Changes []struct {
			Path string `json:"path"`
			Kind string `json:"kind"`
		} `json:"changes"`
	}
	if code != http.StatusOK || json.Unmarshal([]byte(body), &d) != nil {
		t.Fatalf("GET diff of %s: %d %s", name, code, strings.TrimSpace(body))
	}
	kinds := map[string]string{}
	for _, c := range d.Changes {
		kinds[c.Path] = c.Kind
	}
	return kinds
}

// isWhiteoutAt reports whether the guest path is an overlay whiteout (a
// character device 0/0).
func (h *harness) isWhiteoutAt(guest string) (bool, error) {
	var st syscall.Stat_t
	if err := syscall.Lstat(h.c.path(guest), &st); err != nil {
		return false, err
	}
	return st.Mode&syscall.S_IFMT == syscall.S_IFCHR && st.Rdev == 0, nil
}

// panelCloneChecks: clone, diff, revert, backup and restore through the
// real left4me-web.service, whose sandbox (no capabilities, PrivateDevices,
// PrivateUsers, a system call filter, a read-only file system but the
// state root) the CLI checks (clone, backup) do not run in. Every call
// goes to /api/v1 as the admin.
func (h *harness) panelCloneChecks(t *testing.T) {
	var (
		p        *panel
		src, dst apiInstance
		whiteout bool // pcsrc's upper has one
		cloned   bool // the clone check passed
	)
	defer func() {
		if p == nil {
			return
		}
		for _, n := range []string{pcRes, pcDst, pcSrc} {
			code, _ := p.do(t, "POST", "/api/v1/instances/"+n+"/stop", nil, http.Header{"X-CSRF-Token": {p.csrf}})
			if code == http.StatusNotFound {
				continue
			}
			if code, body := p.do(t, "DELETE", "/api/v1/instances/"+n, nil, http.Header{"X-CSRF-Token": {p.csrf}}); code != http.StatusNoContent {
				t.Errorf("clean-up: DELETE %s: %d %s", n, code, strings.TrimSpace(body))
			}
		}
		// Backups outlive their instance: this one goes with the check.
		if out, err := h.c.exec(h.ctx, nil, "rm", "-rf", stateRoot+"/backups/"+pcSrc); err != nil {
			t.Errorf("clean-up: %v\n%s", err, out)
		}
	}()
	h.check(t, "panelclone/clone-running", func(t *testing.T) {
		h.waitPanel(t)
		p = h.login(t)
		cfg := fmt.Sprintf("hostname \"left4me e2e %s\"\nexec e2e_layer.cfg\nexec e2e_panel.cfg\n", pcSrc)
		p.sendJSON(t, "POST", "/api/v1/instances", map[string]any{
			"name": pcSrc, "port": pcSrcP, "layers": []string{layerID}, "server_cfg": cfg,
		}, http.StatusCreated, &src)
		// Into the upper as the service user (a plugin writing its data).
		upper := runtimeDir(pcSrc) + "/upper/"
		if out, err := h.c.asUser(h.ctx, "left4me", nil, "sh", "-c",
			fmt.Sprintf("mkdir -p %s && printf '%s \"%s\"\\n' > %s", upper+"left4dead2/cfg", pcCvar, pcValue, upper+pcCfg)); err != nil {
			t.Fatalf("write into the upper: %v\n%s", err, out)
		}
		if _, err := h.c.asUser(h.ctx, "left4me", nil, "mknod", upper+pcWhiteout, "c", "0", "0"); err != nil {
			t.Logf("the service user cannot make a whiteout here (%v): checked without one", err)
		} else {
			whiteout = true
		}
		p.api(t, "POST", "/api/v1/instances/"+pcSrc+"/start")
		h.mustState(t, pcSrc, "active")
		srcPW := h.rconPassword(t, pcSrc)

		p.sendJSON(t, "POST", "/api/v1/instances/"+pcSrc+"/clone", map[string]any{"name": pcDst}, http.StatusCreated, &dst)
		if dst.Name != pcDst || dst.State != "stopped" {
			t.Fatalf("the clone as the panel answers it: %+v, want %s stopped", dst, pcDst)
		}
		if got := h.prop(t, unitName(pcDst), "ActiveState"); got == "active" {
			t.Fatal("the clone is running before anyone started it")
		}
		if dst.Port == 0 || dst.Port == src.Port {
			t.Errorf("the clone's port %d, the source's %d: want its own", dst.Port, src.Port)
		}
		if dst.RCONPassword == "" || dst.RCONPassword == srcPW {
			t.Errorf("the clone's RCON password %q: want its own (the source's is %q)", dst.RCONPassword, srcPW)
		}
		if b, err := os.ReadFile(h.c.path(runtimeDir(pcDst) + "/upper/" + pcCfg)); err != nil || !strings.Contains(string(b), pcValue) {
			t.Errorf("the clone's copy of %s: %q, %v", pcCfg, b, err)
		}
		if whiteout {
			if ok, err := h.isWhiteoutAt(runtimeDir(pcDst) + "/upper/" + pcWhiteout); !ok {
				t.Errorf("the whiteout %s was not copied (%v)", pcWhiteout, err)
			}
		}
		p.api(t, "POST", "/api/v1/instances/"+pcDst+"/start")
		h.mustState(t, pcDst, "active")
		h.a2s(t, dst.Port)
		if got := h.rconCvar(t, dst.Port, dst.RCONPassword, pcCvar); got != pcValue {
			t.Errorf("%s of the clone over RCON with its own password: %q, want %q", pcCvar, got, pcValue)
		}
		// The source runs on.
		h.mustState(t, pcSrc, "active")
		h.a2s(t, pcSrcP)
		cloned = !t.Failed()
	})
	h.check(t, "panelclone/diff-revert", func(t *testing.T) {
		if !cloned {
			t.Skip("no clone (panelclone/clone-running failed)")
		}
		kinds := p.diffKinds(t, pcDst)
		if kinds[pcCfg] != "new" {
			t.Errorf("diff of the clone: %s is %q, want new (all: %v)", pcCfg, kinds[pcCfg], kinds)
		}
		if whiteout && kinds[pcWhiteout] != "deleted" {
			t.Errorf("diff of the clone: %s is %q, want deleted (all: %v)", pcWhiteout, kinds[pcWhiteout], kinds)
		}
		revert := "/api/v1/instances/" + pcDst + "/revert"
		// Refused while it runs (its overlay is mounted on the upper).
		p.sendJSON(t, "POST", revert, map[string]string{"path": pcCfg}, http.StatusConflict, nil)
		p.api(t, "POST", "/api/v1/instances/"+pcDst+"/stop")
		h.mustState(t, pcDst, "inactive")
		paths := []string{pcCfg}
		if whiteout {
			paths = append(paths, pcWhiteout)
		}
		for _, rel := range paths {
			p.sendJSON(t, "POST", revert, map[string]string{"path": rel}, http.StatusNoContent, nil)
			if _, err := os.Lstat(h.c.path(runtimeDir(pcDst) + "/upper/" + rel)); !os.IsNotExist(err) {
				t.Errorf("reverted %s is still in the clone's upper (%v)", rel, err)
			}
		}
		kinds = p.diffKinds(t, pcDst)
		for _, rel := range paths {
			if k, ok := kinds[rel]; ok {
				t.Errorf("diff after the revert still lists %s (%s)", rel, k)
			}
		}
		// The source keeps its own.
		if _, err := os.Lstat(h.c.path(runtimeDir(pcSrc) + "/upper/" + pcCfg)); err != nil {
			t.Errorf("the revert on the clone touched the source: %v", err)
		}
	})
	h.check(t, "panelclone/backup-restore", func(t *testing.T) {
		if p == nil || src.Name == "" {
			t.Skip("no source instance (panelclone/clone-running failed)")
		}
		// Of the running source.
		var b struct {
			File     string `json:"file"`
			Size     int64  `json:"size"`
			Download string `json:"download"`
		}
		p.send(t, "POST", "/api/v1/instances/"+pcSrc+"/backups", "", nil, http.StatusCreated, &b)
		if _, err := os.Stat(h.c.path(stateRoot + "/backups/" + pcSrc + "/" + b.File)); err != nil {
			t.Errorf("the backup is not in the backup directory: %v", err)
		}
		code, archive := p.do(t, "GET", b.Download, nil, nil)
		if code != http.StatusOK || int64(len(archive)) != b.Size {
			t.Fatalf("GET %s: %d, %d bytes, want %d", b.Download, code, len(archive), b.Size)
		}
		var res struct {
			Instance apiInstance `json:"instance"`
			Warnings []string    `json:"warnings"`
		}
		p.send(t, "POST", "/api/v1/restore?name="+url.QueryEscape(pcRes), "application/octet-stream", []byte(archive), http.StatusCreated, &res)
		t.Logf("restored %s on port %d; warnings: %q", res.Instance.Name, res.Instance.Port, res.Warnings)
		if res.Instance.Name != pcRes || res.Instance.Port == pcSrcP {
			t.Fatalf("restored: %+v, want %s on a port of its own (%d is the running source's)", res.Instance, pcRes, pcSrcP)
		}
		if b, err := os.ReadFile(h.c.path(runtimeDir(pcRes) + "/upper/" + pcCfg)); err != nil || !strings.Contains(string(b), pcValue) {
			t.Errorf("the restored copy of %s: %q, %v", pcCfg, b, err)
		}
		if whiteout {
			if ok, err := h.isWhiteoutAt(runtimeDir(pcRes) + "/upper/" + pcWhiteout); !ok {
				t.Errorf("the whiteout %s was not restored (%v)", pcWhiteout, err)
			}
		}
		p.api(t, "POST", "/api/v1/instances/"+pcRes+"/start")
		h.mustState(t, pcRes, "active")
		h.a2s(t, res.Instance.Port)
		if got := h.rconCvar(t, res.Instance.Port, h.rconPassword(t, pcRes), pcCvar); got != pcValue {
			t.Errorf("%s of the restored instance over RCON: %q, want %q", pcCvar, got, pcValue)
		}
	})
	h.check(t, "panelclone/backup-dir-outside", func(t *testing.T) {
		if p == nil || src.Name == "" {
			t.Skip("no source instance (panelclone/clone-running failed)")
		}
		h.backupDirOutside(t)
	})
}

// pcBackupDir is a backups directory outside the state root, as
// deploy/etc/web.env suggests one (/srv/left4me-backups).
const pcBackupDir = "/srv/left4me-e2e-backups"

// backupDirOutside: with LEFT4ME_BACKUP_DIR outside the state root the
// sandboxed panel may not write there (ProtectSystem=strict): a backup is
// refused with a message that says what to do, and works once a drop-in
// adds the directory to ReadWritePaths= as that message says.
func (h *harness) backupDirOutside(t *testing.T) {
	dropIn := "/etc/systemd/system/left4me-web.service.d/e2e-backups.conf"
	env := h.c.path(webEnvPath)
	orig, err := os.ReadFile(env)
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := os.WriteFile(env, orig, 0o640); err != nil {
			t.Errorf("put back %s: %v", webEnvPath, err)
		}
		_, _ = h.c.exec(h.ctx, nil, "rm", "-rf", dropIn, pcBackupDir)
		_, _ = h.c.exec(h.ctx, nil, "systemctl", "daemon-reload")
		h.restartPanel(t)
	}()
	for _, argv := range [][]string{
		{"install", "-d", "-o", "left4me", "-g", "left4me", "-m", "0700", pcBackupDir},
		{"sh", "-c", "echo LEFT4ME_BACKUP_DIR=" + pcBackupDir + " >> " + webEnvPath},
	} {
		if out, err := h.c.exec(h.ctx, nil, argv...); err != nil {
			t.Fatalf("%v\n%s", err, out)
		}
	}
	h.restartPanel(t)
	p := h.login(t)
	path := "/api/v1/instances/" + pcSrc + "/backups"
	code, body := p.do(t, "POST", path, nil, http.Header{"X-CSRF-Token": {p.csrf}})
	t.Logf("backup into %s without ReadWritePaths: %d %s", pcBackupDir, code, strings.TrimSpace(body))
	if code != http.StatusServiceUnavailable || !strings.Contains(body, "ReadWritePaths="+pcBackupDir) {
		t.Errorf("POST %s: %d %s; want 503 naming ReadWritePaths=%s", path, code, strings.TrimSpace(body), pcBackupDir)
	}
	conf := "[Service]\nReadWritePaths=" + pcBackupDir + "\n"
	if out, err := h.c.exec(h.ctx, []byte(conf), "sh", "-c", "mkdir -p \"$(dirname "+dropIn+")\" && cat > "+dropIn+" && systemctl daemon-reload"); err != nil {
		t.Fatalf("drop-in: %v\n%s", err, out)
	}
	h.restartPanel(t)
	p = h.login(t)
	var b struct {
		File string `json:"file"`
	}
	p.send(t, "POST", path, "", nil, http.StatusCreated, &b)
	if _, err := os.Stat(h.c.path(pcBackupDir + "/" + pcSrc + "/" + b.File)); err != nil {
		t.Errorf("the backup is not in %s: %v", pcBackupDir, err)
	}
}
