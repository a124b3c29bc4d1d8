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
// Notifications and the audit log are wired by whoever builds them
// (watchdog.Deps.Notifier, Auditor); without them nothing is sent.
func newWatchdog(cfg Config, a *app, poller *live.Poller, lg *slog.Logger) *watchdog.Watchdog {
	return watchdog.New(watchdog.Config{Grace: cfg.WatchdogGrace, Logger: lg}, watchdog.Deps{
		Instances: a.svc, States: a.sup, Polls: poller, Logs: a.logs, Store: a.store,
	})
}

// watchdogPart is the watchdog as a part of the panel.
func watchdogPart(wd *watchdog.Watchdog) part {
	return part{"watchdog", func(ctx context.Context) error { return wd.Run(ctx) }}
}
