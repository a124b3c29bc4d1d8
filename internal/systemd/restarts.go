package systemd

import (
	"context"
	"fmt"

	"github.com/left4me/left4me/internal/layout"
)

// Restarts reports how often systemd has restarted the instance's unit on
// its own (Restart=on-failure after a crash): the Service property
// NRestarts, which a manual start sets back to 0. The panel's crash watch
// (internal/notify) reads it, since a restart after a crash may be over
// before anyone looks at the unit's state.
func (s *Supervisor) Restarts(ctx context.Context, name string) (uint32, error) {
	if err := layout.ValidateName(name); err != nil {
		return 0, err
	}
	unit := UnitName(name)
	b, err := s.connection(ctx)
	if err != nil {
		return 0, err
	}
	u, loaded, err := b.unit(ctx, unit)
	if err != nil {
		return 0, fmt.Errorf("restarts of %s: %w", unit, err)
	}
	if !loaded || u.path == "" || u.load == "not-found" {
		return 0, nil
	}
	v, err := b.property(ctx, u.path, "org.freedesktop.systemd1.Service", "NRestarts")
	if err != nil {
		return 0, fmt.Errorf("restarts of %s: %w", unit, err)
	}
	n, _ := v.(uint32)
	return n, nil
}
