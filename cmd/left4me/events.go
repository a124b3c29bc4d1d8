package main

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/left4me/left4me/internal/events"
	"github.com/left4me/left4me/internal/instance"
	"github.com/left4me/left4me/internal/systemd"
	"github.com/left4me/left4me/internal/web"
)

// logCapInterval is how often the log files of running instances are
// capped where the panel sees their overlay (see
// instance.Service.CapRunningLogs); every instance is capped when it starts.
const logCapInterval = time.Hour

// The journal reads every instance's console from one journalctl process
// (FollowConsoles uses a ConsoleStream when the log reader is one).
var _ events.ConsoleStream = (*systemd.Journal)(nil)

// eventParts are the events recorder's parts of the panel: the recorder
// (with the UDP log listener when LOG_LISTENER_BIND is set, bound here so
// that a taken port stops the panel before it starts) and always the
// console followers, so that events reach the feed whether or not the
// servers' UDP logs arrive (docs/srcds.md §8 "UDP logs"). A recorder that
// fails is logged; the panel runs on without it. observe, when set,
// receives every new console line (the watchdog's ConsoleLine); onEvent,
// when set, every event (web.PollOnEvent).
func eventParts(cfg Config, a *app, lg *slog.Logger, observe func(name, line string), onEvent func(events.Event)) ([]part, error) {
	rec := events.NewRecorder(events.Config{Bind: cfg.LogListenerBind, OnEvent: onEvent}, events.SourcesFunc(web.LogSources(a.svc)), a.store, lg)
	if cfg.LogListenerBind != "" {
		if err := rec.Listen(); err != nil {
			return nil, fmt.Errorf("log listener %s: %w", cfg.LogListenerBind, err)
		}
	}
	return []part{
		{"events recorder", func(ctx context.Context) error {
			if err := rec.Run(ctx); err != nil && ctx.Err() == nil {
				lg.Error("log listener stopped", "err", err)
			}
			return nil
		}},
		{"console followers", func(ctx context.Context) error {
			rec.FollowConsoles(ctx, a.logs, runningInstances(a.svc, a.sup), events.ConsoleConfig{Observe: observe})
			return nil
		}},
	}, nil
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
