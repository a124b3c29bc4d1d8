package srcds

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/gorcon/rcon"
)

// ErrAuth says the server refused the RCON password (or has none set,
// which disables RCON).
var ErrAuth = errors.New("rcon authentication failed")

// ErrClosed says the connection was found closed (by the server: a ban, a
// new rcon_password, a restart; or after an earlier error) before the
// command was sent: the command did not reach the server, so it is safe to
// dial again and send it.
var ErrClosed = errors.New("rcon connection closed before the command was sent")

// MaxCommandLen is the longest command Exec sends.
const MaxCommandLen = 4000

// maxReplyPacket bounds the size field of a reply packet; the engine sends
// bodies of at most 4096 bytes, so this leaves slack without trusting a
// size that would make us allocate gigabytes.
const maxReplyPacket = 64 << 10

// defaultRCONTimeout bounds a dial or a command when ctx has no deadline.
const defaultRCONTimeout = 10 * time.Second

// RCON is an authenticated RCON connection. Its methods are safe for
// concurrent use; commands run one at a time.
type RCON struct {
	addr string
	conn net.Conn
	rc   *rcon.Conn

	mu     sync.Mutex
	r      *bufio.Reader
	nextID int32
	broken bool // a failed write or read left the stream unusable
}

// Dial connects to addr ("host:port" of the game port) and authenticates
// with password. A refused password is ErrAuth.
func Dial(ctx context.Context, addr, password string) (*RCON, error) {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("rcon dial %s: %w", addr, err)
	}
	deadline := time.Now().Add(defaultRCONTimeout)
	if dl, ok := ctx.Deadline(); ok {
		deadline = dl
	}
	defer interruptOnDone(ctx, conn)()
	// gorcon does the handshake, including the empty RESPONSE_VALUE the
	// engine sends before its AUTH_RESPONSE.
	rc, err := rcon.Open(conn, password, rcon.SetDeadline(max(time.Until(deadline), time.Millisecond)))
	if err != nil {
		_ = conn.Close()
		if errors.Is(err, rcon.ErrAuthFailed) {
			return nil, fmt.Errorf("rcon %s: %w", addr, ErrAuth)
		}
		return nil, fmt.Errorf("rcon auth %s: %w", addr, ctxErr(ctx, err))
	}
	_ = conn.SetDeadline(time.Time{})
	// The reader holds a whole reply packet, so that readPacket can peek
	// one entirely before consuming it (see readPacket).
	return &RCON{addr: addr, conn: conn, rc: rc, r: bufio.NewReaderSize(conn, maxReplyPacket+4), nextID: 10}, nil
}

// Close closes the connection.
func (c *RCON) Close() error { return c.rc.Close() }

// Exec runs a command and returns its whole output. Output longer than one
// packet arrives as several RESPONSE_VALUE packets; Exec sends an empty
// RESPONSE_VALUE after the command and reads until the server mirrors it,
// which the engine does only after the command's last packet.
//
// A connection the server closed before the command was written gives
// ErrClosed (the command was not sent). Running out of time while waiting
// for the reply (a map load stalls the server, docs/srcds.md §8) leaves the
// connection usable: the late reply is skipped by its id. Any other error
// breaks it (Usable reports false): close it and dial again.
func (c *RCON) Exec(ctx context.Context, cmd string) (string, error) {
	if cmd == "" {
		return "", fmt.Errorf("rcon %s: empty command", c.addr)
	}
	if len(cmd) > MaxCommandLen || strings.ContainsRune(cmd, 0) {
		return "", fmt.Errorf("rcon %s: command longer than %d bytes or containing NUL", c.addr, MaxCommandLen)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	_ = c.conn.SetDeadline(time.Time{}) // a past deadline would fail the check below
	if c.broken || c.peerClosed() {
		c.broken = true
		return "", fmt.Errorf("rcon %s: %q: %w", c.addr, firstWord(cmd), ErrClosed)
	}

	deadline := time.Now().Add(defaultRCONTimeout)
	if dl, ok := ctx.Deadline(); ok {
		deadline = dl
	}
	if err := c.conn.SetDeadline(deadline); err != nil {
		return "", fmt.Errorf("rcon %s: %w", c.addr, err)
	}
	defer interruptOnDone(ctx, c.conn)()
	wrap := func(err error) error {
		var ne net.Error
		if !errors.As(err, &ne) || !ne.Timeout() {
			c.broken = true
		}
		return fmt.Errorf("rcon %s: %q: %w", c.addr, firstWord(cmd), ctxErr(ctx, err))
	}

	// Ids grow per command, so stray packets from an earlier command (such
	// as the engine's extra packet after a mirrored marker) are recognised
	// and skipped.
	cmdID := c.nextID
	markerID := cmdID + 1
	c.nextID += 2
	if c.nextID > 1<<30 {
		c.nextID = 10
	}
	var req bytes.Buffer
	_, _ = rcon.NewPacket(rcon.SERVERDATA_EXECCOMMAND, cmdID, cmd).WriteTo(&req)
	_, _ = rcon.NewPacket(rcon.SERVERDATA_RESPONSE_VALUE, markerID, "").WriteTo(&req)
	if _, err := c.conn.Write(req.Bytes()); err != nil {
		c.broken = true // perhaps half written
		return "", wrap(err)
	}
	var out strings.Builder
	for {
		p, err := readPacket(c.r)
		if err != nil {
			return "", wrap(err)
		}
		switch p.ID {
		case cmdID:
			out.WriteString(p.Body())
		case markerID:
			return out.String(), nil
		}
	}
}

// interruptOnDone sets conn's deadline to now when ctx ends, until the
// returned function is called. After that call the deadline is left alone,
// even when ctx ended at the same moment: a kept connection must not get a
// stale deadline from a command that already returned.
func interruptOnDone(ctx context.Context, conn net.Conn) func() {
	var mu sync.Mutex
	over := false
	stop := context.AfterFunc(ctx, func() {
		mu.Lock()
		defer mu.Unlock()
		if !over {
			_ = conn.SetDeadline(time.Now())
		}
	})
	return func() {
		if !stop() {
			mu.Lock()
			over = true
			mu.Unlock()
		}
	}
}

// Usable reports whether the connection can still carry commands: false
// after an error other than a timeout while waiting for a reply.
func (c *RCON) Usable() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return !c.broken
}

// peerClosed reports whether the server has closed the connection, without
// waiting for anything. Stray packets (the rest of a reply that came too
// late, the engine's extra packet after a mirrored end marker) are read and
// dropped first: they may hide the end of the stream behind them. Then a
// peek at the socket (MSG_PEEK|MSG_DONTWAIT) finds nothing yet (open and
// idle), more data (read it and look again) or the end of the stream.
func (c *RCON) peerClosed() bool {
	sc, ok := c.conn.(syscall.Conn)
	if !ok {
		return false
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return false
	}
	for range 8 {
		if !c.dropBufferedPackets() {
			return false // part of a packet is buffered: a reply is on its way
		}
		var n int
		var rerr error
		var buf [1]byte
		if err := raw.Read(func(fd uintptr) bool {
			n, _, rerr = syscall.Recvfrom(int(fd), buf[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
			return true
		}); err != nil {
			return true
		}
		switch {
		case rerr == syscall.EAGAIN || rerr == syscall.EINTR:
			return false
		case rerr != nil || n == 0:
			return true
		}
		// Data waits in the socket: pull what is there into the reader.
		_ = c.conn.SetReadDeadline(time.Now().Add(10 * time.Millisecond))
		_, _ = c.r.Peek(min(c.r.Size(), c.r.Buffered()+1))
		_ = c.conn.SetReadDeadline(time.Time{})
	}
	return false
}

// dropBufferedPackets discards the whole packets in the reader's buffer;
// false when a partial packet remains.
func (c *RCON) dropBufferedPackets() bool {
	for c.r.Buffered() > 0 {
		if c.r.Buffered() < 4 {
			return false
		}
		head, _ := c.r.Peek(4)
		size := int(int32(binary.LittleEndian.Uint32(head)))
		if size < int(rcon.MinPacketSize) || size > maxReplyPacket {
			return false // garbage: let the read report it
		}
		if c.r.Buffered() < 4+size {
			return false
		}
		_, _ = c.r.Discard(4 + size)
	}
	return true
}

// readPacket reads one reply packet with gorcon's codec after checking its
// size field, which gorcon would trust for its allocation.
//
// NOTE: the whole packet is peeked before any byte is consumed, so a
// deadline that strikes in the middle of a packet (a poll timing out during
// a map load) leaves the stream at a packet boundary and the connection
// usable.
func readPacket(r *bufio.Reader) (*rcon.Packet, error) {
	head, err := r.Peek(4)
	if err != nil {
		return nil, err
	}
	size := int32(binary.LittleEndian.Uint32(head))
	if size < rcon.MinPacketSize || size > maxReplyPacket {
		return nil, fmt.Errorf("reply packet size %d out of range", size)
	}
	whole, err := r.Peek(4 + int(size))
	if err != nil {
		return nil, err
	}
	var p rcon.Packet
	_, err = p.ReadFrom(bytes.NewReader(whole))
	_, _ = r.Discard(len(whole))
	if err != nil {
		if errors.Is(err, rcon.ErrInvalidPacketPadding) {
			// The packet was read whole; only its terminator is odd. Hand
			// it on so a stray one can be skipped by its id.
			return &p, nil
		}
		return nil, err
	}
	return &p, nil
}

func firstWord(cmd string) string {
	if f := strings.Fields(cmd); len(f) > 0 {
		return f[0]
	}
	return ""
}

var _ io.Closer = (*RCON)(nil)

// ctxErr reports an I/O error caused by ctx (cancelled, or its deadline,
// which is also the connection's, reached) as ctx's error.
func ctxErr(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		if dl, ok := ctx.Deadline(); ok && !time.Now().Before(dl) {
			return context.DeadlineExceeded
		}
	}
	return err
}
