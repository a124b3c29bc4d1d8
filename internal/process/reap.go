package process

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/left4me/left4me/internal/instance"
	"github.com/left4me/left4me/internal/overlay"
	"github.com/left4me/left4me/internal/process/orphan"
)

// Reap clears what a panel that died left behind on the state root
// (docs/lifecycle.md, "Children of a dead panel"); a panel calls it once
// when it starts, before it starts anything. It kills the processes marked
// with this state root whose owner no longer runs (servers, and build
// scripts of content.DevSandbox), then, as root, unmounts the overlays still
// mounted under runtime/*/merged in this mount namespace, where the root
// mode mounts them (an overlay of the user-namespace mode lives in the
// server's own namespace and went with its processes). Instances whose
// processes belong to another live left4me, or that run under this
// Supervisor, are left alone.
func (s *Supervisor) Reap(ctx context.Context) error {
	root := s.cfg.Root
	procs, err := orphan.Reap(ctx, root.String())
	if err != nil {
		return err
	}
	busy := map[string]bool{}
	for _, p := range procs {
		if p.Live {
			busy[p.Name] = true
			s.log.Warn("leaves a process of another running left4me alone", "pid", p.PID, "name", p.Name)
			continue
		}
		s.log.Info("killed a process left by a panel that died", "pid", p.PID, "name", p.Name)
	}
	s.mu.Lock()
	for name, p := range s.proc {
		if p.state == instance.Running || p.state == instance.Starting || p.state == instance.Stopping {
			busy[name] = true
		}
	}
	s.mu.Unlock()

	entries, err := os.ReadDir(root.Runtimes())
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("reap: list %s: %w", root.Runtimes(), err)
	}
	var errs []error
	for _, e := range entries {
		name := e.Name()
		if !e.IsDir() || busy[name] || strings.HasPrefix(name, ".") {
			continue
		}
		mounted, err := overlay.IsMounted(root.Merged(name))
		if err != nil || !mounted {
			continue // no merged directory, or nothing on it
		}
		if os.Geteuid() != 0 {
			errs = append(errs, fmt.Errorf("reap: %s is mounted and only root can unmount it", root.Merged(name)))
			continue
		}
		if err := s.unmount(name); err != nil {
			errs = append(errs, fmt.Errorf("reap: unmount the overlay a dead panel left on %s: %w", root.Merged(name), err))
			continue
		}
		s.log.Info("unmounted an overlay left by a panel that died", "instance", name)
	}
	return errors.Join(errs...)
}
