package fakesrcds

import (
	"bufio"
	"crypto/subtle"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"time"
)

// RCON packet types (docs/srcds.md §3).
const (
	rconAuth          = 3
	rconAuthResponse  = 2
	rconExecCommand   = 2
	rconResponseValue = 0

	// rconMaxBody is the largest body the engine puts in one packet; longer
	// output is split across several RESPONSE_VALUE packets.
	rconMaxBody = 4096
	// rconMaxPacket bounds the size field of a request: anything larger
	// closes the connection, as the engine does with oversized requests.
	rconMaxPacket = rconMaxBody + 10
)

// rconPacket is one decoded RCON packet.
type rconPacket struct {
	id   int32
	typ  int32
	body string
}

var errRCONSize = errors.New("rcon packet size out of range")

// readRCONPacket reads one packet: int32 size, int32 id, int32 type, body,
// NUL, NUL. The body ends at its first NUL.
func readRCONPacket(r io.Reader) (rconPacket, error) {
	var size int32
	if err := binary.Read(r, binary.LittleEndian, &size); err != nil {
		return rconPacket{}, err
	}
	if size < 10 || size > rconMaxPacket {
		return rconPacket{}, fmt.Errorf("%w: %d", errRCONSize, size)
	}
	buf := make([]byte, size)
	if _, err := io.ReadFull(r, buf); err != nil {
		return rconPacket{}, err
	}
	return decodeRCONPayload(buf)
}

// decodeRCONPayload decodes what follows the size field.
func decodeRCONPayload(buf []byte) (rconPacket, error) {
	if len(buf) < 10 {
		return rconPacket{}, fmt.Errorf("%w: %d", errRCONSize, len(buf))
	}
	p := rconPacket{
		id:  int32(binary.LittleEndian.Uint32(buf[0:4])),
		typ: int32(binary.LittleEndian.Uint32(buf[4:8])),
	}
	body := buf[8:]
	if i := strings.IndexByte(string(body), 0); i >= 0 {
		body = body[:i]
	} else {
		return rconPacket{}, errors.New("rcon packet body not NUL-terminated")
	}
	p.body = string(body)
	return p, nil
}

// encodeRCONPacket builds a packet with the given raw body bytes.
func encodeRCONPacket(id, typ int32, body string) []byte {
	out := make([]byte, 12, 14+len(body))
	binary.LittleEndian.PutUint32(out[0:], uint32(len(body)+10))
	binary.LittleEndian.PutUint32(out[4:], uint32(id))
	binary.LittleEndian.PutUint32(out[8:], uint32(typ))
	out = append(out, body...)
	return append(out, 0, 0)
}

func (s *Server) serveRCON() {
	defer s.wg.Done()
	for {
		conn, err := s.tcp.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			time.Sleep(10 * time.Millisecond)
			continue
		}
		s.mu.Lock()
		if s.isStopping() || s.rconBannedLocked(rconAddr(conn)) {
			// A banned address is hung up on at once (rconguard.go).
			s.mu.Unlock()
			_ = conn.Close()
			continue
		}
		s.conns[conn] = struct{}{}
		s.wg.Add(1)
		s.mu.Unlock()
		go func() {
			defer s.wg.Done()
			s.handleRCON(conn)
			s.mu.Lock()
			delete(s.conns, conn)
			s.mu.Unlock()
			_ = conn.Close()
		}()
	}
}

// handleRCON speaks RCON on one connection until it closes.
func (s *Server) handleRCON(conn net.Conn) {
	r := bufio.NewReader(conn)
	from := conn.RemoteAddr().String()
	authed := false
	banned := false
	for {
		p, err := readRCONPacket(r)
		if err != nil {
			return
		}
		// During a map load the server reads nothing (mapload.go): the
		// request waits, the connection stays open.
		if (p.typ == rconAuth || p.typ == rconExecCommand) && !s.waitLoaded() {
			return
		}
		var out []byte
		switch p.typ {
		case rconAuth:
			// The engine answers an auth request with an empty
			// RESPONSE_VALUE first, then AUTH_RESPONSE: the request's id
			// on success, -1 on failure. No rcon_password means RCON is
			// disabled: every attempt fails. Failures count per address
			// and lead to a ban (rconguard.go).
			s.mu.Lock()
			pw := s.cvars.str("rcon_password")
			ok := pw != "" && subtle.ConstantTimeCompare([]byte(pw), []byte(p.body)) == 1
			if ok {
				s.rconAuthOKLocked(conn)
			} else {
				banned = s.rconAuthFailedLocked(conn)
			}
			s.mu.Unlock()
			out = append(out, encodeRCONPacket(p.id, rconResponseValue, "")...)
			authed = ok
			if ok {
				out = append(out, encodeRCONPacket(p.id, rconAuthResponse, "")...)
			} else {
				out = append(out, encodeRCONPacket(-1, rconAuthResponse, "")...)
			}
		case rconExecCommand:
			if !authed {
				return
			}
			text := s.execRCON(from, p.body)
			if text == "" {
				out = encodeRCONPacket(p.id, rconResponseValue, "")
			}
			for len(text) > 0 {
				n := min(len(text), rconMaxBody)
				out = append(out, encodeRCONPacket(p.id, rconResponseValue, text[:n])...)
				text = text[n:]
			}
		case rconResponseValue:
			if !authed {
				return
			}
			// The end-of-reply trick clients use: the engine mirrors an
			// empty RESPONSE_VALUE back, then sends one more whose body is
			// the bytes 00 01 00 00.
			out = append(encodeRCONPacket(p.id, rconResponseValue, ""),
				encodeRCONPacket(p.id, rconResponseValue, "\x00\x01\x00\x00")...)
		default:
			continue
		}
		_ = conn.SetWriteDeadline(time.Now().Add(10 * time.Second))
		if _, err := conn.Write(out); err != nil {
			return
		}
		if banned {
			s.mu.Lock()
			s.rconCloseFromLocked(rconAddr(conn))
			s.mu.Unlock()
			return
		}
	}
}

// execRCON runs an RCON command and returns its output.
func (s *Server) execRCON(from, text string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var b strings.Builder
	s.execLocked(text, &b)
	s.rconLogLocked(from, fmt.Sprintf("command \"%s\"", text), &b)
	return b.String()
}

// rconLogLocked records an RCON event: as a log line when logging is on
// (which, echoed to the console while the reply is captured, also ends up
// at the end of the reply, as with the engine), else as a console line.
func (s *Server) rconLogLocked(from, what string, reply io.Writer) {
	msg := fmt.Sprintf("rcon from \"%s\": %s", from, what)
	if !s.logging {
		s.out.printf("%s", msg)
		return
	}
	s.logLocked(msg)
	if reply != nil && s.cvars.int("sv_logecho") != 0 {
		fmt.Fprintf(reply, "L %s: %s\n", time.Now().Format("01/02/2006 - 15:04:05"), msg)
	}
}
