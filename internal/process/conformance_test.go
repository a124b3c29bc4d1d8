package process

import (
	"context"
	"net"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/left4me/left4me/internal/fakesrcds"
	"github.com/left4me/left4me/internal/instance/supervisortest"
	"github.com/left4me/left4me/internal/layout"
	"github.com/left4me/left4me/internal/overlay"
)

// TestSupervisorConformance runs the Supervisor conformance suite against
// this supervisor with real stand-in servers.
func TestSupervisorConformance(t *testing.T) {
	userns := os.Geteuid() != 0
	if userns {
		if err := probe(); err != nil {
			t.Skipf("needs root or unprivileged user namespaces with overlayfs: %v", err)
		}
	}
	root, err := layout.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if err := root.Create(0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(root.String(), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := fakesrcds.WriteInstallation(root.Installation("1"), fakeBinary(t)); err != nil {
		t.Fatal(err)
	}
	sup := New(Config{Root: root, UserNamespace: userns, StopTimeout: 10 * time.Second, Env: os.Environ()})
	t.Cleanup(func() { sup.Shutdown(context.Background()) })
	var nextPort int
	supervisortest.Run(t, supervisortest.Harness{
		Supervisor: sup,
		Prepare: func(t *testing.T, name string, crash bool) {
			port := freePortBlock(t, &nextPort)
			env := overlay.Env{LowerDirs: []string{root.Installation("1")}, Port: port, ClientPort: port + 1}
			if crash {
				env.Args = []string{"-fakecrash"}
			}
			for _, d := range []string{root.Instance(name), root.Upper(name), root.Work(name), root.Merged(name)} {
				if err := os.MkdirAll(d, 0o755); err != nil {
					t.Fatal(err)
				}
			}
			if err := overlay.WriteEnvFile(root.InstanceEnv(name), env, -1, -1); err != nil {
				t.Fatal(err)
			}
		},
	})
}

// freePortBlock returns a port that, with the next one, is free on UDP
// and TCP now, from 25520–25609: this package's range (docs/architecture.md
// §6) minus what its other tests use, below the kernel's ephemeral ports
// so that no client socket of a test running beside it is handed one.
// next is where the search starts, and moves past each block handed out:
// an instance prepared but not yet started holds no port.
func freePortBlock(t *testing.T, next *int) int {
	t.Helper()
	if *next < 25520 || *next >= 25610 {
		*next = 25520
	}
	for port := *next; port < 25610; port += 2 {
		free := true
		for _, p := range []int{port, port + 1} {
			u, err := net.ListenPacket("udp4", ":"+strconv.Itoa(p))
			if err != nil {
				free = false
				break
			}
			u.Close()
			c, err := net.Listen("tcp4", ":"+strconv.Itoa(p))
			if err != nil {
				free = false
				break
			}
			c.Close()
		}
		if free {
			*next = port + 2
			return port
		}
	}
	t.Fatal("no free port block")
	return 0
}
