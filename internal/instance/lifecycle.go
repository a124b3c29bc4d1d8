package instance

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
)

// record reads an instance under its lock.
func (s *Service) record(ctx context.Context, name string) (Instance, error) {
	return s.Get(ctx, name)
}

// lockExisting takes name's lock and checks that the instance exists.
func (s *Service) lockExisting(ctx context.Context, name string) (func(), error) {
	unlock, err := s.locks.lock(ctx, name)
	if err != nil {
		return nil, err
	}
	if _, err := s.record(ctx, name); err != nil {
		unlock()
		return nil, err
	}
	return unlock, nil
}

func active(st State) bool { return st == Running || st == Starting }

// Start stages the instance's files, records that it should run and asks
// the supervisor to start it. Starting a running instance does nothing.
//
// NOTE: docs/lifecycle.md rule 1 — nothing is mounted here; the unit's
// ExecStartPost mounts the overlay from the staged instance.env.
func (s *Service) Start(ctx context.Context, name string) error {
	unlock, err := s.locks.lock(ctx, name)
	if err != nil {
		return err
	}
	defer unlock()
	return s.start(ctx, name)
}

func (s *Service) start(ctx context.Context, name string) error {
	in, err := s.record(ctx, name)
	if err != nil {
		return err
	}
	st, err := s.sup.Status(ctx, name)
	if err != nil {
		return fmt.Errorf("start %s: %w", name, err)
	}
	if active(st.State) {
		// Staging now would write into upper/ under a live mount.
		if err := s.st.SetWantRunning(ctx, name, true); err != nil {
			return err
		}
		if st.State == Starting {
			// Another caller's start is under way: wait for it (systemd
			// joins this start to its job), so that a start reports
			// success only once the server runs (docs/lifecycle.md,
			// "Many instances on one host").
			if err := s.sup.Start(ctx, name); err != nil {
				return fmt.Errorf("start %s: %w", name, err)
			}
		}
		return nil
	}
	release, err := s.reserveStart(ctx, in)
	if err != nil {
		return fmt.Errorf("start %s: %w", name, err)
	}
	defer release()
	if err := s.checkBlockAtStart(ctx, in); err != nil {
		return err
	}
	if err := s.stage(in); err != nil {
		return err
	}
	if err := s.stageBans(ctx, in); err != nil {
		return err
	}
	if err := s.st.SetWantRunning(ctx, name, true); err != nil {
		return err
	}
	releaseSlot, err := s.starts.acquire(ctx)
	if err != nil {
		return fmt.Errorf("start %s: %w", name, err)
	}
	err = s.sup.Start(ctx, name)
	releaseSlot()
	if err != nil {
		return fmt.Errorf("start %s: %w", name, err)
	}
	s.log.Info("instance started", "instance", name)
	return nil
}

// Stop records that the instance should not run and asks the supervisor to
// stop it (the unit's ExecStopPost unmounts the overlay). Stopping a stopped
// instance does nothing.
func (s *Service) Stop(ctx context.Context, name string) error {
	unlock, err := s.lockExisting(ctx, name)
	if err != nil {
		return err
	}
	defer unlock()
	if err := s.st.SetWantRunning(ctx, name, false); err != nil {
		return err
	}
	if err := s.stopUnit(ctx, name); err != nil {
		return err
	}
	s.log.Info("instance stopped", "instance", name)
	return nil
}

// Restart stops the instance, stages its files again (picking up changed
// settings and the newest layer generations) and starts it.
//
// NOTE: docs/lifecycle.md rules 8 and 12 — staging happens between the stop
// (the overlay ended with the unit) and the start (ExecStartPost mounts it
// again), so upper/ is never written under a live mount and the new mount
// sees the new lower layers. That is why this is Stop+Start and not the
// supervisor's Restart.
func (s *Service) Restart(ctx context.Context, name string) error {
	unlock, err := s.lockExisting(ctx, name)
	if err != nil {
		return err
	}
	defer unlock()
	if err := s.stopUnit(ctx, name); err != nil {
		return fmt.Errorf("restart: %w", err)
	}
	return s.start(ctx, name)
}

// Reset stops the instance, empties its private upper and work directories
// and starts it again if it was running: everything the server wrote is gone,
// the configuration is staged afresh.
//
// NOTE: docs/lifecycle.md rule 11 — only a stop, a remove and a start: no
// retries, no lazy unmount. Rule 7 — the helper removed work/work when it
// unmounted, so the unprivileged remove succeeds.
func (s *Service) Reset(ctx context.Context, name string) error {
	unlock, err := s.lockExisting(ctx, name)
	if err != nil {
		return err
	}
	defer unlock()
	st, err := s.sup.Status(ctx, name)
	if err != nil {
		return fmt.Errorf("reset %s: %w", name, err)
	}
	wasRunning := active(st.State)
	if err := s.stopUnit(ctx, name); err != nil {
		return fmt.Errorf("reset: %w", err)
	}
	if err := s.checkUnmounted(name); err != nil {
		return fmt.Errorf("reset %s: %w", name, err)
	}
	for _, dir := range []string{s.root.Upper(name), s.root.Work(name)} {
		if err := os.RemoveAll(dir); err != nil {
			return fmt.Errorf("reset %s: %w", name, err)
		}
	}
	if err := s.ensureRuntime(name); err != nil {
		return fmt.Errorf("reset %s: %w", name, err)
	}
	s.log.Info("instance reset", "instance", name, "restart", wasRunning)
	if wasRunning {
		return s.start(ctx, name)
	}
	return nil
}

// Delete stops the instance and removes its files and record. Deleting
// again after a partial failure finishes the job.
func (s *Service) Delete(ctx context.Context, name string) error {
	unlock, err := s.lockExisting(ctx, name)
	if err != nil {
		return err
	}
	defer unlock()
	// First of all: a delete interrupted after this point (killed, a
	// failed remove) must not have the boot autostart bring back the
	// half-deleted instance (docs/lifecycle.md rule 9).
	if err := s.st.SetWantRunning(ctx, name, false); err != nil {
		return fmt.Errorf("delete %s: %w", name, err)
	}
	if err := s.stopUnit(ctx, name); err != nil {
		return fmt.Errorf("delete: %w", err)
	}
	if err := s.removeTree(name, s.root.Runtime(name)); err != nil {
		return fmt.Errorf("delete %s: %w", name, err)
	}
	if err := os.RemoveAll(s.root.Instance(name)); err != nil {
		return fmt.Errorf("delete %s: %w", name, err)
	}
	if err := s.st.DeleteInstance(ctx, name); err != nil {
		return mapStoreErr(name, 0, err)
	}
	s.log.Info("instance deleted", "instance", name)
	return nil
}

// Status returns the supervisor's view of an existing instance.
func (s *Service) Status(ctx context.Context, name string) (Status, error) {
	if _, err := s.record(ctx, name); err != nil {
		return Status{}, err
	}
	st, err := s.sup.Status(ctx, name)
	if err != nil {
		return Status{}, fmt.Errorf("status of %s: %w", name, err)
	}
	return st, nil
}

// ParallelOps is how many instances Autostart (and the CLI, given several
// names) works on at a time. Starts are bounded again, host-wide, by the
// start slots (slots.go); stops cost little and need no bound of their own
// (docs/lifecycle.md, "Many instances on one host").
const ParallelOps = 8

// Autostart starts every instance that was running (WantRunning) and whose
// autostart setting is on (the boot oneshot, docs/lifecycle.md rule 9),
// ParallelOps at a time. It
// tries them all and returns the joined errors of those that failed.
func (s *Service) Autostart(ctx context.Context) error {
	list, err := s.List(ctx)
	if err != nil {
		return err
	}
	var (
		mu   sync.Mutex
		errs []error
		wg   sync.WaitGroup
	)
	sem := make(chan struct{}, ParallelOps)
	for _, in := range list {
		if !in.WantRunning || !in.Autostart {
			continue
		}
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			if err := s.Start(ctx, in.Name); err != nil {
				s.log.Error("autostart failed", "instance", in.Name, "err", err)
				mu.Lock()
				errs = append(errs, err)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}
