package fakesrcds

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/fnv"
	"math"
	"net"
	"net/netip"
	"time"
)

// A2S request and reply header bytes (docs/srcds.md §2).
const (
	a2sInfo          = 0x54 // 'T'
	a2sPlayer        = 0x55 // 'U'
	a2sRules         = 0x56 // 'V'
	a2sGetChallenge  = 0x57 // 'W', deprecated but still answered
	a2sChallengeResp = 0x41 // 'A'
	a2sInfoResp      = 0x49 // 'I'
	a2sPlayerResp    = 0x44 // 'D'
	a2sRulesResp     = 0x45 // 'E'

	a2sInfoPayload = "Source Engine Query\x00"

	// maxA2SPacket is the largest datagram sent unsplit; splitSize is the
	// payload per split packet (the engine's default 1248).
	maxA2SPacket = 1400
	splitSize    = 1248
)

// a2sRequest is a decoded A2S query.
type a2sRequest struct {
	kind         byte
	challenge    uint32
	hasChallenge bool // false: no challenge, or the "give me one" value -1
}

var errNotA2S = errors.New("not an A2S request")

// decodeA2SRequest parses a datagram sent to the game port. Anything that
// is not a well-formed A2S_INFO, A2S_PLAYER, A2S_RULES or challenge request
// is an error (the engine ignores such packets).
func decodeA2SRequest(pkt []byte) (a2sRequest, error) {
	if len(pkt) < 5 || !bytes.Equal(pkt[:4], []byte{0xFF, 0xFF, 0xFF, 0xFF}) {
		return a2sRequest{}, errNotA2S
	}
	r := a2sRequest{kind: pkt[4]}
	rest := pkt[5:]
	switch r.kind {
	case a2sInfo:
		if !bytes.HasPrefix(rest, []byte(a2sInfoPayload)) {
			return a2sRequest{}, errors.New("A2S_INFO without the query string")
		}
		rest = rest[len(a2sInfoPayload):]
		if len(rest) >= 4 {
			r.challenge = binary.LittleEndian.Uint32(rest)
			r.hasChallenge = r.challenge != math.MaxUint32
		}
		return r, nil
	case a2sPlayer, a2sRules:
		if len(rest) < 4 {
			return a2sRequest{}, errors.New("A2S request without a challenge field")
		}
		r.challenge = binary.LittleEndian.Uint32(rest)
		r.hasChallenge = r.challenge != math.MaxUint32
		return r, nil
	case a2sGetChallenge:
		return r, nil
	}
	return a2sRequest{}, errNotA2S
}

// challengeFor derives the challenge for a source address, so no state is
// kept per client. It changes every hour; the previous hour's still counts.
func (s *Server) challengeFor(src netip.AddrPort, hour int64) uint32 {
	h := fnv.New32a()
	h.Write(s.challengeKey[:])
	b, _ := src.MarshalBinary()
	h.Write(b)
	_ = binary.Write(h, binary.LittleEndian, hour)
	c := h.Sum32()
	if c == math.MaxUint32 {
		c--
	}
	return c
}

func (s *Server) challengeOK(src netip.AddrPort, c uint32) bool {
	hour := time.Now().Unix() / 3600
	return c == s.challengeFor(src, hour) || c == s.challengeFor(src, hour-1)
}

func (s *Server) serveA2S() {
	defer s.wg.Done()
	buf := make([]byte, 2048)
	for {
		n, src, err := s.udp.ReadFromUDPAddrPort(buf)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			continue
		}
		req, err := decodeA2SRequest(buf[:n])
		if err != nil || s.ignoreA2S(src) {
			continue
		}
		for _, pkt := range s.answerA2S(req, src) {
			_, _ = s.udp.WriteToUDPAddrPort(pkt, src)
		}
	}
}

// ignoreA2S reports whether a query goes unanswered: one from loopback
// (127.0.0.0/8, ::1), which the real L4D2 server ignores (docs/srcds.md §8)
// unless -a2sloopback, any during a map load, and any past the query
// limits (querylimit.go).
func (s *Server) ignoreA2S(src netip.AddrPort) bool {
	if src.Addr().Unmap().IsLoopback() && !s.opts.A2SLoopback {
		return true
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.loadingLocked() || !s.queryAllowedLocked(src.Addr().Unmap(), time.Now())
}

// answerA2S builds the reply datagrams for a request: a challenge when the
// request carries none or a wrong one, else the data.
func (s *Server) answerA2S(req a2sRequest, src netip.AddrPort) [][]byte {
	if req.kind == a2sGetChallenge || !req.hasChallenge || !s.challengeOK(src, req.challenge) {
		pkt := []byte{0xFF, 0xFF, 0xFF, 0xFF, a2sChallengeResp, 0, 0, 0, 0}
		binary.LittleEndian.PutUint32(pkt[5:], s.challengeFor(src, time.Now().Unix()/3600))
		return [][]byte{pkt}
	}
	s.mu.Lock()
	var reply []byte
	switch req.kind {
	case a2sInfo:
		reply = s.infoReplyLocked()
	case a2sPlayer:
		reply = s.playerReplyLocked()
	case a2sRules:
		reply = s.rulesReplyLocked()
	}
	s.splitID++
	id := s.splitID
	s.mu.Unlock()
	return splitReply(reply, id)
}

type a2sWriter struct{ bytes.Buffer }

func (w *a2sWriter) str(s string) { w.WriteString(s); w.WriteByte(0) }
func (w *a2sWriter) u8(v int)     { w.WriteByte(byte(min(max(v, 0), 255))) }
func (w *a2sWriter) le(v any)     { _ = binary.Write(w, binary.LittleEndian, v) }

// infoReplyLocked is A2S_INFO's 'I' reply with the extra data flag carrying
// port, SteamID, keywords and game id.
func (s *Server) infoReplyLocked() []byte {
	var w a2sWriter
	w.Write([]byte{0xFF, 0xFF, 0xFF, 0xFF, a2sInfoResp, 17})
	w.str(s.cvars.str("hostname"))
	w.str(s.mapName)
	w.str(s.opts.Game)
	w.str("Left 4 Dead 2")
	w.le(uint16(AppID))
	humans, bots := s.counts()
	w.u8(humans + bots)
	w.u8(s.opts.MaxPlayers)
	w.u8(bots)
	w.WriteByte('d')
	w.WriteByte('l')
	if s.cvars.str("sv_password") != "" {
		w.u8(1)
	} else {
		w.u8(0)
	}
	w.u8(1) // VAC secured
	w.str(GameVersion)
	w.WriteByte(0x80 | 0x10 | 0x20 | 0x01)
	w.le(uint16(s.Port()))
	w.le(uint64(90071996842377216 + uint64(s.Port()))) // an anonymous gameserver id
	keywords := s.cvars.str("mp_gamemode")
	if t := s.cvars.str("sv_tags"); t != "" {
		keywords += "," + t
	}
	if humans == 0 {
		keywords += ",empty"
	}
	w.str(keywords + ",secure")
	w.le(uint64(AppID))
	return w.Bytes()
}

// playerReplyLocked is A2S_PLAYER's 'D' reply: per player index, name,
// score (int32) and seconds connected (float32).
func (s *Server) playerReplyLocked() []byte {
	var w a2sWriter
	w.Write([]byte{0xFF, 0xFF, 0xFF, 0xFF, a2sPlayerResp})
	n := min(len(s.players), 255)
	w.u8(n)
	for i, p := range s.players[:n] {
		w.u8(i)
		w.str(p.name)
		w.le(int32(p.score))
		w.le(float32(time.Since(p.joined).Seconds()))
	}
	return w.Bytes()
}

// rulesReplyLocked is A2S_RULES' 'E' reply with the cvars flagged notify;
// protected ones report "1" when set, as the engine does.
func (s *Server) rulesReplyLocked() []byte {
	var w a2sWriter
	w.Write([]byte{0xFF, 0xFF, 0xFF, 0xFF, a2sRulesResp})
	var rules []*cvar
	for _, c := range s.cvars.sorted() {
		if c.hasFlag("notify") {
			rules = append(rules, c)
		}
	}
	w.le(uint16(len(rules)))
	for _, c := range rules {
		w.str(c.name)
		v := c.value
		if c.hasFlag("protected") {
			v = "0"
			if c.value != "" {
				v = "1"
			}
		}
		w.str(v)
	}
	return w.Bytes()
}

// splitReply returns a reply as one datagram, or, when it is longer than
// maxA2SPacket, as split datagrams in the Source format: FE FF FF FF, id
// (int32), total (byte), number (byte), split size (int16), payload.
func splitReply(reply []byte, id uint32) [][]byte {
	if len(reply) <= maxA2SPacket {
		return [][]byte{reply}
	}
	id &^= 0x80000000 // the top bit would mean bzip2-compressed
	total := (len(reply) + splitSize - 1) / splitSize
	var out [][]byte
	for i := 0; i < total; i++ {
		chunk := reply[i*splitSize : min((i+1)*splitSize, len(reply))]
		var w a2sWriter
		w.Write([]byte{0xFE, 0xFF, 0xFF, 0xFF})
		w.le(id)
		w.WriteByte(byte(total))
		w.WriteByte(byte(i))
		w.le(uint16(splitSize))
		w.Write(chunk)
		out = append(out, w.Bytes())
	}
	return out
}
