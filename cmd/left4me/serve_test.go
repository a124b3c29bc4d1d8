package main

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/left4me/left4me/internal/auth"
	"github.com/left4me/left4me/internal/instance"
	"github.com/left4me/left4me/internal/layout"
	"github.com/left4me/left4me/internal/store"
)

// TestServePanel runs the panel as `left4me serve` does (process
// supervisor, live poller, session sweeper) on a free loopback port: /health
// answers, a log stream is open, and cancelling the context (SIGINT/SIGTERM)
// shuts everything down gracefully, the stream included.
func TestServePanel(t *testing.T) {
	root, err := layout.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	cfg := Config{Root: root, DatabasePath: root.Database(), PortMin: 24000, PortMax: 24099,
		Supervisor: supervisorProcess, Logger: slog.New(slog.DiscardHandler)}
	var cookie string
	setup := func(ctx context.Context, a *app) error {
		u, err := a.store.CreateUser(ctx, "alice", "unused", false)
		if err != nil {
			return err
		}
		id, _ := auth.NewSecret()
		cookie = id
		if err := a.store.CreateSession(ctx, store.Session{IDHash: auth.HashSecret(id), UserID: u.ID, CSRFToken: "x", ExpiresAt: time.Now().Add(time.Hour)}); err != nil {
			return err
		}
		// A build a killed panel left recorded as running.
		if _, err := a.store.CreateLayer(ctx, store.Layer{ID: "maps", Kind: store.LayerUpload, Name: "maps"}); err != nil {
			return err
		}
		if err := a.store.StartContentBuild(ctx, store.ContentBuild{ID: "upload-killed", LayerID: "maps", Kind: store.LayerUpload}); err != nil {
			return err
		}
		_, err = a.svc.Create(ctx, instance.Spec{Name: "one", OwnerID: u.ID})
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
	resp, err := http.Get(url + "health")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), `"db": "ok"`) {
		t.Fatalf("/health = %d %s", resp.StatusCode, body)
	}
	req, _ := http.NewRequest("GET", url+"instances/one/logs/stream", nil)
	req.AddCookie(&http.Cookie{Name: "left4me_session", Value: cookie})
	stream, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer stream.Body.Close()
	if ct := stream.Header.Get("Content-Type"); stream.StatusCode != http.StatusOK || ct != "text/event-stream" {
		t.Fatalf("log stream = %d %q", stream.StatusCode, ct)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("graceful shutdown: %v", err)
	}
	// The panel marked the interrupted build failed: it is not shown as
	// running forever.
	st, err := store.Open(context.Background(), root.Database())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	builds, err := st.ListContentBuilds(context.Background(), "maps", 10)
	if err != nil || len(builds) != 1 || builds[0].Status != store.BuildFailed || !strings.Contains(builds[0].Error, "interrupted") {
		t.Errorf("build left running by a killed panel = %+v, %v; want failed as interrupted", builds, err)
	}
	if _, err := io.ReadAll(stream.Body); err != nil && !strings.Contains(err.Error(), "EOF") {
		t.Logf("stream ended with %v", err)
	}
	if _, err := http.Get(url + "health"); err == nil {
		t.Error("the panel still answers after shutdown")
	}
}
