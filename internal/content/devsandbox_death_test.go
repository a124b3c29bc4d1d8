package content

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/left4me/left4me/internal/layout"
	"github.com/left4me/left4me/internal/process"
)

// testBuildCallerEnv makes the test binary run one DevSandbox build
// (testBuildCallerMain) in the state root it names, printing the script's
// output, until it is killed.
const testBuildCallerEnv = "LEFT4ME_TEST_BUILD_CALLER"

// deathScript prints its shell's pid and the pid of a command it started,
// then waits for ever.
const deathScript = "echo \"bash $$\"\nsleep 600 &\necho \"sleep $!\"\nwait\n"

func testBuildCallerMain(root string) {
	spec := BuildSpec{ID: "orphan-1", Script: []byte(deathScript)}
	err := DevSandbox{}.Run(context.Background(), layout.Root(root), spec, func(l string) { fmt.Println(l) })
	fmt.Println("build ended:", err)
	os.Exit(2)
}

// TestDevSandboxDiesWithCaller: a build script does not outlive the process
// that runs it. Killing the caller (SIGKILL, as a panel dies) ends the
// script's bash at once (parent-death signal); the command bash started is
// killed by the next panel's Reap.
func TestDevSandboxDiesWithCaller(t *testing.T) {
	root, err := layout.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	caller := exec.Command(os.Args[0], "-test.run=^$")
	caller.Env = append(os.Environ(), testBuildCallerEnv+"="+root.String())
	out, err := caller.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	caller.Stderr = os.Stderr
	if err := caller.Start(); err != nil {
		t.Fatal(err)
	}
	pids := map[string]int{}
	t.Cleanup(func() {
		caller.Process.Kill()
		caller.Wait()
		for _, pid := range pids {
			syscall.Kill(pid, syscall.SIGKILL)
		}
	})
	sc := bufio.NewScanner(out)
	for len(pids) < 2 && sc.Scan() {
		what, pid, ok := strings.Cut(sc.Text(), " ")
		n, err := strconv.Atoi(pid)
		if !ok || err != nil {
			t.Fatalf("caller printed %q", sc.Text())
		}
		pids[what] = n
	}
	if pids["bash"] == 0 || pids["sleep"] == 0 {
		t.Fatalf("script pids: %v", pids)
	}
	fds := map[string]int{}
	for what, pid := range pids {
		fd, err := unix.PidfdOpen(pid, 0)
		if err != nil {
			t.Fatalf("%s (%d): %v", what, pid, err)
		}
		defer unix.Close(fd)
		fds[what] = fd
	}
	ended := func(fd, timeoutMS int) bool {
		n, err := unix.Poll([]unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}, timeoutMS)
		return err == nil && n > 0
	}

	if err := caller.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	caller.Wait()
	// Bounded only so that a missing signal fails instead of hanging.
	if !ended(fds["bash"], 30_000) {
		t.Errorf("the build's bash (%d) still runs after its caller was killed", pids["bash"])
	}
	if err := process.New(process.Config{Root: root}).Reap(context.Background()); err != nil {
		t.Fatalf("Reap: %v", err)
	}
	if !ended(fds["sleep"], 0) {
		t.Errorf("the script's command (%d) still runs after Reap", pids["sleep"])
	}
}
