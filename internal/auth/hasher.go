package auth

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"time"

	"golang.org/x/sync/semaphore"
)

// DefaultConcurrentHashes is how many argon2id computations a Hasher runs
// at once by default. Each takes 64 MiB (argonMemory): two keep a login
// burst to about 128 MiB of hashing memory, whatever its size.
const DefaultConcurrentHashes = 2

// DefaultHashWait is how long a password check waits for its turn before
// it is refused with ErrHashBusy.
const DefaultHashWait = 3 * time.Second

// ErrHashBusy says every password-hashing slot stayed taken for the whole
// wait: the caller should answer "try again shortly" (503 with Retry-After).
var ErrHashBusy = errors.New("too many password checks at once")

// Hasher bounds the memory of password hashing: at most a fixed number of
// argon2id computations run at once, others wait their turn for a while and
// are then refused. Without it each concurrent login, real or made up, costs
// another 64 MiB (an attack review took the panel from 166 MiB to 2 GiB with
// 32 concurrent wrong logins). It is safe for concurrent use.
type Hasher struct {
	sem  *semaphore.Weighted
	wait time.Duration
}

// NewHasher returns a Hasher running at most concurrent computations, each
// waiting at most wait for its turn. Non-positive values take the defaults.
func NewHasher(concurrent int, wait time.Duration) *Hasher {
	if concurrent <= 0 {
		concurrent = DefaultConcurrentHashes
	}
	if wait <= 0 {
		wait = DefaultHashWait
	}
	return &Hasher{sem: semaphore.NewWeighted(int64(concurrent)), wait: wait}
}

func (h *Hasher) acquire(ctx context.Context) (func(), error) {
	wctx, cancel := context.WithTimeout(ctx, h.wait)
	defer cancel()
	if err := h.sem.Acquire(wctx, 1); err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, fmt.Errorf("%w (waited %s)", ErrHashBusy, h.wait)
	}
	return func() {
		// The 64 MiB of the computation are garbage now; collect them before
		// the next one starts, or the heap grows to twice the live hashes
		// (GOGC) before the collector returns the memory.
		runtime.GC()
		h.sem.Release(1)
	}, nil
}

// Verify is VerifyPassword in one of the Hasher's slots.
func (h *Hasher) Verify(ctx context.Context, encoded, password string) error {
	release, err := h.acquire(ctx)
	if err != nil {
		return err
	}
	defer release()
	return VerifyPassword(encoded, password)
}

// Hash is HashPassword in one of the Hasher's slots.
func (h *Hasher) Hash(ctx context.Context, password string) (string, error) {
	release, err := h.acquire(ctx)
	if err != nil {
		return "", err
	}
	defer release()
	return HashPassword(password)
}
