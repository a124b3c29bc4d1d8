package web

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/left4me/left4me/internal/instance"
	"github.com/left4me/left4me/internal/views"
)

// listCacheTTL bounds how long the instance lists reuse the instance
// records (with their launch files) and the owners' names: a change the
// panel did not make itself (a CLI command run beside it, a schedule's
// stop, the watchdog's mark) shows within it. Every change the panel makes
// (any request but GET or HEAD) and every start, stop or restart of the
// instance service drops the cache at once. An instance's state and live
// game state are never cached: they come from the supervisor and the live
// poller on every request.
const listCacheTTL = time.Second

// listCache keeps what Instances.List and the owners' names answered, so
// that a list request costs neither the database's instance and user
// queries nor two file reads per instance (instance.Service.List reads
// every instance's instance.env and autostart setting). Profiled on the
// benchmark's 100 instances (BenchmarkPanelLists) those were half of a
// list request's CPU.
type listCache struct {
	mu     sync.Mutex
	gen    uint64 // bumped by drop: a fill that began before does not store
	at     time.Time
	list   []instance.Instance
	owners views.Names
}

// drop forgets the cached lists.
func (c *listCache) drop() {
	c.mu.Lock()
	c.gen++
	c.list, c.owners = nil, nil
	c.mu.Unlock()
}

// instances answers every instance and the owners' names, from the cache
// while it is younger than listCacheTTL. The caller must not change the
// slices it gets.
func (s *Server) instances(ctx context.Context) ([]instance.Instance, views.Names, error) {
	c := &s.lists
	now := time.Now()
	c.mu.Lock()
	if !s.noListCache && c.list != nil && now.Sub(c.at) < listCacheTTL {
		list, owners := c.list, c.owners
		c.mu.Unlock()
		return list, owners, nil
	}
	gen := c.gen
	c.mu.Unlock()
	list, err := s.cfg.Instances.List(ctx)
	if err != nil {
		return nil, nil, err
	}
	owners, err := s.ownerNames(ctx)
	if err != nil {
		return nil, nil, err
	}
	c.mu.Lock()
	if c.gen == gen && !s.noListCache {
		c.list, c.owners, c.at = slices.Clip(list), owners, now
	}
	c.mu.Unlock()
	return list, owners, nil
}

// runChangeSource is the instance service's OnRunChange.
type runChangeSource interface {
	OnRunChange(fn func(name string))
}
