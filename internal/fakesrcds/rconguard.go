package fakesrcds

import (
	"net"
	"net/netip"
	"time"
)

// rconGuard is what the engine's RCON server remembers across connections:
// how many auths each address failed, and which addresses are banned.
// Guarded by Server.mu; the maps are made on first use.
//
// Engine behaviour (docs/srcds.md §8), as seen in a public copy of the
// Source engine's sv_rcon.cpp: SetPassword, run whenever rcon_password is
// set, closes every accepted socket (authenticated or not); HandleFailedRconAuth counts failures
// per address and, past sv_rcon_maxfailures, prints "Banning ADDR for rcon
// hacking attempts", runs "addip sv_rcon_banpenalty ADDR" and closes the
// socket. That copy bans on the failure after the limit; the stand-in bans
// on reaching it, one failure earlier, to be the stricter of the two.
type rconGuard struct {
	fails map[netip.Addr]int
	bans  map[netip.Addr]time.Time // ban end; zero time: until restart
}

// rconAddr is the IP a connection comes from.
func rconAddr(c net.Conn) netip.Addr {
	if ta, ok := c.RemoteAddr().(*net.TCPAddr); ok {
		return ta.AddrPort().Addr().Unmap()
	}
	ap, err := netip.ParseAddrPort(c.RemoteAddr().String())
	if err != nil {
		return netip.Addr{}
	}
	return ap.Addr().Unmap()
}

// rconBannedLocked reports whether addr is banned now, forgetting a ban
// that ran out.
func (s *Server) rconBannedLocked(addr netip.Addr) bool {
	until, ok := s.rconState.bans[addr]
	if !ok {
		return false
	}
	if !until.IsZero() && time.Now().After(until) {
		delete(s.rconState.bans, addr)
		delete(s.rconState.fails, addr)
		return false
	}
	return true
}

// rconAuthOKLocked records a successful auth and logs it.
//
// NOTE: the engine's copy seen logs no line for a successful auth; the
// stand-in prints `rcon from "IP:PORT": password accepted` (its own
// wording) so that tests and the e2e harness can count auths in the console
// log.
func (s *Server) rconAuthOKLocked(c net.Conn) {
	s.rconLogLocked(c.RemoteAddr().String(), "password accepted", nil)
}

// rconAuthFailedLocked records a failed auth, logs it as the engine logs a
// refused command (`rcon from "IP:PORT": Bad Password`; for a failed auth
// itself the wording is unverified) and reports whether the address is now
// banned.
func (s *Server) rconAuthFailedLocked(c net.Conn) bool {
	s.rconLogLocked(c.RemoteAddr().String(), "Bad Password", nil)
	addr := rconAddr(c)
	if s.rconState.fails == nil {
		s.rconState.fails = map[netip.Addr]int{}
	}
	s.rconState.fails[addr]++
	if s.rconState.fails[addr] < max(1, s.cvars.int("sv_rcon_maxfailures")) {
		return false
	}
	if s.rconState.bans == nil {
		s.rconState.bans = map[netip.Addr]time.Time{}
	}
	var until time.Time
	penalty := s.cvars.float("sv_rcon_banpenalty")
	if penalty > 0 {
		until = time.Now().Add(time.Duration(penalty * float64(time.Minute)))
	}
	s.rconState.bans[addr] = until
	s.out.printf("Banning %s for rcon hacking attempts", addr)
	return true
}

// rconCloseFromLocked closes every RCON connection from addr (a ban).
func (s *Server) rconCloseFromLocked(addr netip.Addr) {
	for c := range s.conns {
		if rconAddr(c) == addr {
			hangUp(c)
		}
	}
}

// hangUp closes a connection whose handler may be blocked reading it.
// Close alone releases the socket only once that read returns; shutting
// the write side first sends the FIN at once, so the client sees the
// connection closed as soon as the server has decided so.
func hangUp(c net.Conn) {
	if tc, ok := c.(*net.TCPConn); ok {
		_ = tc.CloseWrite()
	}
	_ = c.Close()
}

// rconCloseAllLocked closes every RCON connection, as the engine does
// whenever rcon_password is set, even to the same value.
func (s *Server) rconCloseAllLocked() {
	for c := range s.conns {
		hangUp(c)
	}
}
