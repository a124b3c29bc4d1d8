package live

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"
)

// Poller keeps a Snapshot per target, refreshed every Config.Interval. One
// RCON connection is kept per target (an srcds.Session: dialled again when
// the server closed it, kept through map loads).
// It is safe for concurrent use.
type Poller struct {
	cfg      Config
	targets  TargetLister
	personas PersonaResolver
	log      *slog.Logger

	pass    sync.Mutex         // serialises refresh passes
	servers map[string]*server // guarded by pass

	mu    sync.RWMutex
	snaps map[string]Snapshot

	subMu sync.Mutex
	subs  map[chan struct{}]struct{}
}

// NewPoller returns a poller over the servers targets lists. personas may be
// nil (no Steam API key): players then keep their in-game names only. A nil
// logger discards logs.
func NewPoller(cfg Config, targets TargetLister, personas PersonaResolver, logger *slog.Logger) *Poller {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Poller{
		cfg:      cfg.withDefaults(),
		targets:  targets,
		personas: personas,
		log:      logger,
		servers:  make(map[string]*server),
		snaps:    make(map[string]Snapshot),
		subs:     make(map[chan struct{}]struct{}),
	}
}

// Run refreshes every Config.Interval until ctx is done, then closes every
// connection. A failed pass is logged and the next one tried as usual.
func (p *Poller) Run(ctx context.Context) error {
	t := time.NewTicker(p.cfg.Interval)
	defer t.Stop()
	defer p.closeAll()
	for {
		if err := p.Refresh(ctx); err != nil && ctx.Err() == nil {
			p.log.Warn("live state refresh failed", "err", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// Refresh polls every target once, concurrently (at most
// Config.Concurrency at a time), and publishes the new snapshots. A server
// that does not answer is recorded in its snapshot, not returned; the error
// is for failing to list the targets.
func (p *Poller) Refresh(ctx context.Context) error {
	p.pass.Lock()
	defer p.pass.Unlock()
	targets, err := p.targets.Targets(ctx)
	if err != nil {
		return fmt.Errorf("list live-state targets: %w", err)
	}
	p.reconcile(targets)

	sem := make(chan struct{}, p.cfg.Concurrency)
	var wg sync.WaitGroup
	for _, srv := range p.servers {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			p.poll(ctx, srv)
		}()
	}
	wg.Wait()
	if ctx.Err() != nil {
		return ctx.Err()
	}
	p.decorate(ctx)

	snaps := make(map[string]Snapshot, len(p.servers))
	for name, srv := range p.servers {
		snaps[name] = srv.snap
	}
	p.mu.Lock()
	p.snaps = snaps
	p.mu.Unlock()
	p.notify()
	return nil
}

// reconcile starts tracking new targets and forgets (closing connections
// of) those no longer listed or whose address or password changed.
func (p *Poller) reconcile(targets []Target) {
	want := make(map[string]Target, len(targets))
	for _, t := range targets {
		want[t.Name] = t
	}
	for name, srv := range p.servers {
		if t, ok := want[name]; !ok || t != srv.target {
			srv.close()
			delete(p.servers, name)
		}
	}
	for name, t := range want {
		if _, ok := p.servers[name]; !ok {
			p.servers[name] = newServer(t)
		}
	}
}

// poll asks one server for its state and folds the answer (or the failure)
// into its snapshot.
//
// NOTE: a map load stalls the server (no A2S, no RCON) for 10–30 s
// (docs/srcds.md §8). A failed poll keeps the last state, marked
// NotAnswering; only failures in a row spanning more than OfflineSpan make
// the server offline.
func (p *Poller) poll(ctx context.Context, srv *server) {
	started := time.Now()
	pctx, cancel := context.WithTimeout(ctx, p.cfg.Timeout)
	defer cancel()
	st, err := srv.query(pctx)
	now := time.Now()
	prev := srv.snap
	if err == nil {
		st.Name = srv.target.Name
		st.Online = true
		st.UpdatedAt = now
		st.PolledAt, st.RCONErr, st.A2SErr = now, srv.rconErr, srv.a2sErr
		srv.snap = st
		srv.failingSince = time.Time{}
		if !prev.Online && prev.Failures > 0 {
			p.log.Info("server answers again", "instance", srv.target.Name, "after_failures", prev.Failures)
		}
		return
	}
	if ctx.Err() != nil {
		return // shutting down: not the server's fault
	}
	if srv.failingSince.IsZero() {
		srv.failingSince = started
	}
	next := prev
	next.Failures++
	next.Err = err.Error()
	next.PolledAt, next.RCONErr, next.A2SErr = now, srv.rconErr, srv.a2sErr
	next.NotAnswering = true
	if next.Online && next.Failures >= p.cfg.OfflineAfter && now.Sub(srv.failingSince) > p.cfg.OfflineSpan {
		p.log.Warn("server offline", "instance", srv.target.Name, "failures", next.Failures,
			"since", srv.failingSince.Format(time.RFC3339), "err", err)
		next.Online = false
	}
	if !next.Online {
		next.Players, next.Humans, next.Bots, next.Hibernating = nil, 0, 0, false
	}
	srv.snap = next
}

// decorate adds Steam personas to the human players of every snapshot.
func (p *Poller) decorate(ctx context.Context) {
	if p.personas == nil {
		return
	}
	var ids []uint64
	for _, srv := range p.servers {
		for _, pl := range srv.snap.Players {
			if pl.SteamID64 != 0 {
				ids = append(ids, pl.SteamID64)
			}
		}
	}
	if len(ids) == 0 {
		return
	}
	rctx, cancel := context.WithTimeout(ctx, p.cfg.Timeout)
	defer cancel()
	found, err := p.personas.Personas(rctx, ids)
	if err != nil && !errors.Is(err, context.Canceled) {
		p.log.Warn("steam personas", "err", err)
	}
	for _, srv := range p.servers {
		players := srv.snap.Players
		if len(players) == 0 {
			continue
		}
		// Copy: the previous slice may be shared with a published snapshot.
		players = append([]Player(nil), players...)
		for i := range players {
			if per, ok := found[players[i].SteamID64]; ok && players[i].SteamID64 != 0 {
				players[i].PersonaName = per.Name
				players[i].AvatarURL = per.AvatarMedium
				if players[i].AvatarURL == "" {
					players[i].AvatarURL = per.Avatar
				}
				players[i].ProfileURL = per.ProfileURL
			}
		}
		srv.snap.Players = players
	}
}

// Snapshot returns the last published state of the named target; false when
// it is not (or not yet) polled.
func (p *Poller) Snapshot(name string) (Snapshot, bool) {
	p.mu.RLock()
	defer p.mu.RUnlock()
	s, ok := p.snaps[name]
	return s, ok
}

// Snapshots returns the last published state of every target.
func (p *Poller) Snapshots() map[string]Snapshot {
	p.mu.RLock()
	defer p.mu.RUnlock()
	out := make(map[string]Snapshot, len(p.snaps))
	for k, v := range p.snaps {
		out[k] = v
	}
	return out
}

// Subscribe returns a channel that receives a value after each published
// refresh (coalesced: a slow reader sees one pending notification, never
// blocks the poller) and a function that ends the subscription.
func (p *Poller) Subscribe() (<-chan struct{}, func()) {
	ch := make(chan struct{}, 1)
	p.subMu.Lock()
	p.subs[ch] = struct{}{}
	p.subMu.Unlock()
	var once sync.Once
	return ch, func() {
		once.Do(func() {
			p.subMu.Lock()
			delete(p.subs, ch)
			p.subMu.Unlock()
		})
	}
}

func (p *Poller) notify() {
	p.subMu.Lock()
	defer p.subMu.Unlock()
	for ch := range p.subs {
		select {
		case ch <- struct{}{}:
		default:
		}
	}
}

func (p *Poller) closeAll() {
	p.pass.Lock()
	defer p.pass.Unlock()
	for _, srv := range p.servers {
		srv.close()
	}
}
