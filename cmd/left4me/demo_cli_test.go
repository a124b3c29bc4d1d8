package main

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/left4me/left4me/internal/fakesrcds"
	"github.com/left4me/left4me/internal/layout"
	"github.com/left4me/left4me/internal/process"
)

// syncBuffer is a bytes.Buffer safe for one writer and one reader.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// startDemo runs `left4me demo --dir DIR` in the background, as a user
// does, and returns its state root and what it printed once it is ready.
func startDemo(t *testing.T) (layout.Root, *syncBuffer) {
	t.Helper()
	if err := process.CanMount(); err != nil {
		t.Skipf("the demo needs overlay mounts (root or user namespaces): %v", err)
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("needs the go tool to build fakesrcds")
	}
	bin := filepath.Join(t.TempDir(), "fakesrcds")
	if out, err := exec.Command(goTool, "build", "-o", bin, fakesrcds.PackagePath).CombinedOutput(); err != nil {
		t.Fatalf("build fakesrcds: %v\n%s", err, out)
	}
	dir := filepath.Join(t.TempDir(), "demo")
	root, _ := layout.New(dir)
	out, errOut := &syncBuffer{}, &syncBuffer{}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	go func() {
		env := &cliEnv{stdin: strings.NewReader(""), stdout: out, stderr: errOut,
			getenv: envFunc(map[string]string{envFakesrcds: bin,
				// Away from test/readme's demo, which may run at the same
				// time on the default range (docs/architecture.md §6).
				"LEFT4ME_PORT_RANGE_START": "26400", "LEFT4ME_PORT_RANGE_END": "26499"})}
		done <- run(ctx, env, []string{"demo", "--dir", dir, "--listen", "127.0.0.1:0"})
	}()
	t.Cleanup(func() {
		cancel()
		if code := <-done; code != 0 {
			t.Errorf("demo: exit %d\n%s", code, errOut.String())
		}
	})
	for !strings.Contains(out.String(), "Press Ctrl-C") {
		select {
		case code := <-done:
			done <- code
			t.Fatalf("demo ended (exit %d) before it was ready:\n%s\n%s", code, out.String(), errOut.String())
		case <-time.After(50 * time.Millisecond):
		}
	}
	return root, out
}

// TestCLIAgainstRunningDemo runs the CLI as the demo tells one to (only
// LEFT4ME_ROOT set, so the systemd supervisor by default, which this demo
// does not use): it asks the demo's panel over its socket, so the running
// server shows running, its console prints, and start works.
func TestCLIAgainstRunningDemo(t *testing.T) {
	root, demoOut := startDemo(t)
	line := demoCLILine(root)
	if !strings.Contains(demoOut.String(), "the CLI:    "+line+"\n") || !strings.HasPrefix(line, "LEFT4ME_ROOT="+root.String()+" ") {
		t.Errorf("the demo does not print the CLI line %q:\n%s", line, demoOut.String())
	}
	fi, err := os.Stat(root.PanelSocket())
	if err != nil || fi.Mode().Perm() != 0o600 || fi.Mode().Type() != os.ModeSocket {
		t.Errorf("panel socket: %v, %v; want a socket with mode 0600", fi, err)
	}
	if di, err := os.Stat(root.PanelDir()); err != nil || di.Mode().Perm() != 0o700 {
		t.Errorf("panel socket directory: %v, %v; want mode 0700", di, err)
	}

	cli := &cliFixture{root: root, env: map[string]string{"LEFT4ME_ROOT": root.String()}}
	out := cli.must(t, "", "instance", "list")
	if !regexpMatch(`(?m)^coop\s+admin\s+\d+\s+running\s`, out) || !regexpMatch(`(?m)^versus\s+admin\s+\d+\s+stopped\s`, out) {
		t.Errorf("instance list against the demo:\n%s\nwant coop running and versus stopped", out)
	}
	out = cli.must(t, "", "instance", "show", "coop")
	if !strings.Contains(out, "state:") || !regexpMatch(`state:\s+running`, out) || strings.Contains(out, "rcon password") {
		t.Errorf("instance show coop against the demo:\n%s", out)
	}
	if out := cli.must(t, "", "instance", "show", "coop", "--json"); strings.Contains(out, "rcon_password") {
		t.Errorf("instance show --json without --show-secret prints the RCON password:\n%s", out)
	}
	// The console of the running server: the stand-in prints its map load.
	deadline := time.Now().Add(30 * time.Second)
	for {
		out = cli.must(t, "", "instance", "logs", "coop", "-n", "50")
		if strings.TrimSpace(out) != "" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("instance logs coop against the demo printed nothing")
		}
		time.Sleep(200 * time.Millisecond)
	}
	if n := strings.Count(out, "\n"); n > 50 {
		t.Errorf("instance logs -n 50 printed %d lines", n)
	}
	if code, _, errOut := cli.run(t, "", "instance", "logs", "nosuch"); code != 1 || !strings.Contains(errOut, "No instance named nosuch") {
		t.Errorf("logs of a missing instance: exit %d, %q", code, errOut)
	}

	// --follow: the last -n lines, then new ones (an RCON echo) as they come.
	fctx, stop := context.WithCancel(context.Background())
	follow := &syncBuffer{}
	followed := make(chan int, 1)
	go func() {
		env := &cliEnv{stdin: strings.NewReader(""), stdout: follow, stderr: follow, getenv: envFunc(cli.env)}
		followed <- run(fctx, env, []string{"instance", "logs", "coop", "-n", "1", "--follow"})
	}()
	for strings.Count(follow.String(), "\n") < 1 {
		time.Sleep(50 * time.Millisecond)
	}
	cli.must(t, "", "instance", "rcon", "coop", "say", "followed-line")
	for !strings.Contains(follow.String(), "followed-line") {
		select {
		case code := <-followed:
			t.Fatalf("logs --follow ended (exit %d): %s", code, follow.String())
		case <-time.After(100 * time.Millisecond):
		}
	}
	stop()
	if code := <-followed; code != 0 {
		t.Errorf("logs --follow: exit %d after cancel: %s", code, follow.String())
	}
	if first, _, _ := strings.Cut(follow.String(), "\n"); strings.Contains(first, "followed-line") {
		t.Errorf("logs --follow -n 1 printed no past line first: %q", follow.String())
	}

	// A second panel on the same state root is refused before it touches
	// the first one's servers.
	if _, err := listenPanelSocket(root, slog.New(slog.DiscardHandler)); err == nil || !strings.Contains(err.Error(), "another panel") {
		t.Errorf("a second panel's socket on the demo's root: %v; want refused", err)
	}

	// Starting goes through the demo's supervisor (the CLI on its own
	// could not: with the process supervisor servers are its children).
	if out := cli.must(t, "", "instance", "start", "versus"); out != "started versus\n" {
		t.Errorf("instance start versus: %q", out)
	}
	if out := cli.must(t, "", "instance", "list"); !regexpMatch(`(?m)^versus\s+admin\s+\d+\s+(running|starting)\s`, out) {
		t.Errorf("after start, instance list:\n%s", out)
	}
}

func regexpMatch(pattern, s string) bool { return regexp.MustCompile(pattern).MatchString(s) }

// TestDemoInstallUsesStandIn: the demo's Install / update runs the
// stand-in steamcmd, offline, and says so: the demo's banner, the install
// job's log, and a new generation that runs the stand-in server.
func TestDemoInstallUsesStandIn(t *testing.T) {
	root, demoOut := startDemo(t)
	if !strings.Contains(demoOut.String(), "stand-in steamcmd (fakesteamcmd)") {
		t.Errorf("the demo does not say its installs use the stand-in steamcmd:\n%s", demoOut.String())
	}
	cli := &cliFixture{root: root, env: map[string]string{"LEFT4ME_ROOT": root.String()}}
	out := cli.must(t, "", "install", "--queue")
	m := regexp.MustCompile(`queued job (\d+)`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("install --queue: %q", out)
	}
	var j struct {
		State, Message, Log string
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		if err := json.Unmarshal([]byte(cli.must(t, "", "job", "show", m[1], "--json")), &j); err != nil {
			t.Fatal(err)
		}
		if j.State == "succeeded" || j.State == "failed" || j.State == "cancelled" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the install job is still %s: %s\n%s", j.State, j.Message, j.Log)
		}
		time.Sleep(200 * time.Millisecond)
	}
	if j.State != "succeeded" || !strings.Contains(j.Log, "stand-in steamcmd (fakesteamcmd)") || strings.Contains(j.Log, "steamcdn") {
		t.Errorf("install job %s (%s); log:\n%s\nwant succeeded with the stand-in's note", j.State, j.Message, j.Log)
	}
	if out := cli.must(t, "", "install", "--list"); strings.Count(out, "\n") < 3 {
		t.Errorf("install --list after the demo's install:\n%s\nwant the demo's generation and a new one", out)
	}
}

// TestCLIStoppedDemoSaysWhatToDo: against a demo's directory whose panel
// is not running, the systemd supervisor the CLI falls back to cannot say
// the states (no such units here); the state error says to start the
// panel, naming the directory.
func TestCLIStoppedDemoSaysWhatToDo(t *testing.T) {
	f := newCLIFixture(t)
	delete(f.env, "LEFT4ME_SUPERVISOR")
	f.must(t, "password-one\n", "user", "create", "alice")
	f.must(t, "", "instance", "create", "vs1", "--owner", "alice")
	var v struct {
		State      string `json:"state"`
		StateError string `json:"state_error"`
	}
	if err := json.Unmarshal([]byte(f.must(t, "", "instance", "show", "vs1", "--json")), &v); err != nil {
		t.Fatal(err)
	}
	if v.State != "unknown" {
		t.Skipf("systemd answers on this host (state %s)", v.State)
	}
	if !strings.Contains(v.StateError, "no panel answers for the state root "+f.root.String()) || !strings.Contains(v.StateError, "left4me demo --dir") {
		t.Errorf("state error %q does not say to start the panel", v.StateError)
	}
}

// TestPanelOwnsServers: the CLI leaves start, stop and RCON to a running
// panel only when its servers are the panel's children.
func TestPanelOwnsServers(t *testing.T) {
	var none *panelAPI
	if none.ownsServers() || (&panelAPI{supervisor: supervisorSystemd}).ownsServers() || !(&panelAPI{supervisor: supervisorProcess}).ownsServers() {
		t.Error("ownsServers: want true only for a panel with the process supervisor")
	}
}
