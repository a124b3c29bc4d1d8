// Package workshop adds Steam Workshop items to left4me: it reads their
// details from the Steam Web API (ISteamRemoteStorage, no key needed),
// downloads each item's .vpk once per revision into
// workshop/<id>/<revision>/left4dead2/addons/<id>.vpk, checks it with
// internal/vpk (items without a usable file_url go through steamcmd
// instead, or are flagged with the reason: steampipe.go), and publishes
// workshop layers (named, ordered groups of items) as generations of
// content layers under overlays/<layer>/.
//
// Long operations (Add, Refresh, Download) report through Progress, so the
// same code runs synchronously in the CLI and as a background job.
package workshop

import (
	"sync"
	"time"

	"github.com/left4me/left4me/internal/content"
)

// Progress receives an operation's progress and log lines: the content
// service's interface, which a job system's run handle satisfies.
type Progress = content.Progress

// NopProgress discards progress and log lines.
type NopProgress = content.NopProgress

// meter turns byte counts from parallel downloads into throttled Progress
// calls (at most one per interval, plus the final one).
type meter struct {
	mu       sync.Mutex
	p        Progress
	done     int64
	total    int64
	last     time.Time
	interval time.Duration
	lo, hi   float64 // the fraction range this meter maps onto
	msg      string
}

func newMeter(p Progress, total int64, lo, hi float64, msg string) *meter {
	return &meter{p: p, total: total, interval: time.Second, lo: lo, hi: hi, msg: msg}
}

func (m *meter) add(n int64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.done += n
	if now := time.Now(); now.Sub(m.last) >= m.interval {
		m.last = now
		m.report()
	}
}

func (m *meter) flush() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.report()
}

func (m *meter) report() {
	f := m.hi
	if m.total > 0 {
		f = m.lo + (m.hi-m.lo)*min(float64(m.done)/float64(m.total), 1)
	}
	m.p.Progress(f, m.msg)
}
