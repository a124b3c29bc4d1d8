// Package events turns the game servers' logs into a per-instance event
// feed: connects, disconnects, chat, map changes and RCON commands. A
// Recorder receives the log lines — as UDP packets (internal/srcds's
// LogListener), from each running instance's console log (FollowConsoles),
// or both, one event per line either way (dedup.go) — and stores the events
// (internal/store, which keeps the newest store.EventRetention per instance);
// the panel and the API read them from the store.
package events

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/left4me/left4me/internal/srcds"
	"github.com/left4me/left4me/internal/store"
)

// Event is one feed entry; the store defines it so both share one type.
type Event = store.Event

// Event kinds.
const (
	KindConnect    = "connect"    // Player, SteamID
	KindEntered    = "entered"    // Player, SteamID
	KindDisconnect = "disconnect" // Player, SteamID, Text: the reason
	KindChat       = "chat"       // Player, SteamID, Text
	KindTeamChat   = "team_chat"  // Player, SteamID, Text
	KindMap        = "map"        // Map: the map started
	KindRCON       = "rcon"       // Text: the command, or "bad password from ADDR"
	KindOther      = "other"      // Text: the raw log message (only with Config.KeepOther)
)

// Store persists events; *store.Store implements it.
type Store interface {
	AddEvent(ctx context.Context, e store.Event) (store.Event, error)
}

// Sources tells which instance runs on a game port (srcds sends its log
// packets from its game port), with its sv_logsecret if it has one.
type Sources interface {
	LogSource(ctx context.Context, port int) (srcds.LogSource, bool, error)
}

// SourcesFunc adapts a function to Sources.
type SourcesFunc func(ctx context.Context, port int) (srcds.LogSource, bool, error)

// LogSource calls f.
func (f SourcesFunc) LogSource(ctx context.Context, port int) (srcds.LogSource, bool, error) {
	return f(ctx, port)
}

// Config configures a Recorder.
type Config struct {
	// Bind is the UDP address to listen on (LOG_LISTENER_BIND), e.g.
	// "0.0.0.0:27500"; port 0 picks one. Empty: no UDP listener, events
	// come from the consoles only (FollowConsoles).
	Bind string
	// KeepOther also stores log lines of no known kind (as KindOther).
	KeepOther bool
	// AllowRemote accepts packets from addresses that are not this host's.
	// Off by default: the servers run here, and anyone could send UDP.
	AllowRemote bool
	// OnEvent, when set, hears every event as it is queued (once, however
	// many ways its line came), Instance and At set: the live poller polls
	// a server at once when a player comes or goes or a map starts. It
	// runs on the receiving goroutine and must not block.
	OnEvent func(e Event)
}

const (
	queueSize     = 1024            // events waiting to be stored
	sourceTTL     = 5 * time.Second // how long a port lookup is trusted
	localAddrsTTL = time.Minute     // how long the host's address list is trusted
	storeTimeout  = 10 * time.Second
)

// Recorder receives log packets and stores the events they carry. The
// database cannot stall the receiving socket (a full queue drops new events
// and says so in the log).
type Recorder struct {
	cfg     Config
	sources Sources
	store   Store
	log     *slog.Logger

	listener *srcds.LogListener
	queue    chan Event

	cacheMu    sync.Mutex
	cache      map[int]cachedSource
	localAddrs map[netip.Addr]bool
	localAt    time.Time

	dedup   *dedup    // one event per line, whichever way it came
	started time.Time // console lines older than this were some earlier recorder's

	dropped atomic.Int64 // events dropped because the queue was full
}

type cachedSource struct {
	src     srcds.LogSource
	ok      bool
	expires time.Time
}

// NewRecorder returns a recorder; Listen (or Run) binds its socket. A nil
// logger discards logs.
func NewRecorder(cfg Config, sources Sources, st Store, logger *slog.Logger) *Recorder {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Recorder{
		cfg:     cfg,
		sources: sources,
		store:   st,
		log:     logger,
		queue:   make(chan Event, queueSize),
		cache:   make(map[int]cachedSource),
		dedup:   newDedup(dedupWindow, dedupMax),
		started: time.Now(),
	}
}

// Listen binds the UDP socket (Config.Bind). Run calls it when it has not
// been called and Bind is set; calling it first lets a caller learn Addr
// before Run.
func (r *Recorder) Listen() error {
	if r.listener != nil {
		return nil
	}
	if r.cfg.Bind == "" {
		return errors.New("event recorder: no UDP address to listen on (LOG_LISTENER_BIND)")
	}
	l, err := srcds.ListenLog(r.cfg.Bind, srcds.LogListenerConfig{
		Resolve: r.resolve,
		Handle:  r.handle,
		Logger:  r.log,
	})
	if err != nil {
		return fmt.Errorf("event recorder: %w", err)
	}
	r.listener = l
	return nil
}

// Addr is the bound address (valid after Listen).
func (r *Recorder) Addr() netip.AddrPort {
	if r.listener == nil {
		return netip.AddrPort{}
	}
	return r.listener.Addr()
}

// Run receives (over UDP when Config.Bind is set) and stores events until
// ctx is done.
func (r *Recorder) Run(ctx context.Context) error {
	if r.cfg.Bind != "" {
		if err := r.Listen(); err != nil {
			return err
		}
	}
	wctx, stop := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		r.write(wctx)
	}()
	var err error
	if r.listener != nil {
		err = r.listener.Run(ctx)
	} else {
		<-ctx.Done()
	}
	stop() // also when the socket failed before ctx ended
	wg.Wait()
	if err != nil {
		return fmt.Errorf("event recorder: %w", err)
	}
	return nil
}

// resolve maps a packet's source to its instance, caching answers briefly
// so that a chatty server costs one lookup per few seconds.
func (r *Recorder) resolve(src netip.AddrPort) (srcds.LogSource, bool) {
	now := time.Now()
	r.cacheMu.Lock()
	defer r.cacheMu.Unlock()
	if !r.cfg.AllowRemote && !r.isLocalLocked(src.Addr(), now) {
		return srcds.LogSource{}, false
	}
	port := int(src.Port())
	if c, ok := r.cache[port]; ok && now.Before(c.expires) {
		return c.src, c.ok
	}
	ctx, cancel := context.WithTimeout(context.Background(), storeTimeout)
	defer cancel()
	s, ok, err := r.sources.LogSource(ctx, port)
	if err != nil {
		r.log.Warn("event recorder: look up log source", "port", port, "err", err)
		return srcds.LogSource{}, false // not cached: try again with the next packet
	}
	r.cache[port] = cachedSource{src: s, ok: ok, expires: now.Add(sourceTTL)}
	return s, ok
}

// isLocalLocked reports whether ip is one of this host's addresses.
func (r *Recorder) isLocalLocked(ip netip.Addr, now time.Time) bool {
	if ip.IsLoopback() {
		return true
	}
	// Refresh when stale, and on a miss (at most once a second) so that an
	// address added since is seen.
	stale := r.localAddrs == nil || now.Sub(r.localAt) > localAddrsTTL
	if stale || (!r.localAddrs[ip] && now.Sub(r.localAt) > time.Second) {
		r.localAddrs = hostAddrs()
		r.localAt = now
	}
	return r.localAddrs[ip]
}

func hostAddrs() map[netip.Addr]bool {
	out := map[netip.Addr]bool{}
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		return out
	}
	for _, a := range addrs {
		if pn, ok := a.(*net.IPNet); ok {
			if ip, ok := netip.AddrFromSlice(pn.IP); ok {
				out[ip.Unmap()] = true
			}
		}
	}
	return out
}

// handle runs on the listener's goroutine: convert and queue, never block.
func (r *Recorder) handle(instance string, ev srcds.Event) {
	r.ingest(instance, ev, fromUDP)
}

// ingest converts a log line of instance that arrived from src and queues
// it, unless it is noise or another source already delivered it. It never
// blocks.
func (r *Recorder) ingest(instance string, ev srcds.Event, src source) {
	e, ok := Convert(ev, r.cfg.KeepOther)
	if !ok {
		return
	}
	now := time.Now()
	if !r.dedup.first(instance, ev, src, now) {
		return
	}
	e.Instance = instance
	e.At = now
	if r.cfg.OnEvent != nil {
		r.cfg.OnEvent(e)
	}
	select {
	case r.queue <- e:
	default:
		if n := r.dropped.Add(1); n == 1 || n%100 == 0 {
			r.log.Warn("event recorder: queue full, events dropped", "dropped", n)
		}
	}
}

// write stores queued events.
func (r *Recorder) write(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case e := <-r.queue:
			sctx, cancel := context.WithTimeout(ctx, storeTimeout)
			_, err := r.store.AddEvent(sctx, e)
			cancel()
			if err != nil {
				if errors.Is(err, store.ErrNotFound) {
					// The instance was deleted while its server still sent.
					r.log.Debug("event recorder: event for unknown instance", "instance", e.Instance)
				} else if ctx.Err() == nil {
					r.log.Warn("event recorder: store event", "instance", e.Instance, "err", err)
				}
			}
		}
	}
}

// Convert maps a parsed log line to a feed event (without Instance and At).
// Lines that are noise in a feed — validation, team joins, cvar echoes, log
// file markers, the map-loading line before "Started map", bots coming and
// going, and the panel's own "status" polls — report false, and so do
// unclassified lines unless keepOther is set.
func Convert(ev srcds.Event, keepOther bool) (Event, bool) {
	p := ev.Player
	player := func(kind, text string) (Event, bool) {
		if p.Bot {
			return Event{}, false
		}
		return Event{Kind: kind, Player: p.Name, SteamID: p.SteamID, SteamID64: p.SteamID64, Team: p.Team, Text: text}, true
	}
	switch ev.Type {
	case srcds.EventConnect:
		return player(KindConnect, "")
	case srcds.EventEntered:
		return player(KindEntered, "")
	case srcds.EventDisconnect:
		return player(KindDisconnect, ev.Reason)
	case srcds.EventChat:
		if ev.TeamOnly {
			return player(KindTeamChat, ev.Text)
		}
		return player(KindChat, ev.Text)
	case srcds.EventMapStarted:
		return Event{Kind: KindMap, Map: ev.Map}, true
	case srcds.EventRCON:
		if ev.BadAuth {
			return Event{Kind: KindRCON, Text: "bad password from " + ev.Address}, true
		}
		if srcds.IsPollCommand(ev.Text) {
			return Event{}, false // the live-state poller, every few seconds
		}
		return Event{Kind: KindRCON, Text: ev.Text}, true
	case srcds.EventOther:
		if keepOther {
			return Event{Kind: KindOther, Text: ev.Message}, true
		}
	}
	return Event{}, false
}

// AnnounceAddr is the address to give servers for a listener bound to
// bound: bound itself when its IP is a specific non-loopback one, else this
// host's first non-loopback IPv4 address with bound's port (the kernel
// still delivers it locally). It fails when the host has no such address.
func AnnounceAddr(bound netip.AddrPort) (netip.AddrPort, error) {
	ip := bound.Addr()
	if ip.IsValid() && !ip.IsUnspecified() && !ip.IsLoopback() {
		return bound, nil
	}
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		return netip.AddrPort{}, fmt.Errorf("find an address to announce for the log listener: %w", err)
	}
	for _, a := range addrs {
		pn, ok := a.(*net.IPNet)
		if !ok {
			continue
		}
		v4, ok := netip.AddrFromSlice(pn.IP.To4())
		if ok && pn.IP.To4() != nil && !v4.IsLoopback() && !v4.IsLinkLocalUnicast() {
			return netip.AddrPortFrom(v4, bound.Port()), nil
		}
	}
	return netip.AddrPort{}, errors.New("find an address to announce for the log listener: this host has no non-loopback IPv4 address (srcds drops log destinations in 127.0.0.0/8); set LOG_LISTENER_ADDR")
}
