package live

import (
	"context"
	"time"
)

// Poll triggers: the periodic pass alone shows a change only up to
// Config.Interval late, and after a restart it would show the previous
// run's players until the new run answers. Kick and Changed poll at once.

// relistGap is the least time between two target listings the dispatcher
// makes for settling servers that are not targets yet.
const relistGap = time.Second

// missingRelists is how many listings in a row may miss a settling name
// before it stops settling (it was stopped, or never came up).
const missingRelists = 3

// Kick asks for a poll of the named server now, outside the periodic
// pass: a player connected or left, a map started (the servers' log
// events). It never blocks; kicks that arrive while one is pending or
// its poll runs make one more poll. A name that is not a target is
// ignored.
func (p *Poller) Kick(name string) {
	p.kmu.Lock()
	p.kicked[name] = true
	p.kmu.Unlock()
	p.signal()
}

// Changed says that the named server's run changed or is changing: a
// start, stop, restart or reset. Its snapshot is dropped at once and
// subscribers told; then the targets are listed again and, while it runs,
// it is polled every Config.SettleInterval until it answers (for at most
// Config.SettleFor). It never blocks.
func (p *Poller) Changed(name string) {
	p.smu.Lock()
	if srv, ok := p.servers[name]; ok {
		p.retireLocked(srv)
	}
	p.mu.Lock()
	delete(p.snaps, name)
	p.mu.Unlock()
	p.smu.Unlock()
	p.kmu.Lock()
	p.settle[name] = time.Now().Add(p.cfg.SettleFor)
	p.relistNow = true
	p.kmu.Unlock()
	p.notify()
	p.signal()
}

func (p *Poller) signal() {
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

// dispatch runs the triggered polls until ctx is done.
func (p *Poller) dispatch(ctx context.Context) {
	tick := time.NewTicker(p.cfg.SettleInterval)
	defer tick.Stop()
	var lastList time.Time
	missing := make(map[string]int)
	for {
		select {
		case <-ctx.Done():
			return
		case <-p.wake:
		case <-tick.C:
		}
		p.kmu.Lock()
		kicked, relist := p.kicked, p.relistNow
		p.kicked, p.relistNow = make(map[string]bool), false
		now := time.Now()
		var settling []string
		for name, deadline := range p.settle {
			if now.After(deadline) {
				delete(p.settle, name)
				continue
			}
			settling = append(settling, name)
		}
		p.kmu.Unlock()
		if len(kicked) == 0 && len(settling) == 0 {
			continue
		}
		if !relist && now.Sub(lastList) >= relistGap {
			for _, name := range settling {
				if p.server(name) == nil {
					relist = true
					break
				}
			}
		}
		if relist {
			lastList = now
			if _, err := p.relist(ctx); err != nil {
				if ctx.Err() != nil {
					return
				}
				p.log.Warn("live state: list targets", "err", err)
			}
			for _, name := range settling {
				if p.server(name) != nil {
					delete(missing, name)
				} else if missing[name]++; missing[name] >= missingRelists {
					delete(missing, name)
					p.settled(name)
				}
			}
		}
		for _, name := range settling {
			srv := p.server(name)
			if srv == nil {
				continue
			}
			if snap, ok := p.Snapshot(name); ok && snap.Online && snap.Run.Equal(srv.target.Run) {
				p.settled(name)
				continue
			}
			kicked[name] = true
		}
		for name := range kicked {
			if srv := p.server(name); srv != nil {
				p.pollAsync(ctx, srv)
			}
		}
	}
}

// settled ends the settling of name.
func (p *Poller) settled(name string) {
	p.kmu.Lock()
	delete(p.settle, name)
	p.kmu.Unlock()
}

// server is the tracked server of name, or nil.
func (p *Poller) server(name string) *server {
	p.smu.Lock()
	defer p.smu.Unlock()
	return p.servers[name]
}

// pollAsync polls srv in a goroutine of its own, or, when such a poll
// runs already, makes it poll once more when done.
func (p *Poller) pollAsync(ctx context.Context, srv *server) {
	srv.tmu.Lock()
	defer srv.tmu.Unlock()
	if srv.busy {
		srv.again = true
		return
	}
	srv.busy = true
	p.polling.Go(func() {
		for {
			p.pollOne(ctx, srv, true)
			srv.tmu.Lock()
			if !srv.again || ctx.Err() != nil {
				srv.busy, srv.again = false, false
				srv.tmu.Unlock()
				return
			}
			srv.again = false
			srv.tmu.Unlock()
		}
	})
}
