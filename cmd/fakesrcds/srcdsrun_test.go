package main

import (
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/left4me/left4me/internal/fakesrcds"
	"github.com/left4me/left4me/internal/srcds"
)

// waitOutput waits until the process printed want count times.
func (p *proc) waitOutput(t *testing.T, want string, count int) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for strings.Count(p.output(), want) < count {
		select {
		case <-p.done:
			t.Fatalf("exited (%v) before printing %q %d times:\n%s", p.err, want, count, p.output())
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("%q not printed %d times:\n%s", want, count, p.output())
		}
	}
}

func (p *proc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// TestSrcdsRunRestartsAfterCrash: without -norestart the script restarts a
// crashing engine for ever, printing Valve's line each time; a signal to
// the script ends the loop.
func TestSrcdsRunRestartsAfterCrash(t *testing.T) {
	t.Setenv("FAKESRCDS_RESTART_DELAY", "0")
	a := installTree(t, nil)
	p := startProc(t, filepath.Join(a, "srcds_run"), "/", append(baseArgs(), "-fakecrash")...)
	p.waitOutput(t, "Segmentation fault", 3)
	p.waitOutput(t, ": Server restart in 0 seconds", 2)
	if p.exited() {
		t.Fatalf("srcds_run exited instead of restarting:\n%s", p.output())
	}
	if err := p.cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	p.wait(t)
}

// TestSrcdsRunNoRestartRunsOnce: with -norestart a crash ends the script
// with the engine's status, without a restart.
func TestSrcdsRunNoRestartRunsOnce(t *testing.T) {
	t.Setenv("FAKESRCDS_RESTART_DELAY", "0")
	a := installTree(t, nil)
	p := startProc(t, filepath.Join(a, "srcds_run"), "/", append(baseArgs(), "-fakecrash", "-norestart")...)
	if code := p.wait(t); code != 1 {
		t.Errorf("exit %d, want the engine's 1:\n%s", code, p.output())
	}
	if n := strings.Count(p.output(), "Segmentation fault"); n != 1 || strings.Contains(p.output(), "Server restart") {
		t.Errorf("engine ran %d times or restarted:\n%s", n, p.output())
	}
}

// TestSrcdsRunExitZeroEndsLoop: an engine that quits with status 0 is not
// restarted, even without -norestart.
func TestSrcdsRunExitZeroEndsLoop(t *testing.T) {
	t.Setenv("FAKESRCDS_RESTART_DELAY", "0")
	a := installTree(t, map[string]string{"server.cfg": "rcon_password pw\n"})
	p, port := runServer(t, filepath.Join(a, "srcds_run"), "/", baseArgs()...)
	c, err := srcds.Dial(ctx10(t), "127.0.0.1:"+strconv.Itoa(port), "pw")
	if err != nil {
		t.Fatal(err)
	}
	c.Exec(ctx10(t), "quit")
	c.Close()
	if code := p.wait(t); code != 0 {
		t.Errorf("exit %d after quit:\n%s", code, p.output())
	}
	if strings.Contains(p.output(), "Server restart") {
		t.Errorf("restarted after a clean exit:\n%s", p.output())
	}
}

// TestSrcdsRunResplitsArguments: like Valve's script (PARAMS=$*, then the
// command unquoted) an argument with a space becomes two, and a glob is
// expanded in the installation directory.
func TestSrcdsRunResplitsArguments(t *testing.T) {
	a := installTree(t, map[string]string{"server.cfg": "rcon_password pw\n"})
	args := append(baseArgs(), "+maxplayers 4", "+l4m_glob", "srcds_r*")
	p, port := runServer(t, filepath.Join(a, "srcds_run"), "/", append(args, "-norestart")...)
	addr := "127.0.0.1:" + strconv.Itoa(port)
	info, _, err := srcds.Query(ctx10(t), addr)
	if err != nil {
		t.Fatal(err)
	}
	if info.MaxPlayers != 4 {
		t.Errorf("max players %d: the argument \"+maxplayers 4\" was not split", info.MaxPlayers)
	}
	c, err := srcds.Dial(ctx10(t), addr, "pw")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	out, err := c.Exec(ctx10(t), "l4m_glob")
	if err != nil {
		t.Fatal(err)
	}
	if cv, err := fakesrcds.ParseCvar(out); err != nil || cv.Value != "srcds_run" {
		t.Errorf("l4m_glob = %q (%v), want the glob expanded to srcds_run", out, err)
	}
	p.cmd.Process.Signal(os.Interrupt)
	p.wait(t)
}

// TestSrcdsRunSignalStopsEngine: SIGINT or SIGTERM to the script alone (not
// its process group) still stops the engine, which frees its port, and the
// loop does not restart it.
func TestSrcdsRunSignalStopsEngine(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM} {
		t.Run(sig.String(), func(t *testing.T) {
			t.Setenv("FAKESRCDS_RESTART_DELAY", "0")
			a := installTree(t, nil)
			p, port := runServer(t, filepath.Join(a, "srcds_run"), "/", baseArgs()...)
			if err := syscall.Kill(p.cmd.Process.Pid, sig); err != nil {
				t.Fatal(err)
			}
			if code := p.wait(t); code != 0 {
				t.Errorf("exit %d after %v:\n%s", code, sig, p.output())
			}
			if !strings.Contains(p.output(), "Shutting down server.") || strings.Contains(p.output(), "Server restart") {
				t.Errorf("engine not shut down, or restarted:\n%s", p.output())
			}
			l, err := net.ListenTCP("tcp", &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: port})
			if err != nil {
				t.Fatalf("game port %d still taken after the script exited: %v", port, err)
			}
			l.Close()
		})
	}
}

// TestStrictPortBindExitsWithErrorLine: the binary exits non-zero with an
// error line when -strictportbind meets a taken game port.
func TestStrictPortBindExitsWithErrorLine(t *testing.T) {
	taken, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	port := strconv.Itoa(taken.LocalAddr().(*net.UDPAddr).Port)
	a := installTree(t, nil)
	p := startProc(t, filepath.Join(a, "srcds_run"), "/", "-game", "left4dead2", "+ip", "127.0.0.1", "+hostport", port, "-strictportbind", "-norestart", "-nohltv")
	if code := p.wait(t); code == 0 {
		t.Fatalf("exit 0 on a taken port:\n%s", p.output())
	}
	if !strings.Contains(p.output(), "Couldn't allocate dedicated server IP port "+port) {
		t.Errorf("no error line:\n%s", p.output())
	}
}

// TestSrcdsRunEarlySIGINTToGroupStopsEngine: systemd sends KillSignal=SIGINT
// to every process of the unit, possibly right after the start, before the
// engine has set up its own signal handling. The script must not leave the
// engine running with SIGINT ignored (what a shell does to background
// commands) nor lose a signal caught before the engine's pid was known.
func TestSrcdsRunEarlySIGINTToGroupStopsEngine(t *testing.T) {
	t.Setenv("FAKESRCDS_RESTART_DELAY", "0")
	a := installTree(t, nil)
	for i := range 15 {
		p := startProc(t, filepath.Join(a, "srcds_run"), "/", append(baseArgs(), "+hostport", "0")...)
		// The delay grows from nothing to past the engine's start-up.
		time.Sleep(time.Duration(i) * 3 * time.Millisecond)
		if err := syscall.Kill(-p.cmd.Process.Pid, syscall.SIGINT); err != nil {
			t.Fatal(err)
		}
		p.wait(t)
	}
}
