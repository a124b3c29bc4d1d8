package web

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"sync"
	"time"

	"github.com/left4me/left4me/internal/events"
	"github.com/left4me/left4me/internal/instance"
	"github.com/left4me/left4me/internal/live"
	"github.com/left4me/left4me/internal/srcds"
	"github.com/left4me/left4me/internal/views"
)

// Adapters from the live poller, the RCON client and the instance service
// to what the panel consumes. cmd/left4me and the browser test share them.

// PollerLive serves the panel's live state from a live.Poller.
func PollerLive(p *live.Poller) LiveSource { return pollerLive{p} }

type pollerLive struct{ p *live.Poller }

// Subscribe passes the poller's notifications on (LiveNotifier).
func (l pollerLive) Subscribe() (<-chan struct{}, func()) { return l.p.Subscribe() }

// Live converts the poller's snapshot (views.LiveFromSnapshot).
func (l pollerLive) Live(name string) (LiveState, bool) {
	snap, ok := l.p.Snapshot(name)
	if !ok {
		return LiveState{}, false
	}
	return views.LiveFromSnapshot(snap)
}

// PollOnEvent makes the live poller poll a server at once when its log
// says that its players or its map changed: a player connected, entered
// the game or left, a map started (the events recorder's OnEvent). Other
// events change nothing the live state shows.
func PollOnEvent(p *live.Poller) func(events.Event) {
	return func(e events.Event) {
		switch e.Kind {
		case events.KindConnect, events.KindEntered, events.KindDisconnect, events.KindMap:
			p.Kick(e.Instance)
		}
	}
}

// rconAddr is where an instance's server takes RCON on this host: loopback
// works for RCON with +ip 0.0.0.0.
func rconAddr(port int) string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(port)) }

// LiveTargets lists the running instances for the live poller; states
// (the supervisor) says which are running. A nil states asks svc.
// queryHost is the host address A2S queries go to.
//
// NOTE: the real server does not answer A2S sent to 127.0.0.1
// (docs/srcds.md §8): A2S goes to a non-loopback address of the host
// (LEFT4ME_QUERY_HOST, default its primary address), RCON to loopback.
func LiveTargets(svc Instances, states StatusReader, queryHost netip.Addr) live.TargetFunc {
	if states == nil {
		states = svc
	}
	return func(ctx context.Context) ([]live.Target, error) {
		all, err := svc.List(ctx)
		if err != nil {
			return nil, err
		}
		var out []live.Target
		for _, in := range all {
			st, err := states.Status(ctx, in.Name)
			if err != nil || st.State != instance.Running {
				continue
			}
			// The port it was launched with: a changed port applies at
			// the next start.
			port := in.ServerPort()
			out = append(out, live.Target{
				Name:         in.Name,
				RCONAddr:     rconAddr(port),
				A2SAddr:      netip.AddrPortFrom(queryHost, uint16(port)).String(),
				RCONPassword: in.RCONPassword,
				Run:          st.Since,
			})
		}
		return out, nil
	}
}

// RCONConsole sends console commands over one kept RCON connection per
// instance (an srcds.Session), so that the console does not authenticate
// anew for every command. A connection the server closed (a ban, a new
// rcon_password, a restart) is dialled again; a command is sent again
// only when it did not reach the server or is idempotent (srcds.Idempotent).
// Each command is bounded by timeout.
func RCONConsole(timeout time.Duration) Console {
	c := &consoleSessions{timeout: timeout, sessions: map[string]*srcds.Session{}}
	return ConsoleFunc(c.exec)
}

type consoleSessions struct {
	timeout  time.Duration
	mu       sync.Mutex
	sessions map[string]*srcds.Session // by instance name
	keys     map[string]string         // address and password each was made for
}

func (c *consoleSessions) session(inst instance.Instance) *srcds.Session {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.keys == nil {
		c.keys = map[string]string{}
	}
	key := rconAddr(inst.ServerPort()) + "\x00" + inst.RCONPassword
	if s, ok := c.sessions[inst.Name]; ok && c.keys[inst.Name] == key {
		return s
	} else if ok {
		_ = s.Close() // the port or password changed
	}
	s := srcds.NewSession(rconAddr(inst.ServerPort()), inst.RCONPassword)
	c.sessions[inst.Name], c.keys[inst.Name] = s, key
	return s
}

func (c *consoleSessions) exec(ctx context.Context, inst instance.Instance, command string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	out, err := c.session(inst).Exec(ctx, command, srcds.Idempotent(command))
	if err != nil {
		return "", fmt.Errorf("send to %s: %w", inst.Name, err)
	}
	return out, nil
}

// LogSources tells the events recorder which instance sends from a port:
// the one whose server was launched on it. When a stopped instance was last
// launched on the port too (its port changed since), the running one wins.
func LogSources(svc Instances) func(ctx context.Context, port int) (srcds.LogSource, bool, error) {
	return func(ctx context.Context, port int) (srcds.LogSource, bool, error) {
		all, err := svc.List(ctx)
		if err != nil {
			return srcds.LogSource{}, false, err
		}
		var found []string
		for _, in := range all {
			if in.ServerPort() == port {
				found = append(found, in.Name)
			}
		}
		if len(found) == 0 {
			return srcds.LogSource{}, false, nil
		}
		if len(found) > 1 {
			for _, name := range found {
				if st, err := svc.Status(ctx, name); err == nil && (st.State == instance.Running || st.State == instance.Starting) {
					return srcds.LogSource{Instance: name}, true, nil
				}
			}
		}
		return srcds.LogSource{Instance: found[0]}, true, nil
	}
}
