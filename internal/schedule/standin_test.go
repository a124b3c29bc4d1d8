package schedule

import (
	"bytes"
	"context"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/left4me/left4me/internal/fakesrcds"
	"github.com/left4me/left4me/internal/instance"
	"github.com/left4me/left4me/internal/jobs"
	"github.com/left4me/left4me/internal/live"
	"github.com/left4me/left4me/internal/rcon"
	"github.com/left4me/left4me/internal/srcds"
)

// syncBuffer is the stand-in's console, read while it writes.
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

// standIn is a stand-in server for instance alpha with one simulated
// human, the live poller that counts its players and the RCON console the
// schedules speak through.
type standIn struct {
	srv     *fakesrcds.Server
	console *syncBuffer
	poller  *live.Poller
	admin   *srcds.Session
}

const standInPassword = "sched-secret"

func startStandIn(t *testing.T, players int) *standIn {
	t.Helper()
	dir := t.TempDir()
	if err := fakesrcds.WriteInstallation(dir, ""); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	out := &syncBuffer{}
	srv, err := fakesrcds.Start(ctx, fakesrcds.Config{Dir: dir, Stdout: out, Args: []string{
		"-game", "left4dead2", "+ip", "0.0.0.0", "+hostport", "0", "-a2sloopback",
		"+rcon_password", standInPassword, "+fakesrcds_players", strconv.Itoa(players), "+map", "c1m1_hotel",
	}})
	if err != nil {
		cancel()
		t.Fatalf("start the stand-in: %v", err)
	}
	t.Cleanup(func() { cancel(); _ = srv.Wait() })
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(srv.Port()))
	target := live.Target{Name: "alpha", RCONAddr: addr, A2SAddr: addr, RCONPassword: standInPassword}
	poller := live.NewPoller(live.Config{}, live.TargetFunc(func(context.Context) ([]live.Target, error) {
		return []live.Target{target}, nil
	}), nil, testLogger())
	admin := srcds.NewSession(addr, standInPassword)
	t.Cleanup(func() { _ = admin.Close() })
	return &standIn{srv: srv, console: out, poller: poller, admin: admin}
}

// refresh polls the stand-in and returns the humans it reports.
func (s *standIn) refresh(t *testing.T) int {
	t.Helper()
	if err := s.poller.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	snap, _ := s.poller.Snapshot("alpha")
	return snap.Humans
}

func (s *standIn) humans() Humans { return PollerHumans(s.poller) }

// sender sends the console's commands over RCON to the stand-in.
type sender struct{ s *srcds.Session }

func (x sender) Exec(ctx context.Context, inst instance.Instance, cmd string) (string, error) {
	return x.s.Exec(ctx, cmd, false)
}

// withStandIn wires the stand-in into a test env's Service config.
func withStandIn(si *standIn) func(*Config) {
	return func(c *Config) {
		c.Humans = si.humans()
		c.Console = rcon.New(sender{srcds.NewSession(si.admin.Addr(), standInPassword)}, c.Instances, c.Store, rcon.Policy{})
	}
}

// TestWhenEmptyWaitsForThePlayerToLeave: a restart when-empty with a
// simulated player on the stand-in does not restart while the player
// stays; after the player is dropped over RCON (kick), it restarts once.
func TestWhenEmptyWaitsForThePlayerToLeave(t *testing.T) {
	si := startStandIn(t, 1)
	if n := si.refresh(t); n != 1 {
		t.Fatalf("stand-in reports %d humans, want 1", n)
	}
	loc := time.UTC
	start := time.Date(2026, 6, 1, 3, 50, 0, 0, loc)
	e := newTestEnv(t, loc, start, withStandIn(si))
	e.startWorkers()
	e.add(Spec{Action: "restart", When: "daily 04:00", Policy: "when-empty", MaxWait: "2h", OnTimeout: "skip"})
	ctx := context.Background()

	e.clock.Set(start.Add(10 * time.Minute))
	if q, err := e.svc.Tick(ctx); err != nil || q != 1 {
		t.Fatalf("at 04:00 queued %d (%v), want 1", q, err)
	}
	// The job waits for the player, looking again every PollEvery.
	for range 3 {
		e.clock.waitWaiters(t, 1)
		if got := e.rec.done(); len(got) != 0 {
			t.Fatalf("acted with a player on the server: %v", got)
		}
		e.clock.Advance(e.cfg.PollEvery)
	}
	e.clock.waitWaiters(t, 1)
	if got := e.rec.done(); len(got) != 0 {
		t.Fatalf("acted with a player on the server: %v", got)
	}
	// The player leaves: dropped by the console's kick.
	if out, err := si.admin.Exec(ctx, "kick Ellie", false); err != nil {
		t.Fatalf("kick: %v (%s)", err, out)
	}
	if n := si.refresh(t); n != 0 {
		t.Fatalf("after the kick the stand-in reports %d humans", n)
	}
	if !strings.Contains(si.console.String(), "Dropped Ellie from server") {
		t.Fatalf("the stand-in's console does not show the drop:\n%s", si.console.String())
	}
	e.clock.Advance(e.cfg.PollEvery)
	list := e.runJobs()
	if len(list) != 1 {
		t.Fatalf("%d jobs, want 1", len(list))
	}
	if j := e.waitJob(list[0].ID); j.State != jobs.StateSucceeded {
		t.Fatalf("job %s: %+v", j.State, j.Errors)
	}
	if got := e.rec.done(); len(got) != 1 || got[0] != "restart alpha" {
		t.Fatalf("actions %v, want one restart", got)
	}
	// Later ticks of the same day queue nothing more.
	e.clock.Set(start.Add(30 * time.Minute))
	if q, err := e.svc.Tick(ctx); err != nil || q != 0 {
		t.Fatalf("later tick queued %d (%v)", q, err)
	}
	if got := e.rec.done(); len(got) != 1 {
		t.Fatalf("actions %v, want one restart", got)
	}
}

// notes records notifications and audit entries.
type notes struct {
	mu     sync.Mutex
	events []string
	audit  []string
}

func (n *notes) Notify(ctx context.Context, event, inst string, detail map[string]any) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.events = append(n.events, event+" "+inst)
}

func (n *notes) Record(ctx context.Context, actor, action, target, summary string, result error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.audit = append(n.audit, actor+" "+action+" "+target)
}

func (n *notes) get() ([]string, []string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	return append([]string(nil), n.events...), append([]string(nil), n.audit...)
}

// TestWhenEmptySkipsAndNotifies: with the player still there after
// max-wait and on-timeout skip, nothing is restarted and schedule.skipped
// is notified; with run, it restarts anyway.
func TestWhenEmptySkipsAndNotifies(t *testing.T) {
	si := startStandIn(t, 1)
	si.refresh(t)
	loc := time.UTC
	start := time.Date(2026, 6, 1, 4, 0, 0, 0, loc)
	n := &notes{}
	e := newTestEnv(t, loc, start.Add(-time.Hour), func(c *Config) {
		withStandIn(si)(c)
		c.Notifier, c.Auditor = n, n
	})
	e.startWorkers()
	e.add(Spec{Action: "restart", When: "04:00", Policy: "when-empty", MaxWait: "20s", OnTimeout: "skip"})
	e.add(Spec{Action: "stop", When: "05:00", Policy: "when-empty", MaxWait: "20s", OnTimeout: "run"})
	ctx := context.Background()
	for _, at := range []time.Time{start, start.Add(time.Hour)} {
		e.clock.Set(at)
		if q, err := e.svc.Tick(ctx); err != nil || q != 1 {
			t.Fatalf("queued %d (%v)", q, err)
		}
		for e.clock.Now().Before(at.Add(20 * time.Second)) {
			e.clock.waitWaiters(t, 1)
			e.clock.Set(e.clock.nextWake())
		}
		list := e.runJobs()
		if j := e.waitJob(list[len(list)-1].ID); j.State != jobs.StateSucceeded {
			t.Fatalf("job %s: %+v", j.State, j.Errors)
		}
	}
	if got := e.rec.done(); len(got) != 1 || got[0] != "stop alpha" {
		t.Fatalf("actions %v, want only the stop (the restart skipped)", got)
	}
	events, audit := n.get()
	if len(events) != 1 || events[0] != "schedule.skipped alpha" {
		t.Errorf("notified %v, want schedule.skipped alpha once", events)
	}
	if len(audit) != 2 || audit[0] != "schedule schedule.restart alpha" || audit[1] != "schedule schedule.stop alpha" {
		t.Errorf("audit %v", audit)
	}
}

// TestWarnAnnouncesThreeTimes: a warn restart says so on the stand-in 5
// minutes, 1 minute and 10 seconds before, in that order, then restarts
// once at its time.
func TestWarnAnnouncesThreeTimes(t *testing.T) {
	si := startStandIn(t, 1)
	si.refresh(t)
	loc := time.UTC
	slot := time.Date(2026, 6, 1, 4, 0, 0, 0, loc)
	e := newTestEnv(t, loc, slot.Add(-time.Hour), withStandIn(si))
	e.startWorkers()
	e.add(Spec{Action: "restart", When: "04:00", Policy: "warn"})
	ctx := context.Background()
	e.clock.Set(slot.Add(-6 * time.Minute))
	if q, _ := e.svc.Tick(ctx); q != 0 {
		t.Fatalf("queued %d six minutes early", q)
	}
	e.clock.Set(slot.Add(-5 * time.Minute))
	if q, err := e.svc.Tick(ctx); err != nil || q != 1 {
		t.Fatalf("five minutes before: queued %d (%v), want 1", q, err)
	}
	for _, at := range []time.Time{slot.Add(-time.Minute), slot.Add(-10 * time.Second), slot} {
		e.clock.waitWaiters(t, 1)
		if got := e.rec.done(); len(got) != 0 {
			t.Fatalf("restarted before its time: %v", got)
		}
		if w := e.clock.nextWake(); !w.Equal(at) {
			t.Fatalf("the job waits until %v, want %v", w, at)
		}
		e.clock.Set(at)
	}
	list := e.runJobs()
	if j := e.waitJob(list[0].ID); j.State != jobs.StateSucceeded {
		t.Fatalf("job %s: %+v", j.State, j.Errors)
	}
	if got := e.rec.done(); len(got) != 1 || got[0] != "restart alpha" {
		t.Fatalf("actions %v, want one restart", got)
	}
	var said []string
	for _, line := range strings.Split(si.console.String(), "\n") {
		if _, text, ok := strings.Cut(line, "Console: "); ok {
			said = append(said, text)
		}
	}
	want := []string{"The server restarts in 5 minutes.", "The server restarts in 1 minute.", "The server restarts in 10 seconds."}
	if strings.Join(said, "|") != strings.Join(want, "|") {
		t.Fatalf("the stand-in's console says %q, want %q", said, want)
	}
}
