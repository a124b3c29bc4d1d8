package main

import (
	"context"
	"log/slog"

	"github.com/left4me/left4me/internal/live"
	"github.com/left4me/left4me/internal/watchdog"
)

// newWatchdog builds the panel's watchdog over the live poller's probes
// and the console followers' lines (eventParts passes them on through
// ConsoleLine): it restarts frozen servers through the instance service.
// It notifies webhooks (instance.frozen) and records its restarts in the
// audit log as "watchdog".
func newWatchdog(cfg Config, a *app, poller *live.Poller, lg *slog.Logger) *watchdog.Watchdog {
	return watchdog.New(watchdog.Config{Grace: cfg.WatchdogGrace, Logger: lg}, watchdog.Deps{
		Instances: a.svc, States: a.sup, Polls: poller, Logs: a.logs, Store: a.store,
		Notifier: a.notify, Auditor: a.audit,
	})
}

// watchdogPart is the watchdog as a part of the panel.
func watchdogPart(wd *watchdog.Watchdog) part {
	return part{"watchdog", func(ctx context.Context) error { return wd.Run(ctx) }}
}
