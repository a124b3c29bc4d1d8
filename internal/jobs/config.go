package jobs

import (
	"fmt"
	"time"
)

// Config tunes a Manager. Zero fields take the defaults noted.
type Config struct {
	// Workers is how many jobs of the default queue run at once. Default 4.
	Workers int
	// Queues are further queues and how many of their jobs run at once. A
	// job enqueued in one (EnqueueOpts.Queue) runs on its workers only: it
	// can neither hold up the default queue's jobs nor be held up by them
	// (webhook deliveries, whose receivers may hang, have one).
	Queues map[string]int
	// MaxAttempts is a kind's attempts when it does not set its own.
	// Default 5.
	MaxAttempts int
	// Timeout is a kind's time limit per attempt when it does not set its
	// own; the handler's context is cancelled then. Default 1 hour.
	Timeout time.Duration
	// RetryBase and RetryMax bound the exponential backoff between
	// attempts: RetryBase doubles each attempt up to RetryMax (with up to
	// 10% jitter). Defaults 10 seconds and 15 minutes.
	RetryBase, RetryMax time.Duration
	// Heartbeat is how often a running job proves it is alive; a running
	// job whose heartbeat is older than OrphanAfter belonged to a process
	// that died and is put back to be retried (or failed when its attempts
	// are used up). Defaults 10 seconds and 1 minute; OrphanAfter must be
	// at least three heartbeats.
	Heartbeat, OrphanAfter time.Duration
	// RescueGrace is added to a kind's Timeout to give river's own stuck-job
	// rescuer (the backstop behind the heartbeat) its horizon. Default 1
	// minute. The rescuer runs in whichever started Manager river elects
	// leader, and it discards a running job of a kind that Manager has not
	// registered once the job has run RescueGrace: every process that
	// starts a Manager on one database must register the same kinds (the
	// panel is the only one; the CLI enqueues without starting).
	RescueGrace time.Duration
	// FlushInterval is how often a running job's progress and new log lines
	// are written to the database. Default 500 ms.
	FlushInterval time.Duration
	// PollInterval is how often idle workers look for new jobs. Default 1 s.
	PollInterval time.Duration
	// LogCap caps each job's stored log to its newest characters. Default
	// 1 MiB.
	LogCap int
	// Retention is how long finished jobs are kept. Default 30 days.
	Retention time.Duration
	// Periodic jobs enqueued on their schedule while the workers run. Each
	// is unique: one already queued or running makes the next a no-op.
	Periodic []Periodic
	// ClientID names this worker in river's attempted_by; default river's.
	ClientID string
	// StopTimeout bounds how long Run waits for running jobs to return
	// after its context ends. Default 30 seconds.
	StopTimeout time.Duration
}

// Periodic is a job enqueued on a schedule.
type Periodic struct {
	Kind     string
	Schedule Schedule
	Args     any // JSON-encodable; nil means {}
}

func (c Config) withDefaults() Config {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	if c.Workers <= 0 {
		c.Workers = 4
	}
	if c.MaxAttempts <= 0 {
		c.MaxAttempts = 5
	}
	def(&c.Timeout, time.Hour)
	def(&c.RetryBase, 10*time.Second)
	def(&c.RetryMax, 15*time.Minute)
	def(&c.Heartbeat, 10*time.Second)
	def(&c.OrphanAfter, time.Minute)
	def(&c.RescueGrace, time.Minute)
	def(&c.FlushInterval, 500*time.Millisecond)
	def(&c.PollInterval, time.Second)
	def(&c.Retention, 30*24*time.Hour)
	def(&c.StopTimeout, 30*time.Second)
	if c.LogCap <= 0 {
		c.LogCap = 1 << 20
	}
	return c
}

func (c Config) validate() error {
	if c.OrphanAfter < 3*c.Heartbeat {
		return fmt.Errorf("jobs config: OrphanAfter %v must be at least three heartbeats (%v)", c.OrphanAfter, 3*c.Heartbeat)
	}
	if c.RetryMax < c.RetryBase {
		return fmt.Errorf("jobs config: RetryMax %v is below RetryBase %v", c.RetryMax, c.RetryBase)
	}
	for name, n := range c.Queues {
		if err := validKind(name); err != nil || name == defaultQueue {
			return fmt.Errorf("jobs config: queue %q: want a name like a kind's, not %q", name, defaultQueue)
		}
		if n < 1 {
			return fmt.Errorf("jobs config: queue %s: want at least one worker, not %d", name, n)
		}
	}
	for _, p := range c.Periodic {
		if err := validKind(p.Kind); err != nil {
			return fmt.Errorf("jobs config: periodic job: %w", err)
		}
		if p.Schedule == nil {
			return fmt.Errorf("jobs config: periodic job %s has no schedule", p.Kind)
		}
	}
	return nil
}

// validKind accepts lower-case names of letters, digits and underscores.
func validKind(kind string) error {
	if kind == "" || len(kind) > 64 {
		return fmt.Errorf("job kind %q: want 1 to 64 characters", kind)
	}
	for i, r := range kind {
		ok := r >= 'a' && r <= 'z' || i > 0 && (r == '_' || r >= '0' && r <= '9')
		if !ok {
			return fmt.Errorf("job kind %q: want lower-case letters, digits and underscores, starting with a letter", kind)
		}
	}
	return nil
}
