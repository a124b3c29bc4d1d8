package srcds

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
)

// LogSource is the instance a log packet's sender belongs to.
type LogSource struct {
	Instance string
	// Secret is the instance's sv_logsecret; "" or "0" means its packets
	// carry none. A packet that does not match is dropped.
	Secret string
}

// LogListenerConfig configures a LogListener.
type LogListenerConfig struct {
	// Resolve maps a packet's source address to its instance. srcds sends
	// its log packets from its game port, so a resolver keyed by the source
	// port (checking the address is one of the host's) is the usual one.
	// Packets it does not know are dropped. Required.
	Resolve func(src netip.AddrPort) (LogSource, bool)
	// Handle receives each event, in arrival order, on Run's goroutine: it
	// must not block for long. Required.
	Handle func(instance string, ev Event)
	// Logger reports dropped packets at debug level; nil is slog.Default().
	Logger *slog.Logger
}

// LogListener receives srcds UDP log packets ("logaddress_add") and turns
// them into events per instance.
//
// NOTE: the engine silently drops log destinations in 127.0.0.0/8
// (docs/srcds.md §4): the address announced to servers must be a non-loopback
// address of the host, even though the listener may be bound to 0.0.0.0.
type LogListener struct {
	conn *net.UDPConn
	cfg  LogListenerConfig
}

// ListenLog binds a UDP socket on addr ("ip:port"; port 0 picks one).
func ListenLog(addr string, cfg LogListenerConfig) (*LogListener, error) {
	if cfg.Resolve == nil || cfg.Handle == nil {
		return nil, errors.New("log listener: Resolve and Handle are required")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	ua, err := net.ResolveUDPAddr("udp", addr)
	if err != nil {
		return nil, fmt.Errorf("log listener: address %q: %w", addr, err)
	}
	conn, err := net.ListenUDP("udp", ua)
	if err != nil {
		return nil, fmt.Errorf("log listener: bind %s: %w", addr, err)
	}
	return &LogListener{conn: conn, cfg: cfg}, nil
}

// Addr is the bound address.
func (l *LogListener) Addr() netip.AddrPort {
	return l.conn.LocalAddr().(*net.UDPAddr).AddrPort()
}

// Run receives packets until ctx is cancelled (then it closes the socket
// and returns nil) or the socket fails.
func (l *LogListener) Run(ctx context.Context) error {
	stop := context.AfterFunc(ctx, func() { _ = l.conn.Close() })
	defer stop()
	buf := make([]byte, 4096)
	for {
		n, src, err := l.conn.ReadFromUDPAddrPort(buf)
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, net.ErrClosed) {
				return nil
			}
			return fmt.Errorf("log listener: receive: %w", err)
		}
		src = netip.AddrPortFrom(src.Addr().Unmap(), src.Port())
		l.deliver(buf[:n], src)
	}
}

func (l *LogListener) deliver(pkt []byte, src netip.AddrPort) {
	source, ok := l.cfg.Resolve(src)
	if !ok {
		l.cfg.Logger.Debug("log packet from unknown source dropped", "src", src.String())
		return
	}
	ev, err := ParseLogPacket(pkt, source.Secret)
	if err != nil {
		l.cfg.Logger.Debug("log packet dropped", "src", src.String(), "instance", source.Instance, "err", err)
		return
	}
	l.cfg.Handle(source.Instance, ev)
}
