package instance

import (
	"context"
	"fmt"
	"time"
)

// stopUnit asks the supervisor to stop name's unit and then checks what the
// stop left behind. systemd answers a stop job "done" even when the unit's
// ExecStopPost (the unmount, docs/lifecycle.md rules 1 and 3) failed or was
// killed by TimeoutStopSec=, leaving the unit failed and the overlay mounted:
// such a stop is reported as ErrStopFailed, with the unit's result, instead
// of success.
//
// An instance whose overlay is still mounted although its unit is not
// running (a previous stop failed) gets its unmount retried through the
// unit: a start (the helper's mount is idempotent, rule 7, so the existing
// mount is kept and instance.env is not rewritten) followed by a stop, whose
// ExecStopPost runs the unmount again. Nothing here unmounts by itself
// (rule 1).
func (s *Service) stopUnit(ctx context.Context, name string) error {
	began := time.Now()
	before, err := s.sup.Status(ctx, name)
	if err != nil {
		return fmt.Errorf("stop %s: %w", name, err)
	}
	if !active(before.State) && before.State != Stopping && isMountPoint(s.root.Merged(name)) {
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
	failedNow := after.State == Failed && !after.Since.Before(began.Truncate(time.Second))
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
