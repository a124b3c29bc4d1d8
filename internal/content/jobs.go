package content

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/left4me/left4me/internal/canary"
	"github.com/left4me/left4me/internal/jobs"
	"github.com/left4me/left4me/internal/steamcmd"
	"github.com/left4me/left4me/internal/store"
)

// Job kinds of the content pipeline.
const (
	// KindInstall installs or updates the game (InstallArgs).
	KindInstall = "install"
	// KindOverlayBuild builds a script layer (BuildArgs).
	KindOverlayBuild = "overlay_build"
	// KindGC garbage-collects generations and build directories (no
	// args); schedule it with a jobs.Periodic entry.
	KindGC = "content_gc"
)

// InstallArgs are the arguments of a KindInstall job.
type InstallArgs struct {
	Validate bool `json:"validate,omitempty"`
	// Canary names an instance that tries a newly published generation
	// first (internal/canary): the current default stays the default of
	// every other start until it passes.
	Canary string `json:"canary,omitempty"`
}

// BuildArgs are the arguments of a KindOverlayBuild job.
type BuildArgs struct {
	LayerID string `json:"layer_id"`
}

// RegisterJobs registers the content job kinds with m. runner returns the
// steamcmd runner installs use (it may fail, e.g. when steamcmd cannot be
// found: that fails the job for good).
func RegisterJobs(m *jobs.Manager, svc *Service, runner func(ctx context.Context) (steamcmd.Runner, error)) error {
	err := m.Register(KindInstall, func(ctx context.Context, run *jobs.Run) error {
		var a InstallArgs
		if err := run.Args(&a); err != nil {
			return jobs.Permanent(fmt.Errorf("install arguments: %w", err))
		}
		r, err := runner(ctx)
		if err != nil {
			return jobs.Permanent(err)
		}
		res, err := svc.InstallHolding(ctx, r, a.Validate, a.Canary != "", run.UserID(), run)
		if err != nil {
			if errors.Is(err, ErrBusy) {
				return jobs.Transient(err)
			}
			return err // steamcmd failures are often network trouble: retried
		}
		if res.UpToDate {
			run.Logf("build %s was already installed", res.BuildID)
			return nil
		}
		if a.Canary != "" {
			id, _, err := canary.Enqueue(ctx, m, canary.Args{Instance: a.Canary, Generation: res.Generation}, run.UserID())
			if err != nil {
				return jobs.Permanent(fmt.Errorf("generation %s is published but held back; queue its canary on %s: %w", res.Generation, a.Canary, err))
			}
			run.Logf("queued the canary on %s (job %d): the other instances stay on %s until it passes", a.Canary, id, res.Previous)
		}
		return nil
	}, jobs.KindOptions{MaxAttempts: 3, Timeout: 3 * time.Hour})
	if err != nil {
		return err
	}
	err = m.Register(KindOverlayBuild, func(ctx context.Context, run *jobs.Run) error {
		var a BuildArgs
		if err := run.Args(&a); err != nil {
			return jobs.Permanent(fmt.Errorf("build arguments: %w", err))
		}
		_, err := svc.Build(ctx, a.LayerID, run.UserID(), run)
		if errors.Is(err, ErrInvalid) || errors.Is(err, store.ErrNotFound) {
			return jobs.Permanent(err)
		}
		return err
	}, jobs.KindOptions{MaxAttempts: 2, Timeout: DefaultBuildTimeout + 5*time.Minute})
	if err != nil {
		return err
	}
	return m.Register(KindGC, func(ctx context.Context, run *jobs.Run) error {
		removed, err := svc.GC(ctx)
		for _, r := range removed {
			run.Logf("removed %s", r)
		}
		for _, prune := range svc.cfg.Prune {
			line, perr := prune(ctx)
			if perr != nil {
				err = errors.Join(err, perr)
				continue
			}
			run.Logf("%s", line)
		}
		run.Progress(1, fmt.Sprintf("removed %d directories", len(removed)))
		return err
	}, jobs.KindOptions{MaxAttempts: 1, Timeout: time.Hour})
}

// GC runs GC over the service's state root with the configured grace.
func (s *Service) GC(ctx context.Context) ([]string, error) {
	return GC(ctx, s.root, GCOptions{Grace: s.cfg.Grace, Now: s.now()})
}

// EnqueueInstall queues a KindInstall job on behalf of userID (0: the
// system) unless one with the same arguments is already queued or running,
// whose id is then returned with duplicate set.
func EnqueueInstall(ctx context.Context, m *jobs.Manager, args InstallArgs, userID int64) (id int64, duplicate bool, err error) {
	return m.Enqueue(ctx, KindInstall, args, jobs.EnqueueOpts{UserID: userID, Unique: true})
}

// EnqueueBuild queues a KindOverlayBuild job of layer layerID on behalf of
// userID (0: the system) unless a build of that layer is already queued or
// running, whose id is then returned with duplicate set.
func EnqueueBuild(ctx context.Context, m *jobs.Manager, layerID string, userID int64) (id int64, duplicate bool, err error) {
	return m.Enqueue(ctx, KindOverlayBuild, BuildArgs{LayerID: layerID}, jobs.EnqueueOpts{UserID: userID, Unique: true})
}
