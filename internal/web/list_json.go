package web

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/left4me/left4me/internal/views"
)

// The JSON instance list (GET /api/v1/instances) encodes each instance's
// view once and reuses the bytes while the view stays the same. Profiled
// on the benchmark's 100 instances (BenchmarkPanelLists), encoding and
// indenting the views (json.go) was most of a request's CPU,
// while between two polls of the live poller nothing in them changes.
//
// Nothing is trusted to say when a view changed: every request builds the
// views afresh (describe: the record, the state from the supervisor, the
// live snapshot of this run), and the bytes are reused only when the view
// equals, field by field (sameView), the one they were encoded from. A
// start, stop, restart, map change or join therefore shows in the first
// list after the supervisor or the poller has it, exactly as without the
// cache, and bytes encoded for one viewer are sent to another only when
// that viewer's own view is the same (an RCON password differs, so it is
// never sent to a viewer whose view has none).

// listElemPrefix is the indentation of an element of the list's
// "instances" array: the document is {"instances": [...]}, two levels.
const listElemPrefix = jsonIndent + jsonIndent

// viewBytes keeps the last encoding of each instance's view.
type viewBytes struct {
	mu      sync.Mutex
	entries map[viewKey]viewEntry
	// size is the length of the last list written, the next one's
	// buffer size.
	size atomic.Int64
}

func (c *viewBytes) sizeHint() int  { return int(c.size.Load()) + 512 }
func (c *viewBytes) noteSize(n int) { c.size.Store(int64(n)) }

// viewKey names an entry: viewers who may see the RCON password and those
// who may not get different views of the same instance; keeping both
// saves encoding one for the other's request (the key is not what makes
// reusing right: sameView is).
type viewKey struct {
	name   string
	secret bool
}

type viewEntry struct {
	view views.Instance // what json was encoded from; never changed
	json []byte         // the view indented as an element of the list
}

// encoded answers v's JSON indented as an element of the list. n is how
// many instances there are: entries of deleted instances are forgotten
// when there are many more entries than that.
func (c *viewBytes) encoded(v views.Instance, n int) ([]byte, error) {
	key := viewKey{name: v.Name, secret: v.RCONPassword != ""}
	c.mu.Lock()
	e, ok := c.entries[key]
	c.mu.Unlock()
	if ok && sameView(e.view, v) {
		return e.json, nil
	}
	compact, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("encode the view of %s: %w", v.Name, err)
	}
	b, err := indentedElem(compact, listElemPrefix)
	if err != nil {
		return nil, fmt.Errorf("indent the view of %s: %w", v.Name, err)
	}
	c.mu.Lock()
	if c.entries == nil || len(c.entries) > 2*n+16 {
		c.entries = make(map[viewKey]viewEntry, 2*n)
	}
	c.entries[key] = viewEntry{view: v, json: b}
	c.mu.Unlock()
	return b, nil
}

// appendInstanceList appends {"instances": list} as writeJSON writes it,
// each element from the cache; n is how many instances there are (all,
// not only those of this viewer: viewers who see fewer must not empty the
// cache of those who see more).
func (s *Server) appendInstanceList(dst []byte, list []instanceView, n int) ([]byte, error) {
	dst = append(dst, "{\n"+jsonIndent+`"instances": [`...)
	for i := range list {
		b, err := s.listJSON.encoded(list[i].Instance, n)
		if err != nil {
			return nil, err
		}
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, "\n"+listElemPrefix...)
		dst = append(dst, b...)
	}
	if len(list) > 0 {
		dst = append(dst, "\n"+jsonIndent...)
	}
	return append(dst, "]\n}\n"...), nil
}

// sameView reports whether a and b are the same view, every field (those
// the JSON leaves out too) equal, slices and maps element by element, nil
// apart from empty (they encode differently). TestSameViewComparesEveryField
// fails when a field is added to the views and not here.
func sameView(a, b views.Instance) bool {
	return a.Name == b.Name && a.Owner == b.Owner && a.Port == b.Port && a.PendingPort == b.PendingPort &&
		a.Connect == b.Connect && a.SteamConnect == b.SteamConnect &&
		sameStrings(a.Layers, b.Layers) && sameStrings(a.Args, b.Args) &&
		a.State == b.State && a.Since == b.Since && a.StateError == b.StateError &&
		a.WantRunning == b.WantRunning && a.Autostart == b.Autostart && a.Watchdog == b.Watchdog &&
		a.Unhealthy == b.Unhealthy && a.UnhealthySince == b.UnhealthySince && a.UnhealthyReason == b.UnhealthyReason &&
		a.RCONPassword == b.RCONPassword && a.CreatedAt == b.CreatedAt && a.UpdatedAt == b.UpdatedAt &&
		sameStrings(a.LastLines, b.LastLines) && a.LastLinesError == b.LastLinesError &&
		sameLive(a.Live, b.Live) &&
		(a.Pins == nil) == (b.Pins == nil) && maps.Equal(a.Pins, b.Pins) &&
		sameStrings(a.Stale, b.Stale)
}

func sameLive(a, b *views.Live) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Online == b.Online && a.Hostname == b.Hostname && a.Map == b.Map &&
		a.Humans == b.Humans && a.Bots == b.Bots && a.MaxPlayers == b.MaxPlayers &&
		(a.Players == nil) == (b.Players == nil) && slices.Equal(a.Players, b.Players) && // Player is comparable
		a.UpdatedAt == b.UpdatedAt && a.Hibernating == b.Hibernating &&
		a.NotAnswering == b.NotAnswering && a.Error == b.Error && a.Run == b.Run
}

func sameStrings(a, b []string) bool {
	return (a == nil) == (b == nil) && slices.Equal(a, b)
}
