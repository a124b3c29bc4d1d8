package schedule

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/left4me/left4me/internal/instance"
	"github.com/left4me/left4me/internal/jobs"
)

// backupRecorder is the backup service as schedules see it.
type backupRecorder struct {
	mu    sync.Mutex
	names []string
}

func (b *backupRecorder) Scheduled(_ context.Context, name string) (string, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.names = append(b.names, name)
	return "backed up " + name, nil
}

// TestBackupScheduleRunsAsAJob: a backup schedule is queued once at its
// time as a durable job that backs up the instance, running or not,
// with the policy now.
func TestBackupScheduleRunsAsAJob(t *testing.T) {
	loc := time.UTC
	start := time.Date(2026, 6, 1, 3, 0, 0, 0, loc)
	rec := &backupRecorder{}
	e := newTestEnv(t, loc, start, func(c *Config) { c.Backups = rec })
	e.startWorkers()
	e.rec.mu.Lock()
	e.rec.states["alpha"] = instance.Stopped
	e.rec.mu.Unlock()
	sc := e.add(Spec{Action: "backup", When: "daily 03:30"})
	if sc.Policy != Now {
		t.Errorf("a backup schedule's policy is %s, want now (it disconnects nobody)", sc.Policy)
	}
	if _, err := e.svc.Add(context.Background(), "alpha", Spec{Action: "backup", When: "daily 03:30", Policy: "when-empty"}, User{ID: e.owner.ID}); err == nil {
		t.Errorf("a backup schedule took the when-empty policy")
	}
	e.clock.Set(time.Date(2026, 6, 1, 3, 30, 0, 0, loc))
	if q, err := e.svc.Tick(context.Background()); err != nil || q != 1 {
		t.Fatalf("queued %d (%v), want 1", q, err)
	}
	if j := e.waitJob(e.runJobs()[0].ID); j.State != jobs.StateSucceeded {
		t.Fatalf("job %s: %+v", j.State, j.Errors)
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if !slices.Equal(rec.names, []string{"alpha"}) {
		t.Errorf("backed up %v, want alpha once (it is stopped: a backup runs anyway)", rec.names)
	}
}
