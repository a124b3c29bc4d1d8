package schedule

import (
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/left4me/left4me/internal/fakesrcds"
	"github.com/left4me/left4me/internal/instance"
	"github.com/left4me/left4me/internal/jobs"
	"github.com/left4me/left4me/internal/layout"
	"github.com/left4me/left4me/internal/live"
	"github.com/left4me/left4me/internal/process"
	"github.com/left4me/left4me/internal/rcon"
	"github.com/left4me/left4me/internal/srcds"
	"github.com/left4me/left4me/internal/store"
)

// TestMain lets the process supervisor re-execute this test binary as the
// namespace child that mounts an instance's overlay (non-root runs).
func TestMain(m *testing.M) {
	if spec := os.Getenv(process.ChildEnv); spec != "" {
		process.ChildMain(spec, os.Environ())
	}
	os.Exit(m.Run())
}

// counting passes the instance service through and counts its actions.
type counting struct {
	*instance.Service
	mu   sync.Mutex
	done []string
}

func (c *counting) Do(ctx context.Context, a instance.Action, name string) error {
	c.mu.Lock()
	c.done = append(c.done, string(a)+" "+name)
	c.mu.Unlock()
	return c.Service.Do(ctx, a, name)
}

func (c *counting) actions() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.done...)
}

// TestWhenEmptyOnARealInstance is the when-empty restart with every part
// real but the clock: an instance run by the process supervisor (the
// stand-in through the overlay code) with a simulated player, the live
// poller counting humans, the RCON console, the job queue. The schedule
// waits while the player plays; the player is kicked over RCON; the
// instance is restarted once (a new server process, which answers again).
func TestWhenEmptyOnARealInstance(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a game server")
	}
	if err := process.CanMount(); err != nil {
		t.Skipf("needs overlay mounts (root or user namespaces): %v", err)
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("needs the go tool to build fakesrcds")
	}
	ctx := context.Background()
	root, err := layout.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if err := root.Create(0o755); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(t.TempDir(), "fakesrcds")
	if out, err := exec.Command(goTool, "build", "-o", bin, "github.com/left4me/left4me/cmd/fakesrcds").CombinedOutput(); err != nil {
		t.Fatalf("build fakesrcds: %v\n%s", err, out)
	}
	if err := fakesrcds.WriteInstallation(root.Installation("1"), bin); err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(ctx, root.Database())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	sup := process.New(process.Config{Root: root, StopTimeout: 5 * time.Second})
	t.Cleanup(func() {
		sctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		sup.Shutdown(sctx)
	})
	svc := &counting{Service: instance.NewService(instance.Config{Root: root, PortMin: 32000, PortMax: 32699}, st, sup)}
	owner, err := st.CreateUser(ctx, "owner", "x", true)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Create(ctx, instance.Spec{Name: "alpha", OwnerID: owner.ID,
		Args: []string{"+map", "c1m1_hotel", "-fakeplayers", "1", "-a2sloopback"}}); err != nil {
		t.Fatal(err)
	}
	if err := svc.Start(ctx, "alpha"); err != nil {
		t.Fatal(err)
	}
	inst, err := svc.Get(ctx, "alpha")
	if err != nil {
		t.Fatal(err)
	}
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(inst.ServerPort()))
	poller := live.NewPoller(live.Config{}, live.TargetFunc(func(context.Context) ([]live.Target, error) {
		return []live.Target{{Name: "alpha", RCONAddr: addr, A2SAddr: addr, RCONPassword: inst.RCONPassword}}, nil
	}), nil, testLogger())
	humans := func() int {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for time.Now().Before(deadline) { // the server may still be starting
			if err := poller.Refresh(ctx); err != nil {
				t.Fatal(err)
			}
			if snap, ok := poller.Snapshot("alpha"); ok && snap.Online {
				return snap.Humans
			}
			time.Sleep(100 * time.Millisecond)
		}
		t.Fatal("the instance never answered its poll")
		return 0
	}
	if n := humans(); n != 1 {
		t.Fatalf("%d humans on the instance, want the simulated 1", n)
	}
	before, err := svc.Status(ctx, "alpha")
	if err != nil {
		t.Fatal(err)
	}

	m, err := jobs.New(ctx, st.DB(), jobsConfig(), testLogger())
	if err != nil {
		t.Fatal(err)
	}
	slot := time.Date(2026, 6, 1, 4, 0, 0, 0, time.UTC)
	clock := newFakeClock(slot.Add(-time.Hour))
	sched := New(Config{Store: st, Jobs: m, Instances: svc, Clock: clock, Location: time.UTC, Logger: testLogger(),
		PollEvery: 10 * time.Second,
		Console:   rcon.New(sender{srcds.NewSession(addr, inst.RCONPassword)}, svc, st, rcon.Policy{}),
		Humans:    PollerHumans(poller),
	})
	if err := sched.RegisterJobs(); err != nil {
		t.Fatal(err)
	}
	if err := m.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = m.Stop(sctx)
	})
	if _, err := sched.Add(ctx, "alpha", Spec{Action: "restart", When: "daily 04:00", Policy: "when-empty", MaxWait: "1h"},
		User{ID: owner.ID, MaySeeSecrets: true}); err != nil {
		t.Fatal(err)
	}
	clock.Set(slot)
	if q, err := sched.Tick(ctx); err != nil || q != 1 {
		t.Fatalf("queued %d (%v)", q, err)
	}
	for range 2 {
		clock.waitWaiters(t, 1)
		if got := svc.actions(); len(got) != 0 {
			t.Fatalf("restarted with a player on: %v", got)
		}
		clock.Advance(10 * time.Second)
	}
	clock.waitWaiters(t, 1)
	admin := srcds.NewSession(addr, inst.RCONPassword)
	defer admin.Close()
	if _, err := admin.Exec(ctx, "kick Ellie", false); err != nil {
		t.Fatalf("kick: %v", err)
	}
	if n := humans(); n != 0 {
		t.Fatalf("%d humans after the kick", n)
	}
	clock.Advance(10 * time.Second)
	var job jobs.Job
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		list, _ := m.List(ctx, jobs.Filter{Kind: KindRun})
		if len(list) == 1 && list[0].State.Finished() {
			job = list[0]
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if job.State != jobs.StateSucceeded {
		t.Fatalf("the run: %+v", job)
	}
	if got := svc.actions(); len(got) != 1 || got[0] != "restart alpha" {
		t.Fatalf("actions %v, want one restart", got)
	}
	after, err := svc.Status(ctx, "alpha")
	if err != nil || after.State != instance.Running || !after.Since.After(before.Since) {
		t.Fatalf("after the run: %+v (%v), before %+v: want running since the restart", after, err, before)
	}
	if n := humans(); n != 1 {
		t.Errorf("the restarted server has %d humans, want its simulated player back", n)
	}
}
