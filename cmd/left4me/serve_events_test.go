package main

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/left4me/left4me/internal/auth"
	"github.com/left4me/left4me/internal/fakesrcds"
	"github.com/left4me/left4me/internal/instance"
	"github.com/left4me/left4me/internal/layout"
	"github.com/left4me/left4me/internal/process"
	"github.com/left4me/left4me/internal/store"
)

// TestServeEventsWithoutUDP runs the panel as `left4me serve` does, with no
// UDP log listener (LOG_LISTENER_BIND empty), and starts a stand-in server
// whose simulated player joins as it starts: the events API shows the join,
// read from the server's console.
func TestServeEventsWithoutUDP(t *testing.T) {
	if err := process.CanMount(); err != nil {
		t.Skipf("needs overlay mounts (root or user namespaces): %v", err)
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("needs the go tool to build fakesrcds")
	}
	root, err := layout.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if err := root.Create(0o755); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(t.TempDir(), "fakesrcds")
	if out, err := exec.Command(goTool, "build", "-o", bin, fakesrcds.PackagePath).CombinedOutput(); err != nil {
		t.Fatalf("build fakesrcds: %v\n%s", err, out)
	}
	if err := fakesrcds.WriteInstallation(root.Installation("1"), bin); err != nil {
		t.Fatal(err)
	}
	cfg := Config{Root: root, DatabasePath: root.Database(), PortMin: 24100, PortMax: 24199,
		Supervisor: supervisorProcess, Logger: slog.New(slog.DiscardHandler)}
	var cookie string
	var started *app
	setup := func(ctx context.Context, a *app) error {
		started = a
		u, err := a.store.CreateUser(ctx, "alice", "unused", false)
		if err != nil {
			return err
		}
		id, _ := auth.NewSecret()
		cookie = id
		if err := a.store.CreateSession(ctx, store.Session{IDHash: auth.HashSecret(id), UserID: u.ID, CSRFToken: "x", ExpiresAt: time.Now().Add(time.Hour)}); err != nil {
			return err
		}
		_, err = a.svc.Create(ctx, instance.Spec{Name: "ev", OwnerID: u.ID, Args: []string{"-fakeplayers", "1"}})
		return err
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ready := make(chan string, 1)
	done := make(chan error, 1)
	go func() {
		done <- servePanel(ctx, cfg, panelOptions{Listen: "127.0.0.1:0", Ready: func(u string) { ready <- u }}, setup)
	}()
	var url string
	select {
	case url = <-ready:
	case err := <-done:
		t.Fatalf("servePanel ended before listening: %v", err)
	}
	// The player joins as the server starts, before the panel's follower
	// of this instance runs: it is read back from the console.
	if err := started.svc.Start(ctx, "ev"); err != nil {
		t.Fatal(err)
	}
	var got struct {
		Events []struct{ Kind, Player string }
	}
	want := map[string]bool{"connect Ellie": false, "entered Ellie": false}
	deadline := time.Now().Add(30 * time.Second)
	for missing := len(want); missing > 0; {
		if time.Now().After(deadline) {
			t.Fatalf("events %+v lack %v", got.Events, want)
		}
		time.Sleep(100 * time.Millisecond)
		req, _ := http.NewRequest("GET", url+"api/v1/instances/ev/events", nil)
		req.AddCookie(&http.Cookie{Name: "left4me_session", Value: cookie})
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err := json.Unmarshal(body, &got); err != nil {
			t.Fatalf("events: %v: %s", err, body)
		}
		missing = 0
		for k := range want {
			want[k] = false
		}
		for _, e := range got.Events {
			if _, ok := want[e.Kind+" "+e.Player]; ok {
				want[e.Kind+" "+e.Player] = true
			}
		}
		for _, seen := range want {
			if !seen {
				missing++
			}
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("graceful shutdown: %v", err)
	}
}
