package process

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/left4me/left4me/internal/instance"
	"github.com/left4me/left4me/internal/layout"
	"github.com/left4me/left4me/internal/overlay"
	"github.com/left4me/left4me/internal/store"
)

// testPanelEnv makes the test binary a panel (testPanelMain) that starts
// one instance and then waits to be killed.
const testPanelEnv = "LEFT4ME_TEST_PANEL"

type testPanelSpec struct {
	Root   string `json:"root"`
	Name   string `json:"name"`
	UserNS bool   `json:"userns"`
}

// testPanelMain starts the instance through the instance service over its
// own Supervisor, as a panel does, writes "started" and blocks.
func testPanelMain(specJSON string) {
	var spec testPanelSpec
	if err := json.Unmarshal([]byte(specJSON), &spec); err != nil {
		fmt.Println("bad spec:", err)
		os.Exit(2)
	}
	ctx := context.Background()
	root := layout.Root(spec.Root)
	st, err := store.Open(ctx, root.Database())
	if err != nil {
		fmt.Println("open store:", err)
		os.Exit(2)
	}
	sup := New(Config{Root: root, UserNamespace: spec.UserNS, Env: os.Environ()})
	svc := instance.NewService(instance.Config{Root: root, PortMin: 25015, PortMax: 25515}, st, sup)
	if err := svc.Start(ctx, spec.Name); err != nil {
		fmt.Println("start:", err)
		os.Exit(2)
	}
	fmt.Println("started")
	select {}
}

// TestPanelDeath: a panel that dies by SIGKILL leaves nothing that keeps
// the instance from starting again. Its direct child, srcds_run, dies with
// it (parent-death signal); what srcds_run started is killed by the next
// panel's Reap, which also unmounts the overlay (root mode); the instance
// then starts again under the new panel.
func TestPanelDeath(t *testing.T) {
	modes := []struct {
		name   string
		userns bool
	}{{"host-mount", false}, {"user-namespace", true}}
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			if !m.userns && os.Geteuid() != 0 {
				t.Skip("needs root: mounts the overlay in the host namespace")
			}
			if m.userns {
				if err := probe(); err != nil {
					t.Skipf("needs unprivileged user namespaces with overlayfs: %v", err)
				}
			}
			runPanelDeath(t, m.userns)
		})
	}
}

func runPanelDeath(t *testing.T, userns bool) {
	ctx := context.Background()
	e := newTestEnv(t, userns)
	const name = "orph"
	in, err := e.svc.Create(ctx, instance.Spec{Name: name, OwnerID: e.owner})
	if err != nil {
		t.Fatal(err)
	}
	spec, _ := json.Marshal(testPanelSpec{Root: e.root.String(), Name: name, UserNS: userns})
	panel := exec.Command(os.Args[0], "-test.run=^$")
	panel.Env = append(os.Environ(), testPanelEnv+"="+string(spec), "LEFT4ME_TEST_FAKESRCDS="+fakeBinary(t))
	out, err := panel.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	panel.Stderr = os.Stderr
	if err := panel.Start(); err != nil {
		t.Fatal(err)
	}
	killed := false
	t.Cleanup(func() {
		if !killed {
			panel.Process.Kill()
			panel.Wait()
		}
		// Whatever a failed run left running.
		for _, pid := range procsUnder(t, e.root.Runtime(name)) {
			syscall.Kill(pid, syscall.SIGKILL)
		}
		if m, _ := overlay.IsMounted(e.root.Merged(name)); m {
			unix.Unmount(e.root.Merged(name), unix.MNT_DETACH)
		}
	})
	line, _ := bufio.NewReader(out).ReadString('\n')
	if strings.TrimSpace(line) != "started" {
		t.Fatalf("panel: %q", line)
	}
	addr := fmt.Sprintf("127.0.0.1:%d", in.Port)
	rconUntil(t, addr, in.RCONPassword, "hostname")

	running := procsUnder(t, e.root.Runtime(name))
	var direct []int // the panel's own children
	for _, pid := range running {
		if parentOf(t, pid) == panel.Process.Pid {
			direct = append(direct, pid)
		}
	}
	if len(direct) == 0 {
		t.Fatalf("no child of the panel among the server's processes %v", running)
	}
	pidfds := make([]int, 0, len(direct))
	for _, pid := range direct {
		fd, err := unix.PidfdOpen(pid, 0)
		if err != nil {
			t.Fatal(err)
		}
		defer unix.Close(fd)
		pidfds = append(pidfds, fd)
	}

	if err := panel.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	panel.Wait()
	killed = true

	// The parent-death signal: the panel's children end with it. (Bounded
	// only so that a missing signal fails instead of hanging.)
	for i, fd := range pidfds {
		n, err := unix.Poll([]unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}, 30_000)
		if err != nil || n == 0 {
			t.Errorf("the panel's child %d still runs after the panel was killed (%v)", direct[i], err)
		}
	}

	// The next panel clears the rest and the instance starts again.
	sup := New(Config{Root: e.root, UserNamespace: userns, StopTimeout: 10 * time.Second, Env: os.Environ()})
	t.Cleanup(func() { sup.Shutdown(context.Background()) })
	if err := sup.Reap(ctx); err != nil {
		t.Fatalf("Reap: %v", err)
	}
	if left := procsUnder(t, e.root.Runtime(name)); len(left) > 0 {
		t.Errorf("processes of the dead panel's server still run after Reap: %v", left)
	}
	if m, _ := overlay.IsMounted(e.root.Merged(name)); m {
		t.Errorf("%s still mounted after Reap", e.root.Merged(name))
	}
	st, err := store.Open(ctx, e.root.Database())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	svc := instance.NewService(instance.Config{Root: e.root, PortMin: 25015, PortMax: 25515}, st, sup)
	if err := svc.Start(ctx, name); err != nil {
		t.Fatalf("start after the panel died: %v", err)
	}
	rconUntil(t, addr, in.RCONPassword, "hostname")
	if err := svc.Stop(ctx, name); err != nil {
		t.Fatal(err)
	}
}

// procsUnder lists the processes whose working directory is dir or below
// it (a server's processes work in merged/).
func procsUnder(t *testing.T, dir string) []int {
	t.Helper()
	entries, err := os.ReadDir("/proc")
	if err != nil {
		t.Fatal(err)
	}
	var pids []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		cwd, err := os.Readlink(filepath.Join("/proc", e.Name(), "cwd"))
		if err != nil {
			continue
		}
		if cwd == dir || strings.HasPrefix(cwd, dir+"/") {
			pids = append(pids, pid)
		}
	}
	return pids
}

// parentOf returns the parent pid of pid (0 when it is gone).
func parentOf(t *testing.T, pid int) int {
	t.Helper()
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	i := strings.LastIndexByte(string(data), ')')
	f := strings.Fields(string(data[i+1:]))
	if len(f) < 2 {
		return 0
	}
	ppid, _ := strconv.Atoi(f[1])
	return ppid
}
