package live

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"
)

// runPoller runs p until the test ends.
func runPoller(t *testing.T, p *Poller) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); p.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
}

// waitFor waits for a published snapshot of name that ok accepts, woken by
// the poller's notifications; it fails after 20 s. Every snapshot seen on
// the way is passed to seen.
func waitFor(t *testing.T, p *Poller, notes <-chan struct{}, name string, seen func(Snapshot), ok func(Snapshot) bool) Snapshot {
	t.Helper()
	deadline := time.After(20 * time.Second)
	for {
		if s, found := p.Snapshot(name); found {
			seen(s)
			if ok(s) {
				return s
			}
		}
		select {
		case <-notes:
		case <-time.After(10 * time.Millisecond):
		case <-deadline:
			s, _ := p.Snapshot(name)
			t.Fatalf("%s: no snapshot as wanted; last %+v", name, s)
		}
	}
}

// TestRestartShowsOnlyTheNewRun restarts a server twenty times, each run
// on the same port with other players, another map and another hostname,
// telling the poller as the instance service does (Changed before the stop
// and after the start). The periodic pass is an hour apart, so only the
// trigger can show the new run; no snapshot seen after the restart may
// carry the previous run's state.
func TestRestartShowsOnlyTheNewRun(t *testing.T) {
	maps := []string{"c1m1_hotel", "c2m1_highway", "c3m1_plankcountry", "c4m1_milltown_a", "c5m1_waterfront"}
	run := func(i int) (hostname string, players int, mapName string) {
		return "Run " + strconv.Itoa(i), 1 + i%4, maps[i%len(maps)]
	}
	host, n, m := run(0)
	srv := startServer(t, host, "pw", 0, "-fakeplayers", strconv.Itoa(n), "+map", m)
	port := srv.Port()
	targets := &targetList{}
	tgt := srv.target("cycle")
	tgt.Run = time.Now()
	targets.set(tgt)
	p := NewPoller(Config{Interval: time.Hour, Timeout: 2 * time.Second}, targets, nil, nil)
	notes, unsubscribe := p.Subscribe()
	defer unsubscribe()
	runPoller(t, p)
	waitFor(t, p, notes, "cycle", func(Snapshot) {}, func(s Snapshot) bool { return s.Online && s.Hostname == host })

	const cycles = 20
	stale := 0
	for i := 1; i <= cycles; i++ {
		oldHost := host
		host, n, m = run(i)
		p.Changed("cycle") // before the stop
		srv.stop()
		// The new run's settings go into its server.cfg, as a restart
		// stages them; the command line stays the instance's.
		cfg := fmt.Sprintf("hostname %q\n", host)
		if err := os.WriteFile(filepath.Join(srv.dir, "left4dead2", "cfg", "server.cfg"), []byte(cfg), 0o644); err != nil {
			t.Fatal(err)
		}
		srv = restartServer(t, srv.dir, "pw", port, "-fakeplayers", strconv.Itoa(n), "+map", m)
		tgt.Run = tgt.Run.Add(time.Second)
		targets.set(tgt)
		p.Changed("cycle") // after the start
		got := waitFor(t, p, notes, "cycle", func(s Snapshot) {
			if s.Hostname == oldHost || !s.Run.Equal(tgt.Run) {
				if stale++; stale < 5 {
					t.Errorf("cycle %d: a snapshot of the previous run: %+v", i, s)
				}
			}
		}, func(s Snapshot) bool { return s.Online && s.Hostname == host })
		if got.Humans != n || got.Map != m || len(got.Players) != n {
			t.Errorf("cycle %d: %d humans on %s, players %+v; want %d on %s", i, got.Humans, got.Map, got.Players, n, m)
		}
	}
	if stale > 0 {
		t.Errorf("%d restarts, %d stale snapshots seen", cycles, stale)
	}
}

// TestKickShowsAJoinWithoutThePeriodicPass: players join a server polled
// once an hour; a Kick (what a "connected" log line triggers) shows them.
func TestKickShowsAJoinWithoutThePeriodicPass(t *testing.T) {
	srv := startServer(t, "Join", "pw", 0, "-fakeplayers", "0")
	targets := &targetList{}
	targets.set(srv.target("join"))
	p := NewPoller(Config{Interval: time.Hour}, targets, nil, nil)
	notes, unsubscribe := p.Subscribe()
	defer unsubscribe()
	runPoller(t, p)
	waitFor(t, p, notes, "join", func(Snapshot) {}, func(s Snapshot) bool { return s.Online })
	for _, humans := range []int{1, 3, 2} {
		srv.Exec("fakesrcds_players " + strconv.Itoa(humans))
		p.Kick("join")
		waitFor(t, p, notes, "join", func(Snapshot) {}, func(s Snapshot) bool { return s.Humans == humans && len(s.Players) == humans })
	}
	p.Kick("nobody") // not a target: ignored
}

// TestChangedDropsTheSnapshotAtOnce: after Changed the old state is gone
// before any poll, and subscribers are told; a stopped server (no longer a
// target) stays without one.
func TestChangedDropsTheSnapshotAtOnce(t *testing.T) {
	srv := startServer(t, "Stop", "pw", 0, "-fakeplayers", "2")
	targets := &targetList{}
	targets.set(srv.target("stop"))
	p := NewPoller(Config{Interval: time.Hour}, targets, nil, nil)
	if err := p.Refresh(ctxFor(t)); err != nil {
		t.Fatal(err)
	}
	notes, unsubscribe := p.Subscribe()
	defer unsubscribe()
	targets.set()
	srv.stop()
	p.Changed("stop")
	if s, ok := p.Snapshot("stop"); ok {
		t.Fatalf("snapshot after Changed: %+v", s)
	}
	select {
	case <-notes:
	default:
		t.Error("Changed told no subscriber")
	}
	runPoller(t, p)
	time.Sleep(300 * time.Millisecond)
	if s, ok := p.Snapshot("stop"); ok {
		t.Errorf("snapshot of a stopped server: %+v", s)
	}
}

// TestTriggersUnderLoad kicks many servers at once from many goroutines
// while passes run: every server ends with its players (no lost kick, no
// deadlock; the race detector checks the rest).
func TestTriggersUnderLoad(t *testing.T) {
	const n = 8
	targets := &targetList{}
	var list []Target
	var servers []*testServer
	for i := range n {
		srv := startServer(t, fmt.Sprintf("Load %d", i), "pw", 0, "-fakeplayers", "0")
		servers = append(servers, srv)
		list = append(list, srv.target(fmt.Sprintf("load%d", i)))
	}
	targets.set(list...)
	p := NewPoller(Config{Interval: 50 * time.Millisecond}, targets, nil, nil)
	notes, unsubscribe := p.Subscribe()
	defer unsubscribe()
	runPoller(t, p)
	var wg sync.WaitGroup
	for i, srv := range servers {
		srv.Exec("fakesrcds_players " + strconv.Itoa(i%4+1))
		for range 5 {
			wg.Go(func() { p.Kick(list[i].Name) })
		}
	}
	wg.Wait()
	for i := range servers {
		waitFor(t, p, notes, list[i].Name, func(Snapshot) {}, func(s Snapshot) bool { return s.Humans == i%4+1 })
	}
}
