package notify

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/left4me/left4me/internal/instance"
	"github.com/left4me/left4me/internal/jobs"
)

// Notifier is what sends events (a *Service); the watchers take it.
type Notifier interface {
	Notify(ctx context.Context, event, instance string, detail map[string]any)
}

// StateSource reports an instance's unit state (the instance Supervisor).
type StateSource interface {
	Status(ctx context.Context, name string) (instance.Status, error)
}

// RestartCounter is what a supervisor that restarts crashed servers itself
// (systemd's Restart=on-failure) adds: how often it has done so.
type RestartCounter interface {
	Restarts(ctx context.Context, name string) (uint32, error)
}

// CrashWatch notices crashes the panel did not ask for: a unit that turned
// failed, or whose automatic restart count grew, since the last look. The
// panel learns of these only by asking the supervisor, so it asks every
// Every (default 10 s).
type CrashWatch struct {
	Names    func(ctx context.Context) ([]string, error)
	States   StateSource
	Notifier Notifier
	Every    time.Duration
	Logger   *slog.Logger

	mu     sync.Mutex
	seen   map[string]seenState
	primed bool // a first look was taken: instances new since start from nothing
}

type seenState struct {
	state    instance.State
	restarts uint32
}

// Run checks until ctx ends.
func (w *CrashWatch) Run(ctx context.Context) error {
	every := w.Every
	if every <= 0 {
		every = 10 * time.Second
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		w.Check(ctx)
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// Check looks at every instance once and notifies the crashes since the
// previous look. The first look only learns the states; an instance that
// appears later is compared with a stopped one that never restarted.
func (w *CrashWatch) Check(ctx context.Context) {
	names, err := w.Names(ctx)
	if err != nil {
		if ctx.Err() == nil && w.Logger != nil {
			w.Logger.Warn("crash watch: list instances", "err", err)
		}
		return
	}
	counter, _ := w.States.(RestartCounter)
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.seen == nil {
		w.seen = map[string]seenState{}
	}
	now := map[string]seenState{}
	for _, name := range names {
		st, err := w.States.Status(ctx, name)
		if err != nil {
			continue
		}
		cur := seenState{state: st.State}
		if counter != nil {
			cur.restarts, _ = counter.Restarts(ctx, name)
		}
		now[name] = cur
		prev, known := w.seen[name]
		if !known {
			if !w.primed {
				continue
			}
			// Made since the last look: it started stopped, never restarted.
			prev = seenState{state: instance.Stopped}
		}
		switch {
		case cur.state == instance.Failed && prev.state != instance.Failed:
			detail := map[string]any{"state": string(cur.state)}
			if st.Result != "" {
				detail["result"] = st.Result
			}
			w.Notifier.Notify(ctx, EventCrashed, name, detail)
		case cur.restarts > prev.restarts:
			w.Notifier.Notify(ctx, EventCrashed, name, map[string]any{
				"auto_restarted": true, "restarts": cur.restarts, "state": string(cur.state)})
		}
	}
	w.seen, w.primed = now, true
}

// WatchJobs turns the job queue's changes into events until ctx ends: a
// job that failed for good is job.failed (a webhook delivery's own failure
// is not, or a dead endpoint would notify itself); an install that
// succeeded is install.finished.
func WatchJobs(ctx context.Context, m *jobs.Manager, n Notifier, installKind string) {
	ch, stop := m.Subscribe()
	defer stop()
	for {
		select {
		case <-ctx.Done():
			return
		case ev := <-ch:
			switch {
			case ev.State == jobs.StateFailed && ev.Kind != KindDelivery:
				detail := map[string]any{"job_id": ev.JobID, "kind": ev.Kind}
				if j, err := m.Get(ctx, ev.JobID); err == nil && len(j.Errors) > 0 {
					detail["error"] = j.Errors[len(j.Errors)-1].Error
				}
				n.Notify(ctx, EventJobFailed, "", detail)
			case ev.State == jobs.StateSucceeded && ev.Kind == installKind:
				detail := map[string]any{"job_id": ev.JobID}
				if ev.Message != "" {
					detail["message"] = ev.Message
				}
				n.Notify(ctx, EventInstallFinished, "", detail)
			}
		}
	}
}
