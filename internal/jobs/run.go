package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"sync"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
)

// rawArgs carries a job's kind and its JSON args through river, which
// otherwise wants one Go type per kind.
type rawArgs struct {
	kind string
	data json.RawMessage
}

func (a rawArgs) Kind() string { return a.kind }

func (a rawArgs) MarshalJSON() ([]byte, error) {
	if len(a.data) == 0 {
		return []byte("{}"), nil
	}
	return a.data, nil
}

func (a *rawArgs) UnmarshalJSON(b []byte) error {
	a.data = append(json.RawMessage(nil), b...)
	return nil
}

// worker adapts a Handler to river.
type worker struct {
	river.WorkerDefaults[rawArgs]
	m    *Manager
	kind string
	info *kindInfo
}

// Timeout is river's limit, used by its executor and its stuck-job
// rescuer: the kind's timeout plus a grace, so that the handler's own
// deadline (Work) comes first and the rescuer never takes a job whose
// handler is still returning.
func (w *worker) Timeout(*river.Job[rawArgs]) time.Duration {
	return w.info.opts.Timeout + w.m.cfg.RescueGrace
}

func (w *worker) Work(ctx context.Context, job *river.Job[rawArgs]) error {
	run := &Run{
		m: w.m, id: job.ID, kind: w.kind, attempt: job.Attempt,
		args: job.Args.data, userID: userIDOf(job.JobRow),
	}
	w.m.setRunning(job.ID, true)
	defer w.m.setRunning(job.ID, false)
	if err := run.begin(ctx); err != nil {
		// Without its progress row the job could not prove it is alive;
		// let river retry it.
		return fmt.Errorf("start job %d: %w", job.ID, err)
	}
	hctx, cancel := context.WithTimeoutCause(ctx, w.info.opts.Timeout,
		fmt.Errorf("job %s timed out after %v", w.kind, w.info.opts.Timeout))
	done := make(chan struct{})
	var flushWG sync.WaitGroup
	flushWG.Go(func() { run.flushLoop(done) })
	err := callHandler(hctx, w.info.handler, run)
	// Only the kind's own timeout is named as such: a handler's error that
	// wraps DeadlineExceeded for a deadline of its own (an HTTP client's
	// timeout) stays that error, never nil.
	if err != nil && errors.Is(err, context.DeadlineExceeded) && ctx.Err() == nil && hctx.Err() != nil {
		err = context.Cause(hctx)
	}
	cancel()
	close(done)
	flushWG.Wait()

	remoteCancel := errors.Is(context.Cause(ctx), river.ErrJobCancelledRemotely)
	final := err != nil && !remoteCancel && ctx.Err() == nil &&
		(IsPermanent(err) || job.Attempt >= w.info.opts.MaxAttempts)
	switch {
	case err == nil:
		run.Progress(1, "")
		run.Logf("--- attempt %d succeeded ---", job.Attempt)
	case remoteCancel:
		run.Logf("--- attempt %d cancelled: %v ---", job.Attempt, err)
	case final:
		run.Logf("--- attempt %d failed for good: %v ---", job.Attempt, err)
	default:
		run.Logf("--- attempt %d failed: %v ---", job.Attempt, err)
	}
	// The final flush uses a context that outlives a shutdown's cancel.
	fctx, fcancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer fcancel()
	if ferr := run.flush(fctx, final); ferr != nil {
		w.m.log.Warn("store job progress", "job", job.ID, "err", ferr)
	}
	if final {
		// NOTE: river's JobCancel is its only "no more attempts" outcome;
		// the progress row's permanent flag makes it read as failed.
		return river.JobCancel(err)
	}
	return err
}

// callHandler runs h, turning a panic into an error.
func callHandler(ctx context.Context, h Handler, run *Run) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("job handler panicked: %v", r)
		}
	}()
	return h(ctx, run)
}

func userIDOf(r *rivertype.JobRow) int64 {
	var meta struct {
		UserID int64 `json:"left4me_user_id"`
	}
	_ = json.Unmarshal(r.Metadata, &meta)
	return meta.UserID
}

// Run is one attempt of a job, given to its Handler. Its methods are safe
// for concurrent use; progress and log reach the database every
// Config.FlushInterval and when the handler returns.
type Run struct {
	m       *Manager
	id      int64
	kind    string
	attempt int
	args    json.RawMessage
	userID  int64

	mu        sync.Mutex
	progress  float64
	message   string
	logBuf    []byte
	dirty     bool
	lastFlush time.Time
}

// ID is the job's id.
func (r *Run) ID() int64 { return r.id }

// Kind is the job's kind.
func (r *Run) Kind() string { return r.kind }

// Attempt counts this attempt, from 1.
func (r *Run) Attempt() int { return r.attempt }

// UserID is the user who asked for the job (0: the system).
func (r *Run) UserID() int64 { return r.userID }

// Args decodes the job's JSON args into v. A decoding error is permanent:
// the same args will never decode.
func (r *Run) Args(v any) error {
	if err := json.Unmarshal(r.args, v); err != nil {
		return Permanent(fmt.Errorf("decode %s job args: %w", r.kind, err))
	}
	return nil
}

// RawArgs returns the job's args as stored.
func (r *Run) RawArgs() json.RawMessage { return r.args }

// Progress sets the fraction done (clamped to 0..1; NaN is ignored) and a
// short message for the UI ("" keeps the previous message).
func (r *Run) Progress(fraction float64, message string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !math.IsNaN(fraction) {
		r.progress = min(max(fraction, 0), 1)
	}
	if message != "" {
		r.message = message
	}
	r.dirty = true
}

// Logf appends a line to the job's log.
func (r *Run) Logf(format string, args ...any) {
	line := fmt.Sprintf(format, args...)
	if len(line) == 0 || line[len(line)-1] != '\n' {
		line += "\n"
	}
	r.appendLog([]byte(line))
}

// LogWriter returns a writer whose bytes are appended to the job's log (for
// a command's output).
func (r *Run) LogWriter() io.Writer { return logWriter{r} }

type logWriter struct{ r *Run }

func (w logWriter) Write(p []byte) (int, error) {
	w.r.appendLog(p)
	return len(p), nil
}

func (r *Run) appendLog(p []byte) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.logBuf = append(r.logBuf, p...)
	// A stalled database must not grow memory without bound.
	if over := len(r.logBuf) - r.m.cfg.LogCap; over > 0 {
		r.logBuf = append(r.logBuf[:0], r.logBuf[over:]...)
	}
	r.dirty = true
}

// begin writes the attempt's progress row and first heartbeat.
func (r *Run) begin(ctx context.Context) error {
	header := fmt.Sprintf("--- attempt %d started %s ---\n", r.attempt, time.Now().UTC().Format(time.RFC3339))
	r.lastFlush = time.Now()
	if err := r.m.beginAttempt(ctx, r.id, r.attempt, header); err != nil {
		return err
	}
	r.m.publish(Event{JobID: r.id, Kind: r.kind, State: StateRunning})
	return nil
}

// flushLoop writes changes every FlushInterval and a heartbeat every
// Heartbeat until done is closed.
func (r *Run) flushLoop(done <-chan struct{}) {
	t := time.NewTicker(min(r.m.cfg.FlushInterval, r.m.cfg.Heartbeat))
	defer t.Stop()
	for {
		select {
		case <-done:
			return
		case <-t.C:
		}
		r.mu.Lock()
		due := r.dirty || time.Since(r.lastFlush) >= r.m.cfg.Heartbeat
		r.mu.Unlock()
		if !due {
			continue
		}
		ctx, cancel := context.WithTimeout(context.Background(), r.m.cfg.Heartbeat)
		if err := r.flush(ctx, false); err != nil {
			r.m.log.Warn("store job progress", "job", r.id, "err", err)
		}
		cancel()
	}
}

// flush writes progress, message, new log bytes and the heartbeat;
// permanent marks the attempt as the job's last.
func (r *Run) flush(ctx context.Context, permanent bool) error {
	r.mu.Lock()
	progress, message, logBytes, dirty := r.progress, r.message, r.logBuf, r.dirty
	r.logBuf, r.dirty = nil, false
	r.mu.Unlock()
	if err := r.m.writeProgress(ctx, r.id, r.attempt, progress, message, string(logBytes), permanent); err != nil {
		// Keep the lines for the next flush.
		r.mu.Lock()
		r.logBuf = append(logBytes, r.logBuf...)
		r.dirty = true
		r.mu.Unlock()
		return err
	}
	r.mu.Lock()
	r.lastFlush = time.Now()
	r.mu.Unlock()
	if dirty {
		r.m.publish(Event{JobID: r.id, Kind: r.kind, State: StateRunning, Progress: progress, Message: message})
	}
	return nil
}
