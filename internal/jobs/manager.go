package jobs

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"strings"
	"sync"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"
	"github.com/riverqueue/river/rivertype"
)

// Handler does one job. It returns nil on success, an error to be retried
// (see Transient) or Permanent(err) to fail at once. It must return soon
// after ctx is done (cancelled by a user, its timeout, or shutdown).
type Handler func(ctx context.Context, run *Run) error

// KindOptions tune one kind; zero fields take the Config's.
type KindOptions struct {
	// MaxAttempts counts the first run: 1 means never retried.
	MaxAttempts int
	// Timeout bounds each attempt.
	Timeout time.Duration
}

// EnqueueOpts are the options of one Enqueue.
type EnqueueOpts struct {
	// UserID is the user who asked (0: the system).
	UserID int64
	// Queue is the queue of Config.Queues the job runs in; empty is the
	// default queue.
	Queue string
	// Unique makes the enqueue a no-op while a job of the same kind and
	// args is queued, running or waiting to retry: Enqueue then returns
	// that job's id and duplicate=true.
	Unique bool
	// UniqueEver makes the enqueue a no-op while a job of the same kind and
	// args exists in any state, finished ones included (until Retention
	// deletes them): a job that must run once for good, such as one
	// schedule's slot. It returns that job's id and duplicate=true.
	UniqueEver bool
}

// defaultQueue is river's default queue, where jobs without a Queue run.
const defaultQueue = river.QueueDefault

// metaUserID is the key of the asking user's id in river's job metadata.
const metaUserID = "left4me_user_id"

// uniqueStates are the states in which a unique job blocks another: not
// yet finished. (River requires available, pending, running, scheduled.)
var uniqueStates = []rivertype.JobState{
	rivertype.JobStateAvailable, rivertype.JobStatePending, rivertype.JobStateRunning,
	rivertype.JobStateRetryable, rivertype.JobStateScheduled,
}

// everyState is every state of river's: with it a unique job blocks another
// for as long as its row is kept.
var everyState = []rivertype.JobState{
	rivertype.JobStateAvailable, rivertype.JobStateCancelled, rivertype.JobStateCompleted,
	rivertype.JobStateDiscarded, rivertype.JobStatePending, rivertype.JobStateRetryable,
	rivertype.JobStateRunning, rivertype.JobStateScheduled,
}

// kindInfo is a registered kind.
type kindInfo struct {
	handler Handler
	opts    KindOptions
}

// Manager enqueues, lists and cancels jobs, and (after Start) works them.
// A Manager that is never started is enough to enqueue and inspect jobs
// (the CLI); one process per database should Start (the panel).
type Manager struct {
	db      *sql.DB
	cfg     Config
	log     *slog.Logger
	driver  *riversqlite.Driver
	client  *river.Client[*sql.Tx]
	workers *river.Workers

	// mu orders Register, Start and Stop; kindsMu guards kinds.
	mu      sync.Mutex
	started bool
	kindsMu sync.RWMutex
	kinds   map[string]*kindInfo
	stopBg  context.CancelFunc
	bg      sync.WaitGroup

	subsMu sync.Mutex
	subs   map[chan Event]struct{}

	// running holds the ids of jobs this process is running: never taken
	// for orphans, even when their heartbeat could not be written.
	runningMu sync.Mutex
	running   map[int64]struct{}
}

// New migrates river's tables in db (the store's database, whose goose
// migrations made job_progress) and returns a stopped Manager.
func New(ctx context.Context, db *sql.DB, cfg Config, logger *slog.Logger) (*Manager, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	driver := riversqlite.New(db)
	migrator, err := rivermigrate.New(driver, &rivermigrate.Config{Logger: quiet(logger)})
	if err != nil {
		return nil, fmt.Errorf("prepare job queue migrations: %w", err)
	}
	if _, err := migrator.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
		return nil, fmt.Errorf("migrate job queue tables: %w", err)
	}
	m := &Manager{
		db: db, cfg: cfg, log: logger, driver: driver,
		workers: river.NewWorkers(),
		kinds:   map[string]*kindInfo{},
		subs:    map[chan Event]struct{}{},
		running: map[int64]struct{}{},
	}
	cooldown := min(100*time.Millisecond, cfg.PollInterval)
	queues := map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: cfg.Workers}}
	for name, n := range cfg.Queues {
		queues[name] = river.QueueConfig{MaxWorkers: n}
	}
	m.client, err = river.NewClient(driver, &river.Config{
		ID:                          cfg.ClientID,
		Logger:                      quiet(logger),
		Queues:                      queues,
		Workers:                     m.workers,
		MaxAttempts:                 cfg.MaxAttempts,
		RetryPolicy:                 &backoff{base: cfg.RetryBase, max: cfg.RetryMax},
		JobTimeout:                  cfg.RescueGrace, // unused: every worker sets its own Timeout
		RescueStuckJobsAfter:        cfg.RescueGrace,
		FetchPollInterval:           cfg.PollInterval,
		FetchCooldown:               cooldown,
		CompletedJobRetentionPeriod: cfg.Retention,
		CancelledJobRetentionPeriod: cfg.Retention,
		DiscardedJobRetentionPeriod: cfg.Retention,
		// The CLI enqueues kinds whose handlers only the panel registers;
		// the panel fetches only kinds it has handlers for, so a kind it
		// does not know stays queued rather than failing.
		SkipUnknownJobCheck: true,
		FetchOnlyKnownKinds: true,
	})
	if err != nil {
		return nil, fmt.Errorf("create job queue client: %w", err)
	}
	return m, nil
}

// quiet passes river's warnings and errors on and drops its chatter.
func quiet(lg *slog.Logger) *slog.Logger {
	return slog.New(levelFilter{Handler: lg.Handler(), min: slog.LevelWarn})
}

type levelFilter struct {
	slog.Handler
	min slog.Level
}

func (f levelFilter) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= f.min && f.Handler.Enabled(ctx, l)
}

func (f levelFilter) WithAttrs(as []slog.Attr) slog.Handler {
	return levelFilter{Handler: f.Handler.WithAttrs(as), min: f.min}
}

func (f levelFilter) WithGroup(name string) slog.Handler {
	return levelFilter{Handler: f.Handler.WithGroup(name), min: f.min}
}

// Register adds the handler of a kind. Call it before Start.
func (m *Manager) Register(kind string, h Handler, opts KindOptions) error {
	if err := validKind(kind); err != nil {
		return err
	}
	if h == nil {
		return fmt.Errorf("register job kind %s: nil handler", kind)
	}
	if opts.MaxAttempts < 0 || opts.Timeout < 0 {
		return fmt.Errorf("register job kind %s: negative MaxAttempts or Timeout", kind)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.started {
		return fmt.Errorf("register job kind %s: workers already started", kind)
	}
	m.kindsMu.Lock()
	defer m.kindsMu.Unlock()
	if _, ok := m.kinds[kind]; ok {
		return fmt.Errorf("register job kind %s: already registered", kind)
	}
	if opts.MaxAttempts == 0 {
		opts.MaxAttempts = m.cfg.MaxAttempts
	}
	if opts.Timeout == 0 {
		opts.Timeout = m.cfg.Timeout
	}
	ki := &kindInfo{handler: h, opts: opts}
	// NOTE: river keys workers by the Kind() of an args value. Our kinds are
	// names chosen at run time, so the args value that carries the kind is
	// passed explicitly (AddWorkerArgs) instead of river's usual one Go type
	// per kind.
	if err := addWorker(m.workers, rawArgs{kind: kind}, &worker{m: m, kind: kind, info: ki}); err != nil {
		return fmt.Errorf("register job kind %s: %w", kind, err)
	}
	m.kinds[kind] = ki
	return nil
}

func addWorker(ws *river.Workers, args rawArgs, w river.Worker[rawArgs]) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%v", r)
		}
	}()
	river.AddWorkerArgs(ws, args, w)
	return nil
}

// Start runs the workers, the periodic jobs whose kinds are registered, and
// the recovery of jobs whose process died, until Stop. With no kind
// registered it does nothing.
func (m *Manager) Start(ctx context.Context) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.started {
		return errors.New("job workers already started")
	}
	m.kindsMu.RLock()
	nkinds := len(m.kinds)
	m.kindsMu.RUnlock()
	if nkinds == 0 {
		// Nothing could run; enqueued jobs wait for a process that knows
		// their kinds.
		m.log.Info("no job kind registered; job workers not started")
		return nil
	}
	for _, p := range m.cfg.Periodic {
		if !m.known(p.Kind) {
			m.log.Warn("periodic job has no handler; not scheduled", "kind", p.Kind)
			continue
		}
		data, err := encodeArgs(p.Args)
		if err != nil {
			return fmt.Errorf("periodic job %s: %w", p.Kind, err)
		}
		kind := p.Kind
		insertOpts := m.insertOpts(kind, EnqueueOpts{Unique: true})
		m.client.PeriodicJobs().Add(river.NewPeriodicJob(p.Schedule,
			func() (river.JobArgs, *river.InsertOpts) { return rawArgs{kind: kind, data: data}, insertOpts },
			&river.PeriodicJobOpts{ID: kind}))
	}
	// Recover before workers fetch, so a dead attempt is retried at once.
	if n, err := m.recoverOrphans(ctx); err != nil {
		m.log.Warn("recover jobs of a stopped process", "err", err)
	} else if n > 0 {
		m.log.Info("recovered jobs left running by a stopped process", "jobs", n)
	}
	events, cancelEvents := m.client.Subscribe(river.EventKindJobCompleted, river.EventKindJobFailed,
		river.EventKindJobCancelled, river.EventKindJobSnoozed)
	if err := m.client.Start(context.WithoutCancel(ctx)); err != nil {
		cancelEvents()
		return fmt.Errorf("start job workers: %w", err)
	}
	bg, stop := context.WithCancel(context.WithoutCancel(ctx))
	m.stopBg = func() { stop(); cancelEvents() }
	m.bg.Go(func() { m.forwardEvents(bg, events) })
	m.bg.Go(func() { m.sweep(bg) })
	m.started = true
	return nil
}

// Stop cancels running jobs (river puts them back to run again on the
// next Start) and waits for their handlers to return, until ctx ends.
func (m *Manager) Stop(ctx context.Context) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if !m.started {
		return nil
	}
	m.started = false
	err := m.client.StopAndCancel(ctx)
	m.stopBg()
	m.bg.Wait()
	if err != nil {
		return fmt.Errorf("stop job workers: %w", err)
	}
	return nil
}

// Run is the Manager as one part of a long-running process: it starts the
// workers (Start), waits until ctx ends and stops them (Stop), giving
// running jobs Config.StopTimeout to return.
func (m *Manager) Run(ctx context.Context) error {
	if err := m.Start(ctx); err != nil {
		return err
	}
	<-ctx.Done()
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), m.cfg.StopTimeout)
	defer cancel()
	return m.Stop(sctx)
}

// sweep recovers orphaned jobs and drops progress rows of jobs river has
// deleted, periodically.
func (m *Manager) sweep(ctx context.Context) {
	t := time.NewTicker(max(m.cfg.OrphanAfter/2, 10*time.Millisecond))
	defer t.Stop()
	lastClean := time.Time{}
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if n, err := m.recoverOrphans(ctx); err != nil && ctx.Err() == nil {
			m.log.Warn("recover jobs of a stopped process", "err", err)
		} else if n > 0 {
			m.log.Info("recovered jobs left running by a stopped process", "jobs", n)
		}
		if time.Since(lastClean) > time.Hour {
			lastClean = time.Now()
			if err := m.deleteProgressOfDeleted(ctx); err != nil && ctx.Err() == nil {
				m.log.Warn("clean job progress", "err", err)
			}
		}
	}
}

func (m *Manager) forwardEvents(ctx context.Context, events <-chan *river.Event) {
	for {
		select {
		case <-ctx.Done():
			return
		case ev, ok := <-events:
			if !ok {
				return
			}
			if ev == nil || ev.Job == nil {
				continue
			}
			p, err := m.progressOf(ctx, ev.Job.ID, false)
			if err != nil && ctx.Err() == nil {
				m.log.Warn("read job progress", "job", ev.Job.ID, "err", err)
			}
			j := toJob(ev.Job, p)
			m.publish(Event{JobID: j.ID, Kind: j.Kind, State: j.State, Progress: j.Progress, Message: j.Message})
		}
	}
}

// Subscribe returns a channel of job changes and a function that ends the
// subscription. Events are dropped for a subscriber that falls behind
// (Get or List then give the truth); only this process's workers and
// Cancel calls produce events.
func (m *Manager) Subscribe() (<-chan Event, func()) {
	ch := make(chan Event, 64)
	m.subsMu.Lock()
	m.subs[ch] = struct{}{}
	m.subsMu.Unlock()
	var once sync.Once
	return ch, func() {
		once.Do(func() {
			m.subsMu.Lock()
			delete(m.subs, ch)
			m.subsMu.Unlock()
		})
	}
}

func (m *Manager) publish(ev Event) {
	m.subsMu.Lock()
	defer m.subsMu.Unlock()
	for ch := range m.subs {
		select {
		case ch <- ev:
		default:
		}
	}
}

// Enqueue adds a job of kind with args (JSON-encoded; nil means {}). It
// returns the job's id; with opts.Unique and a matching unfinished job, that
// job's id and duplicate=true.
func (m *Manager) Enqueue(ctx context.Context, kind string, args any, opts EnqueueOpts) (id int64, duplicate bool, err error) {
	if err := validKind(kind); err != nil {
		return 0, false, err
	}
	if opts.UserID < 0 {
		return 0, false, fmt.Errorf("enqueue %s: negative user id", kind)
	}
	if _, ok := m.cfg.Queues[opts.Queue]; opts.Queue != "" && !ok {
		return 0, false, fmt.Errorf("enqueue %s: queue %q is not configured (Config.Queues)", kind, opts.Queue)
	}
	data, err := encodeArgs(args)
	if err != nil {
		return 0, false, fmt.Errorf("enqueue %s: %w", kind, err)
	}
	res, err := m.client.Insert(ctx, rawArgs{kind: kind, data: data}, m.insertOpts(kind, opts))
	if err != nil {
		return 0, false, fmt.Errorf("enqueue %s: %w", kind, err)
	}
	if !res.UniqueSkippedAsDuplicate {
		m.publish(Event{JobID: res.Job.ID, Kind: kind, State: StateQueued})
	}
	return res.Job.ID, res.UniqueSkippedAsDuplicate, nil
}

func (m *Manager) insertOpts(kind string, opts EnqueueOpts) *river.InsertOpts {
	io := &river.InsertOpts{MaxAttempts: m.maxAttempts(kind, 0), Queue: opts.Queue}
	if opts.UserID > 0 {
		io.Metadata, _ = json.Marshal(map[string]int64{metaUserID: opts.UserID})
	}
	switch {
	case opts.UniqueEver:
		io.UniqueOpts = river.UniqueOpts{ByArgs: true, ByState: everyState}
	case opts.Unique:
		io.UniqueOpts = river.UniqueOpts{ByArgs: true, ByState: uniqueStates}
	}
	return io
}

func (m *Manager) setRunning(id int64, on bool) {
	m.runningMu.Lock()
	defer m.runningMu.Unlock()
	if on {
		m.running[id] = struct{}{}
	} else {
		delete(m.running, id)
	}
}

func (m *Manager) isRunningHere(id int64) bool {
	m.runningMu.Lock()
	defer m.runningMu.Unlock()
	_, ok := m.running[id]
	return ok
}

// known reports whether kind has a handler here.
func (m *Manager) known(kind string) bool {
	m.kindsMu.RLock()
	defer m.kindsMu.RUnlock()
	return m.kinds[kind] != nil
}

// maxAttempts is the registered kind's, else fallback (the row's) when
// positive, else the default.
func (m *Manager) maxAttempts(kind string, fallback int) int {
	m.kindsMu.RLock()
	ki := m.kinds[kind]
	m.kindsMu.RUnlock()
	switch {
	case ki != nil:
		return ki.opts.MaxAttempts
	case fallback > 0:
		return fallback
	}
	return m.cfg.MaxAttempts
}

func encodeArgs(args any) (json.RawMessage, error) {
	if args == nil {
		return json.RawMessage("{}"), nil
	}
	if raw, ok := args.(json.RawMessage); ok {
		if !json.Valid(raw) {
			return nil, errors.New("args are not valid JSON")
		}
		return raw, nil
	}
	data, err := json.Marshal(args)
	if err != nil {
		return nil, fmt.Errorf("encode args: %w", err)
	}
	return data, nil
}

// Get returns one job with its log.
func (m *Manager) Get(ctx context.Context, id int64) (Job, error) {
	row, err := m.client.JobGet(ctx, id)
	if errors.Is(err, rivertype.ErrNotFound) {
		return Job{}, fmt.Errorf("job %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return Job{}, fmt.Errorf("get job %d: %w", id, err)
	}
	p, err := m.progressOf(ctx, id, true)
	if err != nil {
		return Job{}, fmt.Errorf("get job %d: %w", id, err)
	}
	return toJob(row, p), nil
}

// List returns jobs matching f, newest first, without their logs.
func (m *Manager) List(ctx context.Context, f Filter) ([]Job, error) {
	if f.State != "" {
		if _, err := ParseState(string(f.State)); err != nil {
			return nil, err
		}
	}
	if f.Kind != "" {
		if err := validKind(f.Kind); err != nil {
			return nil, err
		}
	}
	limit := f.Limit
	if limit <= 0 {
		limit = 100
	}
	params := river.NewJobListParams().OrderBy(river.JobListOrderByID, river.SortOrderDesc).First(min(limit*2, 1000))
	if f.Kind != "" {
		params = params.Kinds(f.Kind)
	}
	if f.State != "" {
		params = params.States(riverStates(f.State)...)
	}
	var out []Job
	// States split river's (queued/retrying, cancelled/failed) and the user
	// is in metadata, so filter here and page on until limit is reached.
	for page := 0; page < 50 && len(out) < limit; page++ {
		res, err := m.client.JobList(ctx, params)
		if err != nil {
			return nil, fmt.Errorf("list jobs: %w", err)
		}
		ids := make([]int64, len(res.Jobs))
		for i, r := range res.Jobs {
			ids[i] = r.ID
		}
		ps, err := m.progressMany(ctx, ids)
		if err != nil {
			return nil, fmt.Errorf("list jobs: %w", err)
		}
		for _, r := range res.Jobs {
			j := toJob(r, ps[r.ID])
			if (f.State == "" || j.State == f.State) && (f.UserID == 0 || j.UserID == f.UserID) {
				out = append(out, j)
				if len(out) == limit {
					break
				}
			}
		}
		if len(res.Jobs) == 0 || res.LastCursor == nil {
			break
		}
		params = params.After(res.LastCursor)
	}
	return out, nil
}

// riverStates are the river states a State can come from.
func riverStates(s State) []rivertype.JobState {
	switch s {
	case StateQueued:
		return []rivertype.JobState{rivertype.JobStateAvailable, rivertype.JobStatePending, rivertype.JobStateScheduled}
	case StateRunning:
		return []rivertype.JobState{rivertype.JobStateRunning}
	case StateRetrying:
		return []rivertype.JobState{rivertype.JobStateRetryable, rivertype.JobStateAvailable, rivertype.JobStateScheduled}
	case StateSucceeded:
		return []rivertype.JobState{rivertype.JobStateCompleted}
	case StateFailed:
		return []rivertype.JobState{rivertype.JobStateDiscarded, rivertype.JobStateCancelled}
	case StateCancelled:
		return []rivertype.JobState{rivertype.JobStateCancelled}
	}
	return nil
}

// Cancel cancels a job: a queued or retrying one at once, a running one by
// cancelling its handler's context (it shows CancelRequested until the
// handler returns). Cancelling a cancelled job is not an error; a job that
// succeeded or failed gives ErrFinished.
func (m *Manager) Cancel(ctx context.Context, id int64) error {
	row, err := m.client.JobCancel(ctx, id)
	if errors.Is(err, rivertype.ErrNotFound) {
		return fmt.Errorf("cancel job %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("cancel job %d: %w", id, err)
	}
	p, err := m.progressOf(ctx, id, false)
	if err != nil {
		return fmt.Errorf("cancel job %d: %w", id, err)
	}
	j := toJob(row, p)
	if j.State == StateSucceeded || j.State == StateFailed {
		return fmt.Errorf("cancel job %d: %w (%s)", id, ErrFinished, j.State)
	}
	m.publish(Event{JobID: j.ID, Kind: j.Kind, State: j.State, Progress: j.Progress, Message: j.Message})
	return nil
}

// toJob merges river's row with the progress row (nil: none yet).
func toJob(r *rivertype.JobRow, p *progressRow) Job {
	j := Job{
		ID: r.ID, Kind: r.Kind, Args: json.RawMessage(r.EncodedArgs),
		Attempt: r.Attempt, MaxAttempts: r.MaxAttempts,
		CreatedAt: r.CreatedAt, ScheduledAt: r.ScheduledAt,
	}
	if r.AttemptedAt != nil {
		j.StartedAt = *r.AttemptedAt
	}
	if r.FinalizedAt != nil {
		j.FinishedAt = *r.FinalizedAt
	}
	var meta struct {
		UserID            int64     `json:"left4me_user_id"`
		CancelAttemptedAt time.Time `json:"cancel_attempted_at"`
	}
	_ = json.Unmarshal(r.Metadata, &meta) // foreign or empty metadata: no user
	j.UserID = meta.UserID
	for _, e := range r.Errors {
		// A permanent failure is river's JobCancel (run.go), whose error
		// text carries river's type name: people read the handler's error.
		msg := strings.TrimPrefix(e.Error, riverCancelPrefix)
		j.Errors = append(j.Errors, AttemptError{Attempt: e.Attempt, At: e.At, Error: msg})
	}
	permanent := false
	if p != nil {
		j.Progress, j.Message, j.Log, permanent = p.progress, p.message, p.log, p.permanent
	}
	switch r.State {
	case rivertype.JobStateAvailable, rivertype.JobStatePending, rivertype.JobStateScheduled:
		j.State = StateQueued
		if r.Attempt > 0 {
			j.State = StateRetrying
		}
	case rivertype.JobStateRunning:
		j.State = StateRunning
		j.CancelRequested = !meta.CancelAttemptedAt.IsZero()
	case rivertype.JobStateRetryable:
		j.State = StateRetrying
	case rivertype.JobStateCompleted:
		j.State = StateSucceeded
	case rivertype.JobStateDiscarded:
		j.State = StateFailed
	case rivertype.JobStateCancelled:
		j.State = StateCancelled
		if permanent {
			j.State = StateFailed
		}
	default:
		j.State = StateFailed
	}
	j.Message = outcomeMessage(j)
	return j
}

// riverCancelPrefix starts the stored error of a job ended with
// river.JobCancel.
const riverCancelPrefix = "JobCancelError: "

// backoff is river's retry policy: base·2^(attempt-1), at most max, plus up
// to 10% jitter.
type backoff struct{ base, max time.Duration }

func (b *backoff) NextRetry(job *rivertype.JobRow) time.Time {
	return time.Now().Add(b.delay(job.Attempt))
}

func (b *backoff) delay(attempt int) time.Duration {
	d := b.base
	for i := 1; i < attempt && d < b.max; i++ {
		d *= 2
	}
	d = min(d, b.max)
	return d + time.Duration(rand.Int64N(int64(d)/10+1))
}
