package fakesrcds

import (
	"fmt"
	"net/netip"
	"time"
)

// logLocked emits one log line when logging is on: "L MM/DD/YYYY - HH:MM:SS: msg".
// It goes to the open log file (logfile.go), to the console (sv_logecho) and, as one UDP packet each, to every
// logaddress: FF FF FF FF 'R' line "\n\0", or 'S' + sv_logsecret in place of
// 'R' when a secret is set. Packets leave from the game port, as the
// engine's do.
func (s *Server) logLocked(msg string) {
	if !s.logging {
		return
	}
	line := fmt.Sprintf("L %s: %s", time.Now().Format("01/02/2006 - 15:04:05"), msg)
	s.file.write(line)
	if s.cvars.int("sv_logecho") != 0 {
		s.out.printf("%s", line)
	}
	if len(s.logDests) == 0 || s.udp == nil {
		return
	}
	pkt := []byte{0xFF, 0xFF, 0xFF, 0xFF}
	if secret := s.cvars.str("sv_logsecret"); secret != "" && secret != "0" {
		pkt = append(pkt, 'S')
		pkt = append(pkt, secret...)
	} else {
		pkt = append(pkt, 'R')
	}
	pkt = append(pkt, line...)
	pkt = append(pkt, '\n', 0)
	for _, d := range s.logDests {
		if logDestAllowed(d, s.allowLB) {
			_, _ = s.udp.WriteToUDPAddrPort(pkt, d)
		}
	}
}

// logDestAllowed reports whether log packets go to d.
//
// NOTE: srcds silently drops log destinations in 127.0.0.0/8 (docs/srcds.md §4),
// so the panel must announce a non-loopback address; the stand-in does the
// same unless told otherwise (-allowloopbacklog and friends), for tests on
// hosts without a non-loopback address.
func logDestAllowed(d netip.AddrPort, allowLoopback bool) bool {
	return allowLoopback || !d.Addr().Unmap().Is4() || !d.Addr().Unmap().IsLoopback()
}
