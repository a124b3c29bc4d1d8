package process

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/left4me/left4me/internal/fakesrcds"
	"github.com/left4me/left4me/internal/instance"
	"github.com/left4me/left4me/internal/layout"
	"github.com/left4me/left4me/internal/store"
)

// TestStopFrozenServer: a server whose engine is stopped with SIGSTOP (a
// frozen server) ignores SIGINT; the stop kills it after StopTimeout and
// must then wait for the engine as well as srcds_run before it unmounts,
// or the unmount finds the overlay busy and the stop (and the watchdog's
// restart) fails. Several rounds: the engine's teardown races srcds_run's.
func TestStopFrozenServer(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root: the overlay is mounted in the host's namespace, where a busy unmount shows")
	}
	ctx := context.Background()
	root, err := layout.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if err := root.Create(0o755); err != nil {
		t.Fatal(err)
	}
	if err := fakesrcds.WriteInstallation(root.Installation("1"), fakeBinary(t)); err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(ctx, root.Database())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	owner, err := st.CreateUser(ctx, "op", "h", true)
	if err != nil {
		t.Fatal(err)
	}
	sup := New(Config{Root: root, StopTimeout: 500 * time.Millisecond, Env: os.Environ()})
	defer sup.Shutdown(context.Background())
	svc := instance.NewService(instance.Config{Root: root, PortMin: 25615, PortMax: 25699}, st, sup)
	in, err := svc.Create(ctx, instance.Spec{Name: "icy", OwnerID: owner.ID})
	if err != nil {
		t.Fatal(err)
	}
	for round := range 4 {
		if err := svc.Start(ctx, "icy"); err != nil {
			t.Fatalf("round %d: start: %v", round, err)
		}
		pid := waitEngine(t, in.Port)
		if err := syscall.Kill(pid, syscall.SIGSTOP); err != nil {
			t.Fatal(err)
		}
		if err := svc.Stop(ctx, "icy"); err != nil {
			lines, _ := sup.Tail(ctx, "icy", 5)
			t.Fatalf("round %d: stop of a frozen server: %v\n%s", round, err, bytes.Join(toBytes(lines), []byte("\n")))
		}
	}
}

func toBytes(lines []string) [][]byte {
	out := make([][]byte, len(lines))
	for i, l := range lines {
		out[i] = []byte(l)
	}
	return out
}

// waitEngine waits for the stand-in engine (srcds_linux) on port.
func waitEngine(t *testing.T, port int) int {
	t.Helper()
	want := []byte("\x00+hostport\x00" + strconv.Itoa(port) + "\x00")
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		paths, _ := filepath.Glob("/proc/[0-9]*/cmdline")
		for _, p := range paths {
			b, err := os.ReadFile(p)
			if err != nil || !bytes.Contains(b, want) {
				continue
			}
			argv0, _, _ := bytes.Cut(b, []byte{0})
			if filepath.Base(string(argv0)) == "srcds_linux" {
				if pid, err := strconv.Atoi(filepath.Base(filepath.Dir(p))); err == nil {
					return pid
				}
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("no srcds_linux on port %d", port)
	return 0
}
