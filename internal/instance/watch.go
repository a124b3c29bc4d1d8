package instance

import (
	"context"
	"sync"
)

// runWatchers are the functions that hear of every change the service
// asks of a server's run (OnRunChange).
type runWatchers struct {
	mu  sync.RWMutex
	fns []func(name string)
}

func (w *runWatchers) changed(name string) {
	w.mu.RLock()
	defer w.mu.RUnlock()
	for _, fn := range w.fns {
		fn(name)
	}
}

// OnRunChange registers fn to hear the name of an instance whose server
// the service starts, stops or restarts, before the supervisor is asked
// and again when it answered, whatever asked (a power action, a reset, a
// delete, the watchdog, a schedule, the boot autostart). The live poller's
// Changed is one: it drops the instance's live state and polls the new run
// at once. fn must not block.
func (s *Service) OnRunChange(fn func(name string)) {
	s.watch.mu.Lock()
	defer s.watch.mu.Unlock()
	s.watch.fns = append(s.watch.fns, fn)
}

// watchedSupervisor tells the service's run watchers of every Start, Stop
// and Restart it passes on.
type watchedSupervisor struct {
	Supervisor
	w *runWatchers
}

func (s watchedSupervisor) Start(ctx context.Context, name string) error {
	s.w.changed(name)
	defer s.w.changed(name)
	return s.Supervisor.Start(ctx, name)
}

func (s watchedSupervisor) Stop(ctx context.Context, name string) error {
	s.w.changed(name)
	defer s.w.changed(name)
	return s.Supervisor.Stop(ctx, name)
}

func (s watchedSupervisor) Restart(ctx context.Context, name string) error {
	s.w.changed(name)
	defer s.w.changed(name)
	return s.Supervisor.Restart(ctx, name)
}
