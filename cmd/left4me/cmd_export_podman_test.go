package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/left4me/left4me/internal/fakesrcds"
	"github.com/left4me/left4me/internal/srcds"
	"github.com/left4me/left4me/internal/views"
)

// podmanOrSkip skips unless this is root with a podman that can run
// containers (`podman info` answers).
func podmanOrSkip(t *testing.T) string {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root: runs the exported image with rootful podman")
	}
	bin, err := exec.LookPath("podman")
	if err != nil {
		t.Skip("needs podman (apt-get install podman; .ci/run installs it)")
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if out, err := exec.CommandContext(ctx, bin, "info").CombinedOutput(); err != nil {
		t.Skipf("podman cannot run here: podman info: %v\n%s", err, out)
	}
	return bin
}

// freeBlock returns a game port whose client port (the next one) is free
// too, on loopback, TCP and UDP.
func freeBlock(t *testing.T) int {
	t.Helper()
	for range 50 {
		l, err := net.ListenPacket("udp4", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		port := l.LocalAddr().(*net.UDPAddr).Port
		l.Close()
		if port >= 65535 {
			continue
		}
		ok := true
		for _, p := range []int{port, port + 1} {
			u, err := net.ListenPacket("udp4", "0.0.0.0:"+strconv.Itoa(p))
			if err != nil {
				ok = false
				break
			}
			u.Close()
			tl, err := net.Listen("tcp4", "0.0.0.0:"+strconv.Itoa(p))
			if err != nil {
				ok = false
				break
			}
			tl.Close()
		}
		if ok {
			return port
		}
	}
	t.Fatal("no free port block")
	return 0
}

// TestExportRunsInPodman exports a stand-in instance with two content
// layers as an OCI archive, loads it with podman and runs it rootful on the
// host network; the server answers A2S with the instance's hostname and
// RCON with the layers' cvars.
//
// NOTE: the image is built from the state root's generations only, FROM
// scratch: it has no /bin/sh, which srcds_run (Valve's and the stand-in's)
// needs, so the test runs the engine (srcds_linux, the static stand-in) as
// the entrypoint with the image's own arguments (docs/scale-out.md §2).
func TestExportRunsInPodman(t *testing.T) {
	podman := podmanOrSkip(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	bin := filepath.Join(t.TempDir(), "fakesrcds")
	if err := fakesrcds.Build(ctx, bin); err != nil {
		t.Fatal(err)
	}
	f := exportFixture(t, bin)
	port := freeBlock(t)
	f.env["LEFT4ME_PORT_RANGE_START"] = strconv.Itoa(port)
	f.env["LEFT4ME_PORT_RANGE_END"] = strconv.Itoa(port + 1)
	f.must(t, "", "instance", "create", "pod", "--owner", "alice", "--port", strconv.Itoa(port),
		"--layer", "alpha", "--layer", "beta", "--", "-a2sloopback", "+map", "c2m1_highway")
	for id, cfg := range map[string]string{"alpha": "sv_tags \"alpha-layer\"\n", "beta": "mp_gamemode \"versus\"\n"} {
		if err := os.WriteFile(filepath.Join(f.root.Overlay(id, "0001"), "left4dead2", "cfg", id+".cfg"), []byte(cfg), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	f.must(t, "hostname \"oci-podman-test\"\nexec alpha.cfg\nexec beta.cfg\n", "instance", "cfg", "pod", "--set", "-")
	var shown views.Instance
	if err := json.Unmarshal([]byte(f.must(t, "", "instance", "show", "pod", "--json", "--show-secret")), &shown); err != nil {
		t.Fatal(err)
	}

	archive := filepath.Join(t.TempDir(), "pod.tar")
	out := f.must(t, "", "export", "pod", "--oci-archive", archive)
	t.Log(strings.TrimSpace(out))

	run := func(args ...string) string {
		t.Helper()
		b, err := exec.CommandContext(ctx, podman, args...).CombinedOutput()
		if err != nil {
			t.Fatalf("podman %s: %v\n%s", strings.Join(args, " "), err, b)
		}
		return string(b)
	}
	loaded := run("load", "-i", archive)
	image := ""
	for _, line := range strings.Split(loaded, "\n") {
		if name, ok := strings.CutPrefix(line, "Loaded image: "); ok {
			image = strings.TrimSpace(name)
		} else if name, ok := strings.CutPrefix(line, "Loaded image(s): "); ok {
			image = strings.TrimSpace(name)
		}
	}
	if image == "" {
		t.Fatalf("podman load named no image:\n%s", loaded)
	}
	t.Cleanup(func() { exec.Command(podman, "rmi", "-f", image).Run() })

	var inspect []struct {
		Config struct {
			Entrypoint []string
			User       string
			Labels     map[string]string
		}
	}
	if err := json.Unmarshal([]byte(run("image", "inspect", image)), &inspect); err != nil || len(inspect) != 1 {
		t.Fatalf("podman image inspect: %v", err)
	}
	ep := inspect[0].Config.Entrypoint
	if len(ep) < 2 || ep[0] != "/l4d2/srcds_run" || inspect[0].Config.User != "1000:1000" || inspect[0].Config.Labels["org.left4me.instance"] != "pod" {
		t.Fatalf("image config as podman sees it: %+v", inspect[0].Config)
	}

	container := fmt.Sprintf("left4me-export-test-%d", os.Getpid())
	args := []string{"run", "-d", "--rm", "--pull", "never", "--name", container, "--network", "host",
		// Limits below this sandbox's hard ones: podman's defaults raise
		// RLIMIT_NOFILE and RLIMIT_NPROC, which a sandboxed host refuses.
		"--ulimit", "nofile=1024:4096", "--ulimit", "nproc=1024:2048"}
	if _, err := exec.LookPath("runc"); err == nil {
		// crun refuses a host with hybrid cgroups (v1 controllers and the
		// v2 tree), as CI's sandbox has; runc runs there.
		args = append(args, "--runtime", "runc")
	}
	args = append(append(args, "--entrypoint", "/l4d2/srcds_linux", image), ep[1:]...)
	run(args...)
	t.Cleanup(func() {
		if b, err := exec.Command(podman, "logs", container).CombinedOutput(); err == nil && t.Failed() {
			t.Logf("container console:\n%s", b)
		}
		exec.Command(podman, "rm", "-f", "-t", "2", container).Run()
	})

	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	var info srcds.Info
	var err error
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(time.Second) { // under sv_max_queries_sec
		qctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		info, _, err = srcds.Query(qctx, addr)
		cancel()
		if err == nil && info.Name == "oci-podman-test" {
			break
		}
	}
	if err != nil || info.Name != "oci-podman-test" {
		t.Fatalf("A2S %s: name %q, %v; want the instance's hostname", addr, info.Name, err)
	}
	if !strings.Contains(info.Keywords, "alpha-layer") {
		t.Errorf("A2S keywords %q: want alpha's sv_tags", info.Keywords)
	}
	rc, err := srcds.Dial(ctx, addr, shown.RCONPassword)
	if err != nil {
		t.Fatalf("RCON %s: %v", addr, err)
	}
	defer rc.Close()
	for cvar, want := range map[string]string{"sv_tags": "alpha-layer", "mp_gamemode": "versus", "hostname": "oci-podman-test"} {
		reply, err := rc.Exec(ctx, cvar)
		if err != nil || !strings.Contains(reply, want) {
			t.Errorf("RCON %s = %q, %v; want %q", cvar, reply, err, want)
		}
	}
}
