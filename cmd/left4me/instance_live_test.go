package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/left4me/left4me/internal/fakesrcds"
	"github.com/left4me/left4me/internal/instance"
)

// TestAskLiveHibernating: `instance show` says "empty (hibernating)" for a
// server nobody plays on, and counts the players otherwise.
func TestAskLiveHibernating(t *testing.T) {
	dir := t.TempDir()
	if err := fakesrcds.WriteInstallation(dir, ""); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "left4dead2", "cfg", "server.cfg"), []byte("fakesrcds_bots 2\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	s, err := fakesrcds.Start(ctx, fakesrcds.Config{Dir: dir, Args: []string{"+ip", "0.0.0.0", "+hostport", "0", "+rcon_password", "pw"}})
	if err != nil {
		t.Fatal(err)
	}
	in := instance.Instance{Name: "a", Port: s.Port(), RCONPassword: "pw"}
	if got := playersText(askLive(ctx, in)); got != "empty (hibernating) on c1m1_hotel" {
		t.Errorf("empty server: %q", got)
	}
	s.Exec("fakesrcds_players 1")
	if got := playersText(askLive(ctx, in)); got != "1/8 on c1m1_hotel (2 bots)" {
		t.Errorf("with a player: %q", got)
	}
	in.RCONPassword = "wrong"
	if got := playersText(askLive(ctx, in)); !strings.HasPrefix(got, "not answering") {
		t.Errorf("wrong password: %q", got)
	}
}
