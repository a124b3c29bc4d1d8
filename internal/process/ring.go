package process

import "sync"

// maxLineBytes is the longest console line kept whole; longer ones are cut.
const maxLineBytes = 16 << 10

// followerBuffer is how many lines a follower may lag behind before it
// starts losing lines.
const followerBuffer = 256

// ring keeps the last lines of an instance's console and fans new lines out
// to followers without ever blocking the writer: a follower whose buffer is
// full misses lines.
type ring struct {
	mu    sync.Mutex
	lines []string
	next  int // index the next line goes to
	full  bool
	subs  map[chan string]struct{}
}

func newRing(size int) *ring {
	return &ring{lines: make([]string, size), subs: map[chan string]struct{}{}}
}

func (r *ring) add(line string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.lines[r.next] = line
	r.next++
	if r.next == len(r.lines) {
		r.next, r.full = 0, true
	}
	for ch := range r.subs {
		select {
		case ch <- line:
		default: // slow follower: drop, never block the server
		}
	}
}

// tail returns up to the last n lines, oldest first.
func (r *ring) tail(n int) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	count := r.next
	if r.full {
		count = len(r.lines)
	}
	n = min(max(n, 0), count)
	out := make([]string, 0, n)
	start := r.next - n
	for i := range n {
		idx := start + i
		if idx < 0 {
			idx += len(r.lines)
		}
		out = append(out, r.lines[idx])
	}
	return out
}

func (r *ring) subscribe() (<-chan string, func()) {
	ch := make(chan string, followerBuffer)
	r.mu.Lock()
	r.subs[ch] = struct{}{}
	r.mu.Unlock()
	return ch, func() {
		r.mu.Lock()
		delete(r.subs, ch)
		r.mu.Unlock()
	}
}
