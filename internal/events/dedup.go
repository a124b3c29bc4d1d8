package events

import (
	"strconv"
	"sync"
	"time"

	"github.com/left4me/left4me/internal/srcds"
)

// source is where a log line came from.
type source int

const (
	fromUDP     source = iota // the UDP log listener
	fromConsole               // the instance's console log (journal, child output)
	numSources
)

// Defaults of the de-duplication window.
const (
	// dedupWindow is how long a line is remembered. Both copies of a line
	// arrive within a few seconds of each other (a UDP packet at once, the
	// journal a little later); a line seen again after this is news.
	dedupWindow = 2 * time.Minute
	// dedupMax bounds the lines remembered, whatever the window says.
	dedupMax = 8192
)

// dedup decides which copy of a log line becomes an event when the same
// line reaches the recorder over UDP and through the console (docs/srcds.md
// §8 "UDP logs": either may be missing on a real host).
//
// A line is known by its instance, its own timestamp and its text. A server
// may log the same text twice in one second (a player entering, the map
// changing, entering again), so each source's copies are counted: the n-th
// copy from one source is an event unless another source already delivered
// an n-th copy. Memory is bounded by dedupWindow and dedupMax, oldest first.
type dedup struct {
	window time.Duration
	max    int

	mu    sync.Mutex
	seen  map[string]*seenLine
	order []string // keys, oldest first
}

type seenLine struct {
	first time.Time
	count [numSources]int
}

func newDedup(window time.Duration, max int) *dedup {
	return &dedup{window: window, max: max, seen: map[string]*seenLine{}}
}

// first reports whether this copy of ev from src is the first of its kind
// and so should become an event.
func (d *dedup) first(instance string, ev srcds.Event, src source, now time.Time) bool {
	key := instance + "\x00" + strconv.FormatInt(ev.Time.Unix(), 10) + "\x00" + ev.Message
	d.mu.Lock()
	defer d.mu.Unlock()
	d.expireLocked(now)
	l := d.seen[key]
	if l == nil {
		l = &seenLine{first: now}
		d.seen[key] = l
		d.order = append(d.order, key)
	}
	l.count[src]++
	for other, n := range l.count {
		if source(other) != src && n >= l.count[src] {
			return false
		}
	}
	return true
}

// expireLocked forgets lines older than the window, and the oldest lines
// while there is no room for one more.
func (d *dedup) expireLocked(now time.Time) {
	drop := 0
	for drop < len(d.order) {
		l := d.seen[d.order[drop]]
		if len(d.seen) < d.max && now.Sub(l.first) <= d.window {
			break
		}
		delete(d.seen, d.order[drop])
		drop++
	}
	// Slicing from the front keeps memory bounded: append reallocates
	// once the shrinking capacity runs out, leaving the dropped part behind.
	d.order = d.order[drop:]
}
