package srcds_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/left4me/left4me/internal/fakesrcds"
	"github.com/left4me/left4me/internal/srcds"
)

func benchServer(b *testing.B) *fakesrcds.Server {
	b.Helper()
	dir := b.TempDir()
	if err := fakesrcds.WriteInstallation(dir, ""); err != nil {
		b.Fatal(err)
	}
	// sv_max_queries_sec 0: the benchmark asks far more often than the
	// engine answers one address (3 a second).
	cfg := "hostname bench\nrcon_password pw\nfakesrcds_players 8\nsv_max_queries_sec 0\n"
	if err := os.WriteFile(filepath.Join(dir, "left4dead2/cfg/server.cfg"), []byte(cfg), 0o644); err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	s, err := fakesrcds.Start(ctx, fakesrcds.Config{Dir: dir, Args: []string{"+ip", "127.0.0.1", "+hostport", "0", "+maxplayers", "8", "-a2sloopback"}})
	if err != nil {
		cancel()
		b.Fatal(err)
	}
	b.Cleanup(func() { cancel(); s.Wait() })
	return s
}

// BenchmarkQuery measures one A2S_INFO + A2S_PLAYER round (with challenges)
// against the in-process stand-in.
func BenchmarkQuery(b *testing.B) {
	s := benchServer(b)
	ctx := context.Background()
	for b.Loop() {
		if _, _, err := srcds.Query(ctx, s.Addr()); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRCONStatus measures "status" over one RCON connection plus
// ParseStatus.
func BenchmarkRCONStatus(b *testing.B) {
	s := benchServer(b)
	ctx := context.Background()
	c, err := srcds.Dial(ctx, s.Addr(), "pw")
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	for b.Loop() {
		out, err := c.Exec(ctx, "status")
		if err != nil {
			b.Fatal(err)
		}
		if _, err := srcds.ParseStatus(out); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseLogLine(b *testing.B) {
	line := []byte("\xff\xff\xff\xffRL 11/29/2026 - 22:18:29: \"Name<2><STEAM_1:0:123456><Survivor>\" say \"hello there\"\n\x00")
	for b.Loop() {
		if _, err := srcds.ParseLogLine(line); err != nil {
			b.Fatal(err)
		}
	}
}
