package fakesrcds

import (
	"errors"
	"fmt"
	"net"
)

// The engine's extra UDP sockets (docs/srcds.md §8): besides the game port
// it always opens a client socket and, unless -nohltv, a SourceTV (HLTV)
// socket, each searching upwards from its start port.
const (
	// DefaultClientPort is where the client socket's search starts unless
	// +clientport says otherwise.
	DefaultClientPort = 27005
	// DefaultTVPort is where the HLTV socket's search starts unless
	// +tv_port says otherwise.
	DefaultTVPort = 27020
	// portTries is how many consecutive ports a search tries (the start
	// port and up to 9 above it) unless -strictportbind.
	portTries = 10
)

// errNoPort is wrapped by the fatal errors of a failed extra-port search.
var errNoPort = errors.New("no free port")

// bindExtra opens the client socket and, unless -nohltv, the HLTV socket
// on the server's IP, after the game port (the engine's order). The client
// socket tries its start port and the 9 above it, then any port; the HLTV
// socket tries the same 10 ports and is fatal when none is free. With
// -strictportbind only the start port is tried (the client socket still
// falls back to any port; unverified for the engine, which applies the
// switch to every socket it opens).
//
// NOTE: with a game port of 0 (the stand-in's "pick a free port", which
// tests use to run many servers at once) the extra sockets default to any
// port too; a given +clientport or +tv_port is still honoured.
func (s *Server) bindExtra(ip net.IP) error {
	start := s.opts.ClientPort
	if start == 0 && s.opts.Port != 0 {
		start = DefaultClientPort
	}
	c, err := s.searchUDP(ip, start, "client")
	if err != nil {
		// NOTE: the engine falls back to any port only for the client
		// socket (docs/srcds.md §8); under SocketBindDeny=any that bind is
		// refused where systemd enforces socket binding.
		if c, err = net.ListenUDP("udp", &net.UDPAddr{IP: ip}); err != nil {
			s.out.printf("WARNING: UDP_OpenSocket: port: 0  bind: %v", err)
			s.out.printf("Couldn't allocate any client IP port")
			return fmt.Errorf("bind client port (UDP %s, from %d): %w", s.opts.IP, start, err)
		}
	}
	s.clientUDP = c
	if s.opts.NoHLTV {
		return nil
	}
	start = s.opts.TVPort
	if start == 0 && s.opts.Port != 0 {
		start = DefaultTVPort
	}
	tv, err := s.searchUDP(ip, start, "HLTV")
	if err != nil {
		s.out.printf("Couldn't allocate any HLTV IP port")
		_ = s.clientUDP.Close()
		s.clientUDP = nil
		return fmt.Errorf("bind SourceTV port (UDP %s, %d-%d; -nohltv turns it off): %w", s.opts.IP, start, start+portTries-1, err)
	}
	s.tvUDP = tv
	s.out.printf("SourceTV (HLTV) socket on port %d", udpPort(tv))
	return nil
}

// searchUDP binds a UDP socket on the first free port of start and the 9
// above it (only start with -strictportbind), printing a warning for each
// taken one. A start of 0 binds any port.
func (s *Server) searchUDP(ip net.IP, start int, what string) (*net.UDPConn, error) {
	if start == 0 {
		c, err := net.ListenUDP("udp", &net.UDPAddr{IP: ip})
		if err != nil {
			s.out.printf("WARNING: UDP_OpenSocket: port: 0  bind: %v", err)
			return nil, fmt.Errorf("%s socket: %w", what, err)
		}
		return c, nil
	}
	var firstErr error
	for port := start; port < start+portTries && port <= 65535; port++ {
		c, err := net.ListenUDP("udp", &net.UDPAddr{IP: ip, Port: port})
		if err == nil {
			return c, nil
		}
		if firstErr == nil {
			firstErr = err
		}
		s.out.printf("WARNING: UDP_OpenSocket: port: %d  bind: %v", port, err)
		if s.opts.StrictPortBind {
			break
		}
	}
	return nil, fmt.Errorf("%s socket: %w: %w", what, errNoPort, firstErr)
}

// ClientPort is the bound client port (UDP).
func (s *Server) ClientPort() int { return udpPort(s.clientUDP) }

// TVPort is the bound SourceTV (HLTV) port (UDP), 0 with -nohltv.
func (s *Server) TVPort() int { return udpPort(s.tvUDP) }

func udpPort(c *net.UDPConn) int {
	if c == nil {
		return 0
	}
	return c.LocalAddr().(*net.UDPAddr).Port
}
