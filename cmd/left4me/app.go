package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"os"
	"path/filepath"

	"github.com/left4me/left4me/internal/audit"
	"github.com/left4me/left4me/internal/bans"
	"github.com/left4me/left4me/internal/instance"
	"github.com/left4me/left4me/internal/jobs"
	"github.com/left4me/left4me/internal/notify"
	"github.com/left4me/left4me/internal/process"
	"github.com/left4me/left4me/internal/store"
	"github.com/left4me/left4me/internal/systemd"
)

// app wires left4me's subsystems together; only commands build one.
type app struct {
	cfg   Config
	log   *slog.Logger
	store *store.Store
	// sup runs instances; logs reads their consoles. With
	// LEFT4ME_SUPERVISOR=process both are proc.
	sup  instance.Supervisor
	logs instance.LogReader
	svc  *instance.Service
	// proc is the process supervisor, nil with systemd. Its servers are
	// children of this process and stop when Close is called.
	proc *process.Supervisor
	// sd is the systemd supervisor, nil with process.
	sd *systemd.Supervisor
	// jobs is the background job queue, the process's only one. Every
	// command can enqueue and inspect jobs; only the panel runs its workers
	// (a part of servePanel).
	jobs *jobs.Manager
	// notify sends events to webhooks (enqueued as jobs the panel's
	// workers deliver); audit records who changed what.
	notify *notify.Service
	audit  *audit.Log
	// publicHost is the host of "connect HOST:PORT" (Config.publicHost),
	// found once.
	publicHost string
}

// openApp opens the database (creating the state root and database when
// missing) and builds the supervisor and the instance service. Nothing
// talks to systemd until an instance operation needs it.
func openApp(ctx context.Context, cfg Config) (*app, error) {
	lg := cfg.Logger
	if lg == nil {
		lg = slog.New(slog.DiscardHandler)
	}
	if _, err := os.Stat(cfg.Root.String()); errors.Is(err, os.ErrNotExist) {
		if err := cfg.Root.Create(0o750); err != nil {
			return nil, err
		}
	}
	if err := os.MkdirAll(filepath.Dir(cfg.DatabasePath), 0o750); err != nil {
		return nil, fmt.Errorf("create database directory: %w", err)
	}
	st, err := store.Open(ctx, cfg.DatabasePath)
	if err != nil {
		return nil, err
	}
	a := &app{cfg: cfg, log: lg, store: st, publicHost: cfg.publicHost()}
	// Webhook deliveries have a queue of their own (notify.DeliveryQueue).
	jc := cfg.Jobs
	jc.Queues = maps.Clone(jc.Queues)
	if jc.Queues == nil {
		jc.Queues = map[string]int{}
	}
	jc.Queues[notify.DeliveryQueue] = notify.QueueWorkers
	if a.jobs, err = jobs.New(ctx, st.DB(), jc, lg); err != nil {
		st.Close()
		return nil, err
	}
	a.notify = notify.New(notify.Config{AllowLoopback: cfg.WebhookAllowLoopback, Logger: lg}, st, a.jobs)
	a.audit = audit.New(st, audit.Config{Retention: cfg.AuditRetention, Logger: lg})
	switch cfg.Supervisor {
	case supervisorProcess:
		a.proc = process.New(process.Config{Root: cfg.Root, Logger: lg, Env: cfg.Environ})
		a.sup, a.logs = a.proc, a.proc
	default:
		a.sd = systemd.NewSupervisor()
		a.sup, a.logs = a.sd, &systemd.Journal{Namespace: cfg.JournalNamespace}
	}
	a.svc = instance.NewService(instance.Config{
		Root:       cfg.Root,
		PortMin:    cfg.PortMin,
		PortMax:    cfg.PortMax,
		LogAddress: cfg.LogListenerAddr,
		LogCap:     cfg.LogCap,
		Logger:     lg,
		Notifier:   a.notify,
		Bans:       bans.Stager{Store: st},
	}, st, a.sup)
	return a, nil
}

// Close stops servers run as children (process supervisor) and closes the
// database and the bus connection.
func (a *app) Close(ctx context.Context) error {
	var errs []error
	if a.jobs != nil {
		errs = append(errs, a.jobs.Stop(ctx))
	}
	if a.proc != nil {
		errs = append(errs, a.proc.Shutdown(ctx))
	}
	if a.sd != nil {
		errs = append(errs, a.sd.Close())
	}
	errs = append(errs, a.store.Close())
	return errors.Join(errs...)
}
