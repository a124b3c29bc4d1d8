package e2e

import (
	"encoding/json"
	"os"
	"strings"
	"testing"
)

// The instances of the clone check.
const (
	clsrc  = "clsrc"
	clsrcP = 27070
	cldst  = "cldst"
	cldstP = 27072
)

// cloneChecks: as user left4me, an instance is cloned while it runs; the
// clone starts through its own unit, answers A2S on its own port and RCON
// with its own password, and has the source's files (a cfg of its upper and,
// where the kernel lets the service user make one, a whiteout), while the
// source runs on.
func (h *harness) cloneChecks(t *testing.T) {
	h.check(t, "clone/running-source", func(t *testing.T) {
		h.create(t, clsrc, clsrcP)
		defer func() {
			for _, n := range []string{cldst, clsrc} {
				_, _ = h.c.cli(h.ctx, nil, "instance", "stop", n)
				_, _ = h.c.cli(h.ctx, nil, "instance", "delete", n, "--yes")
			}
		}()
		// A file of the source's own upper, written as the service user,
		// and a whiteout hiding a file of the installation.
		cfgDir := runtimeDir(clsrc) + "/upper/left4dead2/cfg"
		if out, err := h.c.asUser(h.ctx, "left4me", nil, "sh", "-c",
			"mkdir -p "+cfgDir+" && printf 'sv_e2e_clone_marker \"copied\"\\n' > "+cfgDir+"/e2e_clone.cfg"); err != nil {
			t.Fatalf("write into the upper: %v\n%s", err, out)
		}
		whiteout := runtimeDir(clsrc) + "/upper/left4dead2/motd.txt"
		_, mknodErr := h.c.asUser(h.ctx, "left4me", nil, "mknod", whiteout, "c", "0", "0")
		if mknodErr != nil {
			t.Logf("the service user cannot make a whiteout here (%v): the clone is checked without one", mknodErr)
		}
		if _, err := h.c.cli(h.ctx, []byte("hostname \"left4me e2e clsrc\"\nexec e2e_layer.cfg\nexec e2e_clone.cfg\n"), "instance", "cfg", clsrc, "--set", "-"); err != nil {
			t.Fatalf("set server.cfg: %v", err)
		}
		h.cliOK(t, "instance", "start", clsrc)
		h.mustState(t, clsrc, "active")
		srcPW := h.rconPassword(t, clsrc)

		out := h.cliOK(t, "instance", "clone", clsrc, cldst, "--port", "27072")
		t.Logf("%s", strings.TrimSpace(out))
		if got := h.prop(t, unitName(cldst), "ActiveState"); got == "active" {
			t.Fatalf("the clone is running before anyone started it")
		}
		h.cliOK(t, "instance", "start", cldst)
		h.mustState(t, cldst, "active")
		dstPW := h.rconPassword(t, cldst)
		if dstPW == srcPW {
			t.Error("the clone has its source's RCON password")
		}
		if info := h.a2s(t, cldstP); !strings.Contains(info.Name, "clsrc") {
			t.Errorf("A2S of the clone on port %d: hostname %q, want the source's server.cfg", cldstP, info.Name)
		}
		if got := h.rconCvar(t, cldstP, dstPW, "sv_e2e_clone_marker"); got != "copied" {
			t.Errorf("the clone's copy of the upper's cfg: %q", got)
		}
		if got := h.rconCvar(t, cldstP, dstPW, layerCvar); got == "" {
			t.Error("the clone lacks its source's layer")
		}
		if mknodErr == nil {
			if _, err := os.Lstat(h.c.path(runtimeDir(cldst) + "/upper/left4dead2/motd.txt")); err != nil {
				t.Errorf("the whiteout was not copied: %v", err)
			}
		}
		var d struct {
			Changes []struct {
				Path string `json:"path"`
				Kind string `json:"kind"`
			} `json:"changes"`
		}
		if err := json.Unmarshal([]byte(h.cliOK(t, "instance", "diff", cldst, "--json")), &d); err != nil {
			t.Fatal(err)
		}
		kinds := map[string]string{}
		for _, c := range d.Changes {
			kinds[c.Path] = c.Kind
		}
		if kinds["left4dead2/cfg/e2e_clone.cfg"] != "new" {
			t.Errorf("diff of the clone: %+v", d.Changes)
		}
		// The source runs on, with its own port and password.
		h.mustState(t, clsrc, "active")
		h.a2s(t, clsrcP)
		if got := h.rconCvar(t, clsrcP, srcPW, "sv_e2e_clone_marker"); got != "copied" {
			t.Errorf("the source after the clone: %q", got)
		}
		h.measure("clone of a running instance", "ok")
	})
}
