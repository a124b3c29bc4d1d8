package schedule

import (
	"context"
	"encoding/json"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/left4me/left4me/internal/instance"
	"github.com/left4me/left4me/internal/jobs"
	"github.com/left4me/left4me/internal/store"
)

// fakeClock is a clock the test moves. After registers a waiter; Advance
// fires those whose time has come.
type fakeClock struct {
	mu      sync.Mutex
	now     time.Time
	waiters []clockWaiter
	changed chan struct{} // closed and replaced whenever a waiter is added
}

type clockWaiter struct {
	at time.Time
	ch chan time.Time
}

func newFakeClock(t time.Time) *fakeClock {
	return &fakeClock{now: t, changed: make(chan struct{})}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) After(d time.Duration) <-chan time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	ch := make(chan time.Time, 1)
	if d <= 0 {
		ch <- c.now
		return ch
	}
	c.waiters = append(c.waiters, clockWaiter{at: c.now.Add(d), ch: ch})
	close(c.changed)
	c.changed = make(chan struct{})
	return ch
}

// Set moves the clock to t (forwards) and fires the waiters due.
func (c *fakeClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
	keep := c.waiters[:0]
	for _, w := range c.waiters {
		if !w.at.After(t) {
			w.ch <- t
		} else {
			keep = append(keep, w)
		}
	}
	c.waiters = keep
}

func (c *fakeClock) Advance(d time.Duration) { c.Set(c.Now().Add(d)) }

// waitWaiters blocks until at least n goroutines wait on the clock; it
// fails the test after a generous real-time bound (a guard against
// hanging, not a timing assertion).
func (c *fakeClock) waitWaiters(t *testing.T, n int) {
	t.Helper()
	deadline := time.After(30 * time.Second)
	for {
		c.mu.Lock()
		have, ch := len(c.waiters), c.changed
		c.mu.Unlock()
		if have >= n {
			return
		}
		select {
		case <-ch:
		case <-deadline:
			t.Fatalf("never %d waiters on the clock (have %d)", n, have)
		}
	}
}

// nextWake is the earliest waiter's time (zero: none).
func (c *fakeClock) nextWake() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	var at time.Time
	for _, w := range c.waiters {
		if at.IsZero() || w.at.Before(at) {
			at = w.at
		}
	}
	return at
}

// recorder is the instance service as schedules see it: it records the
// actions and keeps states.
type recorder struct {
	mu      sync.Mutex
	insts   map[string]instance.Instance
	states  map[string]instance.State
	actions []string // "restart alpha", in order
	fail    map[string]error
	onDo    func(a instance.Action, name string)
}

func newRecorder() *recorder {
	return &recorder{insts: map[string]instance.Instance{}, states: map[string]instance.State{}, fail: map[string]error{}}
}

func (r *recorder) add(in instance.Instance, st instance.State) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.insts[in.Name], r.states[in.Name] = in, st
}

func (r *recorder) Get(ctx context.Context, name string) (instance.Instance, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	in, ok := r.insts[name]
	if !ok {
		return instance.Instance{}, instance.ErrNotFound
	}
	return in, nil
}

func (r *recorder) Status(ctx context.Context, name string) (instance.Status, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return instance.Status{State: r.states[name]}, nil
}

func (r *recorder) Do(ctx context.Context, a instance.Action, name string) error {
	r.mu.Lock()
	r.actions = append(r.actions, string(a)+" "+name)
	err := r.fail[name]
	if err == nil {
		switch a {
		case instance.Stop:
			r.states[name] = instance.Stopped
		default:
			r.states[name] = instance.Running
		}
	}
	hook := r.onDo
	r.mu.Unlock()
	if hook != nil {
		hook(a, name)
	}
	return err
}

func (r *recorder) done() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.actions...)
}

// testEnv is a store, a job queue over it and a schedule Service, all real
// but the instance service (a recorder) and the clock.
type testEnv struct {
	t     *testing.T
	st    *store.Store
	jobs  *jobs.Manager
	svc   *Service
	rec   *recorder
	clock *fakeClock
	owner store.User
	cfg   Config
}

func jobsConfig() jobs.Config {
	return jobs.Config{
		Workers: 4, RetryBase: 10 * time.Millisecond, RetryMax: 50 * time.Millisecond,
		Heartbeat: 100 * time.Millisecond, OrphanAfter: 2 * time.Second, RescueGrace: 2 * time.Second,
		FlushInterval: 20 * time.Millisecond, PollInterval: 50 * time.Millisecond,
	}
}

func testLogger() *slog.Logger {
	if testing.Verbose() {
		return slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	return slog.New(slog.DiscardHandler)
}

// newTestEnv opens a database in a temporary directory with an owner and
// instance "alpha" (running), and a Service in loc at clock time now.
func newTestEnv(t *testing.T, loc *time.Location, now time.Time, hook func(*Config)) *testEnv {
	t.Helper()
	return newTestEnvAt(t, filepath.Join(t.TempDir(), "left4me.db"), loc, now, hook)
}

func newTestEnvAt(t *testing.T, path string, loc *time.Location, now time.Time, hook func(*Config)) *testEnv {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	m, err := jobs.New(ctx, st.DB(), jobsConfig(), testLogger())
	if err != nil {
		t.Fatal(err)
	}
	e := &testEnv{t: t, st: st, jobs: m, rec: newRecorder(), clock: newFakeClock(now)}
	if u, err := st.UserByName(ctx, "owner"); err == nil {
		e.owner = u
	} else {
		if e.owner, err = st.CreateUser(ctx, "owner", "x", false); err != nil {
			t.Fatal(err)
		}
		if _, err := st.CreateInstance(ctx, store.Instance{Name: "alpha", OwnerID: e.owner.ID, Port: 32000, RCONPassword: "pw"}, nil); err != nil {
			t.Fatal(err)
		}
	}
	e.rec.add(instance.Instance{Name: "alpha", OwnerID: e.owner.ID, Port: 32000, RCONPassword: "pw"}, instance.Running)
	e.cfg = Config{Store: st, Jobs: m, Instances: e.rec, Location: loc, Clock: e.clock, Logger: testLogger(),
		PollEvery: 10 * time.Second}
	if hook != nil {
		hook(&e.cfg)
	}
	e.svc = New(e.cfg)
	return e
}

// startWorkers registers the kinds and runs the job workers until the
// test ends.
func (e *testEnv) startWorkers() {
	e.t.Helper()
	if err := e.svc.RegisterJobs(); err != nil {
		e.t.Fatal(err)
	}
	if err := e.jobs.Start(context.Background()); err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = e.jobs.Stop(ctx)
	})
}

func (e *testEnv) add(sp Spec) Schedule {
	e.t.Helper()
	sc, err := e.svc.Add(context.Background(), "alpha", sp, User{ID: e.owner.ID, MaySeeSecrets: true})
	if err != nil {
		e.t.Fatalf("add %+v: %v", sp, err)
	}
	return sc
}

// runJobs lists the KindRun jobs, oldest first.
func (e *testEnv) runJobs() []jobs.Job {
	e.t.Helper()
	list, err := e.jobs.List(context.Background(), jobs.Filter{Kind: KindRun, Limit: 1000})
	if err != nil {
		e.t.Fatal(err)
	}
	sort.Slice(list, func(i, j int) bool { return list[i].ID < list[j].ID })
	return list
}

// waitJob waits until job id is finished and returns it.
func (e *testEnv) waitJob(id int64) jobs.Job {
	e.t.Helper()
	deadline := time.Now().Add(45 * time.Second)
	for time.Now().Before(deadline) {
		j, err := e.jobs.Get(context.Background(), id)
		if err == nil && j.State.Finished() {
			return j
		}
		time.Sleep(20 * time.Millisecond)
	}
	e.t.Fatalf("job %d never finished", id)
	return jobs.Job{}
}

func berlin(t *testing.T) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Skipf("no time zone data for Europe/Berlin: %v", err)
	}
	return loc
}

func jsonArgs(raw []byte, v any) error { return json.Unmarshal(raw, v) }
