// Package history records what every instance and the host were doing, every
// 30 seconds, and answers it back over a time range: players (humans and
// bots), map, state, CPU and memory per instance; players, running servers,
// CPU, memory and load for the host (docs/operations.md, "History and
// metrics").
//
// Samples are kept 30 days in SQLite (store.InstanceSample, migration
// 00016): as taken for 48 hours, then merged into 5-minute rows, which
// bounds the table at about 14,000 rows per instance.
package history

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/left4me/left4me/internal/instance"
	"github.com/left4me/left4me/internal/live"
	"github.com/left4me/left4me/internal/store"
)

// The sampling and keeping policy.
const (
	Interval  = 30 * time.Second    // between samples
	RawFor    = 48 * time.Hour      // samples older than this are merged ...
	Bucket    = 5 * time.Minute     // ... into rows of this span
	Retention = 30 * 24 * time.Hour // and deleted after this
	// maintainEvery is how often old samples are merged and deleted.
	maintainEvery = 5 * time.Minute
)

// Instances lists the instances to sample (the instance service).
type Instances interface {
	List(ctx context.Context) ([]instance.Instance, error)
}

// States reports an instance's run state (the supervisor).
type States interface {
	Status(ctx context.Context, name string) (instance.Status, error)
}

// UsageReader reports a running instance's CPU time and memory; the
// systemd and process supervisors are ones.
type UsageReader interface {
	Usage(ctx context.Context, name string) (instance.Usage, error)
}

// Snapshots answers an instance's last polled live state (*live.Poller).
type Snapshots interface {
	Snapshot(name string) (live.Snapshot, bool)
}

// Store keeps the samples (*store.Store).
type Store interface {
	AddSamples(ctx context.Context, host store.HostSample, insts []store.InstanceSample) error
	CompactHistory(ctx context.Context, from, before time.Time, bucket time.Duration) (int, error)
	PruneHistory(ctx context.Context, before time.Time) (int64, error)
}

// Config is what a Sampler reads from and writes to. Store, Instances and
// States are required; a nil Usage or Live leaves CPU and memory, or
// players and map, unknown.
type Config struct {
	Store     Store
	Instances Instances
	States    States
	Usage     UsageReader
	Live      Snapshots
	// ProcRoot is where /proc/loadavg and /proc/meminfo are read ("/proc"
	// when empty).
	ProcRoot string
	Interval time.Duration // Interval when zero
	Now      func() time.Time
	Logger   *slog.Logger
}

// Sampler takes the samples. Run it as one of the panel's parts.
type Sampler struct {
	cfg Config
	// prev is each instance's CPU time at its last sample, to turn the
	// cumulative CPU time into a rate. Only Sample touches it.
	prev map[string]cpuMark
	// compacted says a first, unbounded compaction ran: later ones look
	// back a day only.
	compacted    bool
	lastMaintain time.Time
}

type cpuMark struct {
	cpu time.Duration
	at  time.Time
}

// NewSampler returns a Sampler over cfg.
func NewSampler(cfg Config) *Sampler {
	if cfg.ProcRoot == "" {
		cfg.ProcRoot = "/proc"
	}
	if cfg.Interval <= 0 {
		cfg.Interval = Interval
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &Sampler{cfg: cfg, prev: map[string]cpuMark{}}
}

// Run samples every Config.Interval, and merges and deletes old samples
// every five minutes, until ctx ends.
func (s *Sampler) Run(ctx context.Context) error {
	t := time.NewTicker(s.cfg.Interval)
	defer t.Stop()
	for {
		if err := s.Sample(ctx); err != nil && ctx.Err() == nil {
			s.cfg.Logger.Warn("history sample", "err", err)
		}
		if now := s.cfg.Now(); now.Sub(s.lastMaintain) >= maintainEvery {
			s.lastMaintain = now
			if err := s.Maintain(ctx, now); err != nil && ctx.Err() == nil {
				s.cfg.Logger.Warn("history upkeep", "err", err)
			}
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// Sample records one sample of every instance and of the host.
func (s *Sampler) Sample(ctx context.Context) error {
	all, err := s.cfg.Instances.List(ctx)
	if err != nil {
		return fmt.Errorf("list instances to sample: %w", err)
	}
	now := s.cfg.Now()
	host := store.HostSample{At: now, Span: s.cfg.Interval, CPUMilli: -1, MemBytes: -1}
	var cpuSum, memSum int64
	cpuKnown, memKnown := false, false
	seen := map[string]bool{}
	samples := make([]store.InstanceSample, 0, len(all))
	for _, in := range all {
		seen[in.Name] = true
		x := s.sampleOne(ctx, in.Name, now)
		if x.State == string(instance.Running) {
			host.Running++
		}
		host.Humans += x.Humans
		host.Bots += x.Bots
		if x.CPUMilli >= 0 {
			cpuSum, cpuKnown = cpuSum+x.CPUMilli, true
		}
		if x.MemBytes >= 0 {
			memSum, memKnown = memSum+x.MemBytes, true
		}
		samples = append(samples, x)
	}
	for name := range s.prev {
		if !seen[name] {
			delete(s.prev, name)
		}
	}
	if cpuKnown {
		host.CPUMilli = cpuSum
	}
	if memKnown {
		host.MemBytes = memSum
	}
	host.LoadCenti = readLoad(s.cfg.ProcRoot)
	host.HostUsed, host.HostTotal = readMemory(s.cfg.ProcRoot)
	return s.cfg.Store.AddSamples(ctx, host, samples)
}

// sampleOne is one instance's sample: its state, the live poller's players
// and map while it runs, and its usage.
func (s *Sampler) sampleOne(ctx context.Context, name string, now time.Time) store.InstanceSample {
	x := store.InstanceSample{Instance: name, At: now, Span: s.cfg.Interval, CPUMilli: -1, MemBytes: -1}
	st, err := s.cfg.States.Status(ctx, name)
	if err != nil {
		x.State = "unknown"
		return x
	}
	x.State = string(st.State)
	running := st.State == instance.Running
	if running && s.cfg.Live != nil {
		if snap, ok := s.cfg.Live.Snapshot(name); ok && snap.Online {
			x.Humans, x.Bots, x.Map = snap.Humans, snap.Bots, snap.Map
		}
	}
	if !running || s.cfg.Usage == nil {
		delete(s.prev, name)
		return x
	}
	u, err := s.cfg.Usage.Usage(ctx, name)
	if err != nil {
		s.cfg.Logger.Debug("history: usage", "instance", name, "err", err)
		return x
	}
	x.MemBytes = u.Memory
	if u.CPU < 0 {
		delete(s.prev, name)
		return x
	}
	if p, ok := s.prev[name]; ok && u.CPU >= p.cpu && now.After(p.at) {
		x.CPUMilli = int64(u.CPU-p.cpu) * 1000 / int64(now.Sub(p.at))
	}
	s.prev[name] = cpuMark{cpu: u.CPU, at: now}
	return x
}

// Maintain merges the samples older than RawFor into Bucket rows and
// deletes those older than Retention. The first call looks at every old
// sample; later ones only at the last day's (the panel may have been down).
func (s *Sampler) Maintain(ctx context.Context, now time.Time) error {
	before := now.Add(-RawFor).Truncate(Bucket)
	from := time.Unix(0, 0)
	if s.compacted {
		from = before.Add(-24 * time.Hour)
	}
	if _, err := s.cfg.Store.CompactHistory(ctx, from, before, Bucket); err != nil {
		return err
	}
	s.compacted = true
	_, err := s.cfg.Store.PruneHistory(ctx, now.Add(-Retention))
	return err
}

// readLoad is the one-minute load average in hundredths, -1 when unreadable.
func readLoad(procRoot string) int64 {
	b, err := os.ReadFile(filepath.Join(procRoot, "loadavg"))
	if err != nil {
		return -1
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return -1
	}
	v, err := strconv.ParseFloat(f[0], 64)
	if err != nil {
		return -1
	}
	return int64(v*100 + 0.5)
}

// readMemory is the host's memory in use (MemTotal - MemAvailable) and its
// total, in bytes; -1 when unreadable.
func readMemory(procRoot string) (used, total int64) {
	b, err := os.ReadFile(filepath.Join(procRoot, "meminfo"))
	if err != nil {
		return -1, -1
	}
	kb := map[string]int64{}
	for line := range strings.Lines(string(b)) {
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		f := strings.Fields(v)
		if len(f) == 0 {
			continue
		}
		if n, err := strconv.ParseInt(f[0], 10, 64); err == nil {
			kb[k] = n
		}
	}
	t, ok1 := kb["MemTotal"]
	a, ok2 := kb["MemAvailable"]
	if !ok1 || !ok2 {
		return -1, -1
	}
	return (t - a) * 1024, t * 1024
}
