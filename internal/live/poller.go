package live

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"
)

// Poller keeps a Snapshot per target, refreshed every Config.Interval and
// at once when told of a change: Changed (a start, stop or restart) and
// Kick (a player joined or left, a map started). One RCON connection is
// kept per target (an srcds.Session: dialled again when the server closed
// it, kept through map loads). Every snapshot carries the run of the
// server it belongs to (Snapshot.Run); a new run starts with none.
// It is safe for concurrent use.
type Poller struct {
	cfg      Config
	targets  TargetLister
	personas PersonaResolver
	log      *slog.Logger

	pass sync.Mutex // serialises refresh passes

	smu     sync.Mutex
	servers map[string]*server // guarded by smu; taken before mu

	mu    sync.RWMutex
	snaps map[string]Snapshot

	subMu sync.Mutex
	subs  map[chan struct{}]struct{}

	// Pending triggers, handled by Run's dispatcher.
	wake      chan struct{}        // a trigger is pending (capacity 1)
	kmu       sync.Mutex           // guards kicked, settle and relistNow
	kicked    map[string]bool      // poll once, now
	settle    map[string]time.Time // a new run: poll every SettleInterval until it answers or this deadline
	relistNow bool                 // Changed since the dispatcher last listed the targets
	polling   sync.WaitGroup       // the dispatcher's polls
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
		wake:     make(chan struct{}, 1),
		kicked:   make(map[string]bool),
		settle:   make(map[string]time.Time),
	}
}

// Run refreshes every Config.Interval, and polls the servers that Kick and
// Changed name as soon as they are named, until ctx is done; then it closes
// every connection. A failed pass is logged and the next one tried as
// usual.
func (p *Poller) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	wg.Go(func() { p.dispatch(ctx) })
	t := time.NewTicker(p.cfg.Interval)
	defer t.Stop()
	for {
		if err := p.Refresh(ctx); err != nil && ctx.Err() == nil {
			p.log.Warn("live state refresh failed", "err", err)
		}
		select {
		case <-ctx.Done():
			wg.Wait()
			p.polling.Wait()
			p.closeAll()
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
	servers, err := p.relist(ctx)
	if err != nil {
		return err
	}
	sem := make(chan struct{}, p.cfg.Concurrency)
	var wg sync.WaitGroup
	for _, srv := range servers {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			p.pollOne(ctx, srv, false)
		})
	}
	wg.Wait()
	if ctx.Err() != nil {
		return ctx.Err()
	}
	p.notify()
	return nil
}

// relist lists the targets, reconciles the servers with them and returns
// the servers now tracked.
func (p *Poller) relist(ctx context.Context) ([]*server, error) {
	targets, err := p.targets.Targets(ctx)
	if err != nil {
		return nil, fmt.Errorf("list live-state targets: %w", err)
	}
	return p.reconcile(targets), nil
}

// reconcile starts tracking new targets and forgets (closing connections
// of, and dropping the snapshots of) those no longer listed or whose
// address, password or run changed. It returns the servers tracked.
func (p *Poller) reconcile(targets []Target) []*server {
	want := make(map[string]Target, len(targets))
	for _, t := range targets {
		want[t.Name] = t
	}
	p.smu.Lock()
	defer p.smu.Unlock()
	var gone []string
	for name, srv := range p.servers {
		if t, ok := want[name]; !ok || !t.same(srv.target) {
			p.retireLocked(srv)
			gone = append(gone, name)
		}
	}
	if len(gone) > 0 {
		p.mu.Lock()
		for _, name := range gone {
			delete(p.snaps, name)
		}
		p.mu.Unlock()
	}
	out := make([]*server, 0, len(want))
	for name, t := range want {
		srv, ok := p.servers[name]
		if !ok {
			srv = newServer(t)
			p.servers[name] = srv
		}
		out = append(out, srv)
	}
	return out
}

// retireLocked forgets srv; its connection closes once no poll uses it.
func (p *Poller) retireLocked(srv *server) {
	delete(p.servers, srv.target.Name)
	go srv.close() // waits for a poll in flight (the session's lock)
}

// pollOne polls srv (one poll of a server at a time), adds personas and
// publishes the snapshot unless srv was retired meanwhile (a new run
// replaced it). triggered says it is not the periodic pass's poll: it
// tells subscribers at once and spares A2S when it was asked just now.
func (p *Poller) pollOne(ctx context.Context, srv *server, triggered bool) {
	srv.mu.Lock()
	p.poll(ctx, srv, triggered)
	if ctx.Err() == nil {
		p.decorate(ctx, srv)
	}
	snap := srv.snap
	srv.mu.Unlock()
	if ctx.Err() != nil {
		return
	}
	p.smu.Lock()
	published, changed := p.servers[srv.target.Name] == srv, false
	if published {
		p.mu.Lock()
		prev, had := p.snaps[snap.Name]
		changed = !had || prev.Online != snap.Online || prev.NotAnswering != snap.NotAnswering || !prev.UpdatedAt.Equal(snap.UpdatedAt)
		p.snaps[snap.Name] = snap
		p.mu.Unlock()
	}
	p.smu.Unlock()
	if changed && triggered {
		p.notify()
	}
}

// poll asks one server for its state and folds the answer (or the failure)
// into its snapshot. The caller holds srv.mu.
//
// NOTE: a map load stalls the server (no A2S, no RCON) for 10–30 s
// (docs/srcds.md §8). A failed poll keeps the last state, marked
// NotAnswering; only failures in a row spanning more than OfflineSpan make
// the server offline.
func (p *Poller) poll(ctx context.Context, srv *server, triggered bool) {
	started := time.Now()
	pctx, cancel := context.WithTimeout(ctx, p.cfg.Timeout)
	defer cancel()
	st, err := srv.query(pctx, triggered)
	now := time.Now()
	prev := srv.snap
	if err == nil {
		st.Name = srv.target.Name
		st.Run = srv.target.Run
		st.Online = true
		st.UpdatedAt = now
		st.PolledAt, st.RCONErr, st.A2SErr = now, srv.rconErr, srv.a2sErr
		st.PollDuration = now.Sub(started)
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
	next.PollDuration = now.Sub(started)
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

// decorate adds Steam personas to the human players of srv's snapshot.
// The caller holds srv.mu.
func (p *Poller) decorate(ctx context.Context, srv *server) {
	if p.personas == nil {
		return
	}
	var ids []uint64
	for _, pl := range srv.snap.Players {
		if pl.SteamID64 != 0 && pl.PersonaName == "" {
			ids = append(ids, pl.SteamID64)
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
	// Copy: the previous slice may be shared with a published snapshot.
	players := append([]Player(nil), srv.snap.Players...)
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

// Snapshot returns the last published state of the named target; false when
// it is not (or not yet) polled, or its run ended (Changed).
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
// change — a refresh pass, a triggered poll, a Changed — (coalesced: a slow
// reader sees one pending notification, never blocks the poller) and a
// function that ends the subscription.
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
	p.smu.Lock()
	defer p.smu.Unlock()
	for _, srv := range p.servers {
		srv.close()
	}
}
