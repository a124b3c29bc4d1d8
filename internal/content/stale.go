package content

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/left4me/left4me/internal/layout"
	"github.com/left4me/left4me/internal/overlay"
)

// StaleLayer is a layer an instance is staged on while a newer generation
// of it exists.
type StaleLayer struct {
	// Parent is installations/ or overlays/<id>/.
	Parent string
	// Current is the generation named in instance.env, Newest the one the
	// next start would pick.
	Current, Newest string
}

// StaleInstance is an instance that would get newer layers on a restart.
type StaleInstance struct {
	Name   string
	Layers []StaleLayer
}

// Stale lists the instances whose instance.env names a generation that is
// no longer the newest of its layer (or of the installation), in name
// order: the ones a rolling restart would move.
func Stale(root layout.Root) ([]StaleInstance, error) {
	var out []StaleInstance
	err := eachInstanceEnv(root, func(name string, env overlay.Env) error {
		si := StaleInstance{Name: name}
		for _, dir := range env.LowerDirs {
			parent, gen := filepath.Dir(dir), filepath.Base(dir)
			newest, err := layout.Newest(parent)
			if err != nil {
				return err
			}
			if newest != "" && newest != gen {
				si.Layers = append(si.Layers, StaleLayer{Parent: parent, Current: gen, Newest: newest})
			}
		}
		if len(si.Layers) > 0 {
			out = append(out, si)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Restarter restarts one instance (*instance.Service).
type Restarter interface {
	Restart(ctx context.Context, name string) error
}

// RollingRestart restarts the named instances one after another, so that
// they move to the newest generations while the others keep serving. It
// stops at the first failure and returns it.
func RollingRestart(ctx context.Context, r Restarter, names []string, p Progress) error {
	for i, name := range names {
		if err := ctx.Err(); err != nil {
			return err
		}
		p.Progress(float64(i)/float64(len(names)), "restarting "+name)
		if err := r.Restart(ctx, name); err != nil {
			return fmt.Errorf("rolling restart stopped at %s (%d of %d): %w", name, i+1, len(names), err)
		}
		p.Logf("restarted %s", name)
	}
	p.Progress(1, fmt.Sprintf("restarted %d instances", len(names)))
	return nil
}
