package systemd

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/left4me/left4me/internal/instance"
	"github.com/left4me/left4me/internal/layout"
)

// Usage reports the CPU time and memory of the instance's unit: the Service
// properties CPUUsageNSec (CPU time of the unit's cgroup since it started)
// and MemoryCurrent (bytes the cgroup holds). Where systemd does not
// account one (it answers the largest uint64 then), the unit's cgroup v2
// files tell (cpu.stat, memory.current; ControlGroup names the directory),
// and without a memory controller the resident memory of its processes.
// A unit systemd has not loaded (stopped) has instance.UnknownUsage. Like
// Status it never loads a unit (bus.unit).
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
	cpu, cerr := b.property(ctx, u.path, "org.freedesktop.systemd1.Service", "CPUUsageNSec")
	if n, ok := cpu.(uint64); cerr == nil && ok && n != math.MaxUint64 && n <= math.MaxInt64 {
		out.CPU = time.Duration(n)
	}
	mem, merr := b.property(ctx, u.path, "org.freedesktop.systemd1.Service", "MemoryCurrent")
	if n, ok := mem.(uint64); merr == nil && ok && n != math.MaxUint64 && n <= math.MaxInt64 {
		out.Memory = int64(n)
	}
	if out.CPU >= 0 && out.Memory >= 0 {
		return out, nil
	}
	// systemd answers "unknown" when the unit's accounting is off (or it
	// runs where the controllers are not delegated): read the unit's
	// cgroup (v2) files, which the kernel keeps regardless.
	cg, err := b.property(ctx, u.path, "org.freedesktop.systemd1.Service", "ControlGroup")
	if path, ok := cg.(string); err == nil && ok && path != "" {
		fromCgroup(s.cgroupRoot(), path, &out)
	}
	if out == instance.UnknownUsage {
		if err := errors.Join(cerr, merr); err != nil {
			return out, fmt.Errorf("usage of %s: %w", unit, err)
		}
	}
	return out, nil
}

// cgroupRoot is where the cgroup v2 hierarchy is mounted.
func (s *Supervisor) cgroupRoot() string {
	if s.cgroupDir != "" {
		return s.cgroupDir
	}
	return "/sys/fs/cgroup"
}

// fromCgroup fills the unknown fields of u from the cgroup v2 directory
// root+path: cpu.stat's usage_usec and memory.current.
func fromCgroup(root, path string, u *instance.Usage) {
	dir := filepath.Join(root, filepath.Clean("/"+path))
	if u.CPU < 0 {
		if b, err := os.ReadFile(filepath.Join(dir, "cpu.stat")); err == nil {
			for line := range strings.Lines(string(b)) {
				if v, ok := strings.CutPrefix(line, "usage_usec "); ok {
					if n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64); err == nil {
						u.CPU = time.Duration(n) * time.Microsecond
					}
				}
			}
		}
	}
	if u.Memory < 0 {
		if b, err := os.ReadFile(filepath.Join(dir, "memory.current")); err == nil {
			if n, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64); err == nil {
				u.Memory = n
			}
		}
	}
	if u.Memory < 0 {
		// No memory controller in this cgroup (a container that does not
		// delegate it): the resident memory of the cgroup's processes.
		u.Memory = residentOf(dir, procDir)
	}
}

// procDir is where residentOf reads processes' statm.
const procDir = "/proc"

// residentOf sums the resident memory (statm's second field, in pages) of
// the processes cgroup.procs in dir lists; -1 when it lists none readable.
func residentOf(dir, proc string) int64 {
	b, err := os.ReadFile(filepath.Join(dir, "cgroup.procs"))
	if err != nil {
		return -1
	}
	total, found := int64(0), false
	for _, pid := range strings.Fields(string(b)) {
		statm, err := os.ReadFile(filepath.Join(proc, pid, "statm"))
		if err != nil {
			continue // gone meanwhile, or hidden from this process
		}
		f := strings.Fields(string(statm))
		if len(f) < 2 {
			continue
		}
		if n, err := strconv.ParseInt(f[1], 10, 64); err == nil {
			total, found = total+n*int64(os.Getpagesize()), true
		}
	}
	if !found {
		return -1
	}
	return total
}
