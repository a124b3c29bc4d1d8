package systemd

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/left4me/left4me/internal/instance"
	"github.com/left4me/left4me/internal/layout"
)

// Usage reports the CPU time and memory of the instance's unit: the Service
// properties CPUUsageNSec (CPU time of the unit's cgroup since it started)
// and MemoryCurrent (bytes the cgroup holds). A unit systemd has not loaded
// (stopped) has instance.UnknownUsage, as has a property systemd does not
// account (it answers the largest uint64 then). Like Status it never loads
// a unit (bus.unit).
func (s *Supervisor) Usage(ctx context.Context, name string) (instance.Usage, error) {
	if err := layout.ValidateName(name); err != nil {
		return instance.UnknownUsage, err
	}
	unit := UnitName(name)
	b, err := s.connection(ctx)
	if err != nil {
		return instance.UnknownUsage, err
	}
	u, loaded, err := b.unit(ctx, unit)
	if err != nil {
		return instance.UnknownUsage, fmt.Errorf("usage of %s: %w", unit, err)
	}
	if !loaded || u.path == "" || u.load == "not-found" || u.active != "active" {
		return instance.UnknownUsage, nil
	}
	out := instance.UnknownUsage
	cpu, err := b.property(ctx, u.path, "org.freedesktop.systemd1.Service", "CPUUsageNSec")
	if err != nil {
		return instance.UnknownUsage, fmt.Errorf("CPU usage of %s: %w", unit, err)
	}
	if n, ok := cpu.(uint64); ok && n != math.MaxUint64 && n <= math.MaxInt64 {
		out.CPU = time.Duration(n)
	}
	mem, err := b.property(ctx, u.path, "org.freedesktop.systemd1.Service", "MemoryCurrent")
	if err != nil {
		return instance.UnknownUsage, fmt.Errorf("memory of %s: %w", unit, err)
	}
	if n, ok := mem.(uint64); ok && n != math.MaxUint64 && n <= math.MaxInt64 {
		out.Memory = int64(n)
	}
	return out, nil
}
