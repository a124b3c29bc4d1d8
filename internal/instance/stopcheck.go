package instance

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// stopUnit asks the supervisor to stop name's unit and then checks what the
// stop left behind. systemd answers a stop job "done" even when the unit's
// ExecStopPost (the unmount, docs/lifecycle.md rules 1 and 3) failed or was
// killed by TimeoutStopSec=, leaving the unit failed and the overlay mounted:
// such a stop is reported as ErrStopFailed, with the unit's result, instead
// of success.
//
// An instance whose previous stop failed (its unit failed and the kernel's
// work/work is still there, or an overlay left mounted in PID 1's namespace
// by an older left4me) gets the clean-up retried through the unit: a start
// (whose helper refuses to mount while the old overlay is still held, and
// otherwise cleans up and mounts afresh; instance.env is not rewritten)
// followed by a stop, whose ExecStopPost checks and cleans up again.
// Nothing here mounts or unmounts by itself (rule 1).
func (s *Service) stopUnit(ctx context.Context, name string) error {
	began := time.Now()
	before, err := s.sup.Status(ctx, name)
	if err != nil {
		return fmt.Errorf("stop %s: %w", name, err)
	}
	if !active(before.State) && before.State != Stopping && s.leftover(name, before.State) {
		s.log.Warn("overlay still mounted after an earlier stop; retrying the unmount through the unit", "instance", name)
		if err := s.sup.Start(ctx, name); err != nil {
			return fmt.Errorf("stop %s: retry the unmount (start the unit so that its stop unmounts): %w", name, err)
		}
	}
	if err := s.sup.Stop(ctx, name); err != nil {
		return fmt.Errorf("stop %s: %w", name, err)
	}
	after, err := s.sup.Status(ctx, name)
	if err != nil {
		return fmt.Errorf("stop %s: check the result: %w", name, err)
	}
	mounted := isMountPoint(s.root.Merged(name))
	// A unit that had already failed before this stop (a crash) and was not
	// touched by it keeps its state and time: that is not a failed stop.
	failedBefore := before.State == Failed && !after.Since.After(before.Since)
	failedNow := after.State == Failed && !failedBefore && !after.Since.Before(began.Truncate(time.Second))
	if !mounted && !failedNow {
		return nil
	}
	why := "the unit failed while stopping"
	if after.Result != "" {
		why += " (result: " + after.Result + ")"
	}
	if mounted {
		why += fmt.Sprintf("; the overlay is still mounted on %s", s.root.Merged(name))
	}
	s.log.Error("stop failed", "instance", name, "result", after.Result, "mounted", mounted)
	return fmt.Errorf("%w: %s: %s; see `journalctl -u left4me-server@%s`; stopping it again retries the unmount", ErrStopFailed, name, why, name)
}

// leftover reports what a failed stop leaves: an overlay mounted on merged/
// in this process's namespace (only an older left4me mounted there), or,
// for a failed unit, the kernel's work/work that the helper removes after a
// clean stop (docs/lifecycle.md rule 7).
func (s *Service) leftover(name string, st State) bool {
	if isMountPoint(s.root.Merged(name)) {
		return true
	}
	if st != Failed {
		return false
	}
	_, err := os.Lstat(filepath.Join(s.root.Work(name), "work"))
	return err == nil
}
