package main

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/left4me/left4me/internal/events"
	"github.com/left4me/left4me/internal/instance"
	"github.com/left4me/left4me/internal/web"
)

// logCapInterval is how often the log files of running instances are
// capped where the panel sees their overlay (see
// instance.Service.CapRunningLogs); every instance is capped when it starts.
const logCapInterval = time.Hour

// startEvents runs the events recorder beside the panel until ctx is done:
// the UDP log listener when LOG_LISTENER_BIND is set, and always the
// console followers, so that events reach the feed whether or not the
// servers' UDP logs arrive (docs/srcds.md §8 "UDP logs").
func startEvents(ctx context.Context, wg *sync.WaitGroup, cfg Config, a *app, lg *slog.Logger) error {
	rec := events.NewRecorder(events.Config{Bind: cfg.LogListenerBind}, events.SourcesFunc(web.LogSources(a.svc)), a.store, lg)
	if cfg.LogListenerBind != "" {
		if err := rec.Listen(); err != nil {
			return fmt.Errorf("log listener %s: %w", cfg.LogListenerBind, err)
		}
	}
	wg.Go(func() {
		if err := rec.Run(ctx); err != nil && ctx.Err() == nil {
			lg.Error("log listener stopped", "err", err)
		}
	})
	wg.Go(func() { rec.FollowConsoles(ctx, a.logs, runningInstances(a.svc, a.sup), events.ConsoleConfig{}) })
	return nil
}

// instanceLister lists instances (the instance service).
type instanceLister interface {
	List(ctx context.Context) ([]instance.Instance, error)
}

// statusReader reports an instance's run state (the supervisor).
type statusReader interface {
	Status(ctx context.Context, name string) (instance.Status, error)
}

// runningInstances lists the instances whose servers run, for the console
// followers.
func runningInstances(svc instanceLister, states statusReader) events.RunningFunc {
	return func(ctx context.Context) ([]events.Running, error) {
		all, err := svc.List(ctx)
		if err != nil {
			return nil, err
		}
		var out []events.Running
		for _, in := range all {
			st, err := states.Status(ctx, in.Name)
			if err != nil || st.State != instance.Running {
				continue
			}
			out = append(out, events.Running{Name: in.Name, Since: st.Since})
		}
		return out, nil
	}
}

// capLogsPeriodically caps the log files of mounted instances every
// logCapInterval until ctx is done.
func capLogsPeriodically(ctx context.Context, svc *instance.Service, lg *slog.Logger) {
	t := time.NewTicker(logCapInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if err := svc.CapRunningLogs(ctx); err != nil && ctx.Err() == nil {
			lg.Warn("cap log files of running instances", "err", err)
		}
	}
}

// parseLogCap reads LEFT4ME_LOG_FILES (the newest log files kept per
// instance, default instance.DefaultLogFiles) and LEFT4ME_LOG_MIB (MiB of
// log files kept per instance, default instance.DefaultLogBytes).
func parseLogCap(getenv func(string) string) (instance.LogCap, error) {
	var c instance.LogCap
	if v := strings.TrimSpace(getenv("LEFT4ME_LOG_FILES")); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 100000 {
			return c, fmt.Errorf("LEFT4ME_LOG_FILES %q: want a number of files between 1 and 100000", v)
		}
		c.Files = n
	}
	if v := strings.TrimSpace(getenv("LEFT4ME_LOG_MIB")); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1<<20 {
			return c, fmt.Errorf("LEFT4ME_LOG_MIB %q: want a size in MiB between 1 and 1048576", v)
		}
		c.Bytes = int64(n) << 20
	}
	return c, nil
}
