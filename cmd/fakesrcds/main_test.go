package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/left4me/left4me/internal/fakesrcds"
	"github.com/left4me/left4me/internal/srcds"
)

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
	binDir    string
)

func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// binary builds the fakesrcds command once for all tests.
func binary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		binDir, buildErr = os.MkdirTemp("", "fakesrcds-bin-")
		if buildErr != nil {
			return
		}
		binPath = filepath.Join(binDir, "fakesrcds")
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		buildErr = fakesrcds.Build(ctx, binPath)
	})
	if buildErr != nil {
		t.Fatalf("build fakesrcds: %v", buildErr)
	}
	return binPath
}

// installTree writes a stand-in installation with the given cfgs.
func installTree(t *testing.T, cfgs map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	if err := fakesrcds.WriteInstallation(dir, binary(t)); err != nil {
		t.Fatal(err)
	}
	for name, text := range cfgs {
		p := filepath.Join(dir, "left4dead2", "cfg", name)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// proc is a running srcds_run with its console log.
type proc struct {
	cmd   *exec.Cmd
	mu    sync.Mutex
	out   strings.Builder
	lines chan string
	done  chan struct{}
	err   error
}

var portLine = regexp.MustCompile(`^Network: IP \S+, mode MP, dedicated Yes, ports (\d+) SV`)

// runServer starts dir/srcds_run from cwd with args and waits for the server to
// be up; it returns the process and the game port.
func runServer(t *testing.T, script, cwd string, args ...string) (*proc, int) {
	t.Helper()
	p := startProc(t, script, cwd, args...)
	port := 0
	timeout := time.After(30 * time.Second)
	for {
		select {
		case line, ok := <-p.lines:
			if !ok {
				t.Fatalf("srcds_run exited early (%v):\n%s", p.err, p.output())
			}
			if m := portLine.FindStringSubmatch(line); m != nil {
				port, _ = strconv.Atoi(m[1])
			}
			if line == "Connection to Steam servers successful." {
				if port == 0 {
					t.Fatalf("no port line before start-up finished:\n%s", p.output())
				}
				return p, port
			}
		case <-timeout:
			t.Fatalf("server did not come up:\n%s", p.output())
		}
	}
}

func startProc(t *testing.T, script, cwd string, args ...string) *proc {
	t.Helper()
	cmd := exec.Command(script, args...)
	cmd.Dir = cwd
	// srcds_run runs the engine as its child: the cleanup kills both.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &proc{cmd: cmd, lines: make(chan string, 1000), done: make(chan struct{})}
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			p.mu.Lock()
			p.out.WriteString(sc.Text() + "\n")
			p.mu.Unlock()
			select {
			case p.lines <- sc.Text():
			default:
			}
		}
		close(p.lines)
		p.err = cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-p.done
		}
	})
	return p
}

func (p *proc) output() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.out.String()
}

// wait waits for the process to exit and returns its exit code.
func (p *proc) wait(t *testing.T) int {
	t.Helper()
	select {
	case <-p.done:
	case <-time.After(30 * time.Second):
		t.Fatalf("process did not exit:\n%s", p.output())
	}
	var ee *exec.ExitError
	if errors.As(p.err, &ee) {
		return ee.ExitCode()
	}
	if p.err != nil {
		t.Fatalf("wait: %v", p.err)
	}
	return 0
}

func ctx10(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func baseArgs() []string {
	// -a2sloopback: these tests query A2S on loopback, which the real
	// server (and the stand-in by default) ignores.
	return []string{"-game", "left4dead2", "+ip", "127.0.0.1", "+hostport", "0", "+map", "c1m1_hotel", "+maxplayers", "8", "-tickrate", "60", "-a2sloopback"}
}

// TestSrcdsRunUsesItsOwnTree starts tree A's srcds_run from inside tree B:
// the server must cd to A and answer with A's cfgs, then exit 0 on SIGINT.
func TestSrcdsRunUsesItsOwnTree(t *testing.T) {
	a := installTree(t, map[string]string{
		"server.cfg":      "hostname \"Tree A\"\nrcon_password pw\nexec layer/extra.cfg\nfakesrcds_players 2\n",
		"layer/extra.cfg": "exec deeper\n",
		"deeper.cfg":      "l4m_layer_marker \"from a layer\"\n",
	})
	b := installTree(t, map[string]string{"server.cfg": "hostname \"Tree B\"\nrcon_password pw\n"})
	p, port := runServer(t, filepath.Join(a, "srcds_run"), b, baseArgs()...)
	addr := "127.0.0.1:" + strconv.Itoa(port)

	info, players, err := srcds.Query(ctx10(t), addr)
	if err != nil {
		t.Fatalf("A2S: %v", err)
	}
	if info.Name != "Tree A" || len(players) != 2 {
		t.Errorf("A2S answered %q with %d players; want Tree A with 2", info.Name, len(players))
	}
	c, err := srcds.Dial(ctx10(t), addr, "pw")
	if err != nil {
		t.Fatalf("RCON: %v", err)
	}
	defer c.Close()
	out, err := c.Exec(ctx10(t), "l4m_layer_marker")
	if err != nil {
		t.Fatal(err)
	}
	if cv, err := fakesrcds.ParseCvar(out); err != nil || cv.Value != "from a layer" {
		t.Errorf("nested cfg cvar: %q, %v", out, err)
	}
	out, err = c.Exec(ctx10(t), "status")
	if err != nil {
		t.Fatal(err)
	}
	if st, err := srcds.ParseStatus(out); err != nil || st.Humans != 2 || st.Hostname != "Tree A" {
		t.Errorf("status: %+v, %v", st, err)
	}

	if err := p.cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	if code := p.wait(t); code != 0 {
		t.Errorf("exit code after SIGINT: %d\n%s", code, p.output())
	}
	if !strings.Contains(p.output(), "Shutting down server.") {
		t.Errorf("no shutdown line:\n%s", p.output())
	}
	if !strings.Contains(p.output(), `rcon from "127.0.0.1:`) {
		t.Errorf("RCON commands not echoed on the console:\n%s", p.output())
	}
}

func TestSIGTERMExitsZero(t *testing.T) {
	a := installTree(t, map[string]string{"server.cfg": "hostname x\n"})
	p, _ := runServer(t, filepath.Join(a, "srcds_run"), "/", baseArgs()...)
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if code := p.wait(t); code != 0 {
		t.Errorf("exit code after SIGTERM: %d", code)
	}
}

func TestCrashOnStartExitsNonZero(t *testing.T) {
	tests := []struct {
		name string
		cfg  string
		args []string
	}{
		{name: "-fakecrash", args: []string{"-fakecrash"}},
		{name: "fakesrcds_crash in server.cfg", cfg: "fakesrcds_crash 1\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := installTree(t, map[string]string{"server.cfg": tt.cfg})
			p := startProc(t, filepath.Join(a, "srcds_run"), "/", append(baseArgs(), append(tt.args, "-norestart")...)...)
			if code := p.wait(t); code == 0 {
				t.Errorf("exit code 0 for a crash:\n%s", p.output())
			}
		})
	}
}

func TestWithoutSrcdsRunTheTreeIsNotFound(t *testing.T) {
	// Run the engine binary directly from elsewhere: no left4dead2/ in the
	// working directory, so it fails like srcds would.
	p := startProc(t, binary(t), t.TempDir(), baseArgs()...)
	if code := p.wait(t); code != 1 {
		t.Errorf("exit code %d, want 1:\n%s", code, p.output())
	}
	if !strings.Contains(p.output(), "game directory") {
		t.Errorf("no reason given:\n%s", p.output())
	}
}

func TestWriteInstallFlag(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "inst")
	p := startProc(t, binary(t), "/", "-write-install", dir)
	if code := p.wait(t); code != 0 {
		t.Fatalf("-write-install: exit %d\n%s", code, p.output())
	}
	for _, f := range []string{"srcds_run", "srcds_linux"} {
		fi, err := os.Stat(filepath.Join(dir, f))
		if err != nil || fi.Mode()&0o111 == 0 {
			t.Errorf("%s: not an executable file: %v", f, err)
		}
	}
	for _, d := range []string{"left4dead2/cfg", "left4dead2/addons"} {
		if fi, err := os.Stat(filepath.Join(dir, d)); err != nil || !fi.IsDir() {
			t.Errorf("%s: not a directory: %v", d, err)
		}
	}
	m, err := os.ReadFile(filepath.Join(dir, fakesrcds.ManifestName))
	if err != nil || !strings.Contains(string(m), fmt.Sprintf("\"buildid\"\t\t%q", fakesrcds.BuildID)) {
		t.Errorf("manifest: %q, %v", m, err)
	}
	// The written tree runs.
	os.WriteFile(filepath.Join(dir, "left4dead2/cfg/server.cfg"), []byte("hostname written\n"), 0o644)
	pr, port := runServer(t, filepath.Join(dir, "srcds_run"), "/", baseArgs()...)
	info, _, err := srcds.Query(ctx10(t), "127.0.0.1:"+strconv.Itoa(port))
	if err != nil || info.Name != "written" {
		t.Errorf("A2S: %+v, %v", info, err)
	}
	pr.cmd.Process.Signal(os.Interrupt)
	if code := pr.wait(t); code != 0 {
		t.Errorf("exit %d", code)
	}
}
