package process

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/left4me/left4me/internal/instance"
	"github.com/left4me/left4me/internal/srcds"
)

// TestCloneOfARunningInstance: a clone made while its source runs (the
// stand-in server over a real overlay) starts, answers A2S on its own port
// and RCON with its own password, and has the source's files, while the
// source keeps running and answering with its own.
func TestCloneOfARunningInstance(t *testing.T) {
	userns := os.Geteuid() != 0
	if userns {
		if err := probe(); err != nil {
			t.Skipf("needs root or unprivileged user namespaces with overlayfs: %v", err)
		}
	}
	ctx := context.Background()
	e := newTestEnv(t, userns)
	src, err := e.svc.Create(ctx, instance.Spec{
		Name: "src", OwnerID: e.owner, Layers: []string{"extra"},
		// The stand-in, as the real server, ignores A2S from loopback
		// unless told (docs/srcds.md §8).
		Args:      []string{"+map", "c2m1_highway", "-a2sloopback"},
		ServerCfg: "hostname \"clone source\"\nexec extra.cfg\nexec mine.cfg\n",
	})
	if err != nil {
		t.Fatal(err)
	}
	// A file of the source's own, in its upper.
	mine := filepath.Join(e.root.Upper("src"), "left4dead2", "cfg", "mine.cfg")
	if err := os.MkdirAll(filepath.Dir(mine), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(mine, []byte("sv_clone_marker \"copied\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.Start(ctx, "src"); err != nil {
		t.Fatal(err)
	}
	srcAddr := fmt.Sprintf("127.0.0.1:%d", src.Port)
	rconUntil(t, srcAddr, src.RCONPassword, "hostname")

	dst, err := e.svc.Clone(ctx, "src", instance.CloneSpec{Name: "dst"})
	if err != nil {
		t.Fatal(err)
	}
	if st, _ := e.svc.Status(ctx, "dst"); st.State != instance.Stopped {
		t.Fatalf("the clone is %s, want stopped", st.State)
	}
	if dst.Port == src.Port || dst.RCONPassword == src.RCONPassword {
		t.Fatalf("the clone shares port %d or the RCON password", dst.Port)
	}
	if err := e.svc.Start(ctx, "dst"); err != nil {
		t.Fatal(err)
	}
	dstAddr := fmt.Sprintf("127.0.0.1:%d", dst.Port)
	if reply := rconUntil(t, dstAddr, dst.RCONPassword, "sv_clone_marker"); !strings.Contains(reply, "copied") {
		t.Errorf("the clone lacks its source's file: %q", reply)
	}
	if reply := rconUntil(t, dstAddr, dst.RCONPassword, "sv_layer_marker"); !strings.Contains(reply, "from-layer") {
		t.Errorf("the clone lacks its source's layer: %q", reply)
	}
	qctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	info, _, err := srcds.Query(qctx, dstAddr)
	if err != nil || !strings.Contains(info.Name, "clone source") {
		t.Errorf("A2S of the clone on its own port: %+v, %v", info, err)
	}
	if c, err := srcds.Dial(qctx, dstAddr, src.RCONPassword); err == nil {
		c.Close()
		t.Error("the clone accepts its source's RCON password")
	}
	// The source runs on, with its own password.
	if st, _ := e.svc.Status(ctx, "src"); st.State != instance.Running {
		t.Errorf("the source is %s after the clone", st.State)
	}
	if _, _, err := srcds.Query(qctx, srcAddr); err != nil {
		t.Errorf("A2S of the source: %v", err)
	}
	rconUntil(t, srcAddr, src.RCONPassword, "hostname")
	for _, n := range []string{"dst", "src"} {
		if err := e.svc.Stop(ctx, n); err != nil {
			t.Fatal(err)
		}
	}
}
