package workshop

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"syscall"
	"time"
)

// ErrTransient marks an error worth retrying later: a connection reset or
// refused, a timeout, a truncated transfer, HTTP 5xx or 429. The downloader
// already retried it a few times before returning it; a job system may retry
// the whole operation with its own backoff.
var ErrTransient = errors.New("transient network error")

// IsTransient reports whether err (or an error it wraps) is transient.
func IsTransient(err error) bool { return errors.Is(err, ErrTransient) }

// transientErr wraps an error so that errors.Is finds both ErrTransient and
// the original error.
type transientErr struct{ err error }

func (e transientErr) Error() string   { return e.err.Error() }
func (e transientErr) Unwrap() []error { return []error{ErrTransient, e.err} }

func transient(err error) error {
	if err == nil || errors.Is(err, ErrTransient) {
		return err
	}
	return transientErr{err}
}

// classifyNetErr marks errors from an HTTP exchange as transient, except a
// cancelled or expired ctx, which is returned as the context's error.
func classifyNetErr(ctx context.Context, err error) error {
	if cerr := ctx.Err(); cerr != nil {
		return fmt.Errorf("%w (%v)", cerr, err)
	}
	var ne net.Error
	switch {
	case errors.As(err, &ne) && ne.Timeout(),
		errors.Is(err, io.ErrUnexpectedEOF),
		errors.Is(err, io.EOF),
		errors.Is(err, syscall.ECONNRESET),
		errors.Is(err, syscall.ECONNREFUSED),
		errors.Is(err, syscall.ECONNABORTED),
		errors.Is(err, syscall.EPIPE),
		errors.Is(err, syscall.ENETUNREACH),
		errors.Is(err, syscall.EHOSTUNREACH),
		errors.Is(err, errStalled):
		return transient(err)
	}
	var oe *net.OpError
	var de *net.DNSError
	if errors.As(err, &oe) || errors.As(err, &de) {
		return transient(err)
	}
	return err
}

// statusErr describes a non-success HTTP status; 5xx, 408 and 429 are
// transient.
func statusErr(resp *http.Response) error {
	err := fmt.Errorf("HTTP status %s from %s", resp.Status, resp.Request.URL.Redacted())
	if resp.StatusCode >= 500 || resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusRequestTimeout {
		return transient(err)
	}
	return err
}

// Retry is how an operation is retried after a transient error.
type Retry struct {
	// Attempts is the total number of tries (at least 1).
	Attempts int
	// Backoff is the wait before the second try; it doubles for each
	// further try, up to MaxBackoff.
	Backoff    time.Duration
	MaxBackoff time.Duration
}

// defaultRetry tries four times, waiting 2 s, 4 s and 8 s in between.
func defaultRetry() Retry {
	return Retry{Attempts: 4, Backoff: 2 * time.Second, MaxBackoff: 30 * time.Second}
}

// do runs fn until it succeeds, fails with a non-transient error, runs out
// of attempts or ctx ends. The last error is returned.
func (r Retry) do(ctx context.Context, fn func(attempt int) error) error {
	attempts := max(r.Attempts, 1)
	wait := r.Backoff
	var err error
	for i := 1; ; i++ {
		err = fn(i)
		if err == nil || !IsTransient(err) || i >= attempts {
			return err
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("%w (after: %v)", ctx.Err(), err)
		case <-t.C:
		}
		wait *= 2
		if r.MaxBackoff > 0 && wait > r.MaxBackoff {
			wait = r.MaxBackoff
		}
	}
}
