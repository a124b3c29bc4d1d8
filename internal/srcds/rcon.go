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
	"time"

	"github.com/gorcon/rcon"
)

// ErrAuth says the server refused the RCON password (or has none set,
// which disables RCON).
var ErrAuth = errors.New("rcon authentication failed")

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
	stop := context.AfterFunc(ctx, func() { _ = conn.SetDeadline(time.Now()) })
	defer stop()
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
	return &RCON{addr: addr, conn: conn, rc: rc, r: bufio.NewReader(conn), nextID: 10}, nil
}

// Close closes the connection.
func (c *RCON) Close() error { return c.rc.Close() }

// Exec runs a command and returns its whole output. Output longer than one
// packet arrives as several RESPONSE_VALUE packets; Exec sends an empty
// RESPONSE_VALUE after the command and reads until the server mirrors it,
// which the engine does only after the command's last packet. After an error
// the connection is unusable: close it and dial again.
func (c *RCON) Exec(ctx context.Context, cmd string) (string, error) {
	if cmd == "" {
		return "", fmt.Errorf("rcon %s: empty command", c.addr)
	}
	if len(cmd) > MaxCommandLen || strings.ContainsRune(cmd, 0) {
		return "", fmt.Errorf("rcon %s: command longer than %d bytes or containing NUL", c.addr, MaxCommandLen)
	}
	c.mu.Lock()
	defer c.mu.Unlock()

	deadline := time.Now().Add(defaultRCONTimeout)
	if dl, ok := ctx.Deadline(); ok {
		deadline = dl
	}
	if err := c.conn.SetDeadline(deadline); err != nil {
		return "", fmt.Errorf("rcon %s: %w", c.addr, err)
	}
	stop := context.AfterFunc(ctx, func() { _ = c.conn.SetDeadline(time.Now()) })
	defer stop()
	wrap := func(err error) error {
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

// readPacket reads one reply packet with gorcon's codec after checking its
// size field, which gorcon would trust for its allocation.
func readPacket(r *bufio.Reader) (*rcon.Packet, error) {
	head, err := r.Peek(4)
	if err != nil {
		return nil, err
	}
	size := int32(binary.LittleEndian.Uint32(head))
	if size < rcon.MinPacketSize || size > maxReplyPacket {
		return nil, fmt.Errorf("reply packet size %d out of range", size)
	}
	var p rcon.Packet
	if _, err := p.ReadFrom(r); err != nil {
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
