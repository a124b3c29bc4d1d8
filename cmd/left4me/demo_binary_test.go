package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/left4me/left4me/internal/events"
	"github.com/left4me/left4me/internal/process"
	"github.com/left4me/left4me/internal/srcds"
)

// TestDemoFromCopiedBinary runs the demo as a user who only has the
// binary: built, copied to a directory of its own and started from another
// one with no source and no go on PATH. The stand-in server is the binary
// itself (embedded.go); the demo's coop instance must answer A2S within
// 10 s of the demo's start.
func TestDemoFromCopiedBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the demo")
	}
	if err := process.CanMount(); err != nil {
		t.Skipf("the demo cannot mount here: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	build := t.TempDir()
	cmd := exec.CommandContext(ctx, "go", "build", "-o", build+"/", ".")
	cmd.Env = append(cmd.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	binDir, work := t.TempDir(), t.TempDir()
	bin := filepath.Join(binDir, "left4me")
	data, err := os.ReadFile(filepath.Join(build, "left4me"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bin, data, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.RemoveAll(build); err != nil {
		t.Fatal(err)
	}
	path := "/usr/sbin:/usr/bin:/sbin:/bin"
	for _, dir := range filepath.SplitList(path) {
		if _, err := os.Stat(filepath.Join(dir, "go")); err == nil {
			t.Skipf("go is in %s: the demo could find a toolchain", dir)
		}
	}

	start := time.Now()
	demo := exec.Command(bin, "demo", "--listen", "127.0.0.1:0")
	demo.Dir = work
	demo.Env = []string{"PATH=" + path, "HOME=" + work, "LEFT4ME_PORT_RANGE_START=26500", "LEFT4ME_PORT_RANGE_END=26599"}
	demo.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	stdout, err := demo.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	demo.Stderr = &stderr
	if err := demo.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	lines := make(chan string, 100)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
		_, _ = io.Copy(io.Discard, stdout)
		exited <- demo.Wait()
	}()
	t.Cleanup(func() {
		_ = syscall.Kill(-demo.Process.Pid, syscall.SIGKILL)
	})

	var out []string
	ready := false
	for !ready {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatalf("the demo ended before it was ready:\n%s\n%s", strings.Join(out, "\n"), stderr.String())
			}
			out = append(out, l)
			ready = strings.Contains(l, "left4me demo is running at")
		case <-ctx.Done():
			t.Fatalf("the demo was not ready:\n%s\n%s", strings.Join(out, "\n"), stderr.String())
		}
	}
	go func() {
		for range lines {
		}
	}()
	port := demoPort(t, filepath.Join(work, "left4me-demo", "instances", "coop", "instance.env"))
	host, err := events.AnnounceAddr(netip.MustParseAddrPort("0.0.0.0:1"))
	if err != nil {
		t.Skipf("no non-loopback address to query (the stand-in, like srcds, ignores A2S from loopback): %v", err)
	}
	addr := fmt.Sprintf("%s:%d", host.Addr(), port)
	var info srcds.Info
	for {
		qctx, qcancel := context.WithTimeout(ctx, time.Second)
		info, _, err = srcds.Query(qctx, addr)
		qcancel()
		if err == nil {
			break
		}
		if time.Since(start) > 10*time.Second {
			t.Fatalf("coop (%s) did not answer A2S within 10 s of the demo's start: %v\n%s\n%s", addr, err, strings.Join(out, "\n"), stderr.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
	if !strings.Contains(info.Name, "left4me demo: coop") {
		t.Errorf("A2S name = %q, want the demo's coop hostname", info.Name)
	}
	t.Logf("coop answered A2S (%q, map %s) %s after the demo started", info.Name, info.Map, time.Since(start).Round(time.Millisecond))

	// The stand-in is this binary under the engine's name, in the
	// installation the demo wrote.
	engine, err := os.ReadFile(filepath.Join(work, "left4me-demo", "installations", demoGeneration, engineName))
	if err != nil || len(engine) != len(data) {
		t.Errorf("the demo's %s is not a copy of left4me (%d bytes, want %d): %v", engineName, len(engine), len(data), err)
	}

	if err := syscall.Kill(-demo.Process.Pid, syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-exited:
		if err != nil {
			t.Errorf("the demo ended with %v after Ctrl-C\n%s", err, stderr.String())
		}
	case <-time.After(time.Minute):
		t.Fatalf("the demo did not end after Ctrl-C\n%s", stderr.String())
	}
}

// demoPort reads the game port an instance was started with.
func demoPort(t *testing.T, envFile string) int {
	t.Helper()
	b, err := os.ReadFile(envFile)
	if err != nil {
		t.Fatalf("read the instance's staged environment: %v", err)
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "L4D2_PORT="); ok {
			var port int
			if _, err := fmt.Sscan(strings.Trim(v, `"'`), &port); err == nil {
				return port
			}
		}
	}
	t.Fatalf("no L4D2_PORT in %s:\n%s", envFile, b)
	return 0
}
