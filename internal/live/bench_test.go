package live

import (
	"context"
	"fmt"
	"testing"
)

// BenchmarkRefresh100 measures one refresh pass over 100 running stand-in
// servers (in-process fakesrcds on 127.0.0.1, 4 simulated players and 2
// bots each): RCON status over the kept connections plus A2S_INFO and
// A2S_PLAYER with their challenge rounds, for all of them concurrently.
func BenchmarkRefresh100(b *testing.B) {
	const n = 100
	targets := &targetList{}
	var list []Target
	for i := range n {
		srv := startServer(b, fmt.Sprintf("Bench %d", i), fmt.Sprintf("pw-%d", i), 0,
			"-fakeplayers", "4", "-fakebots", "2", "+maxplayers", "8")
		list = append(list, srv.target(fmt.Sprintf("bench%03d", i)))
	}
	targets.set(list...)
	p := NewPoller(Config{}, targets, nil, nil)
	ctx := context.Background()
	// The first pass dials the RCON connections; later ones reuse them, as
	// the panel does every few seconds.
	if err := p.Refresh(ctx); err != nil {
		b.Fatal(err)
	}
	for _, t := range list {
		if s, ok := p.Snapshot(t.Name); !ok || !s.Online || s.Humans != 4 || s.Bots != 2 || s.Err != "" {
			b.Fatalf("%s after the first pass: %+v", t.Name, s)
		}
	}
	b.ResetTimer()
	for b.Loop() {
		if err := p.Refresh(ctx); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	for _, t := range list {
		if s, _ := p.Snapshot(t.Name); !s.Online || s.Failures != 0 || len(s.Players) != 6 {
			b.Fatalf("%s after the benchmark: %+v", t.Name, s)
		}
	}
}
