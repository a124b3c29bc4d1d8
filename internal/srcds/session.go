package srcds

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"
)

// Back-off after a refused password. srcds bans an address after
// sv_rcon_maxfailures failed auths (docs/srcds.md §8), which would lock the
// panel out until the server restarts, so a refused password is not tried
// again for a while, longer after each refusal.
const (
	authBackoffMin = time.Minute
	authBackoffMax = 16 * time.Minute
)

// Session keeps one authenticated RCON connection to a server, dialled on
// first use and again when the server closed it (a ban, a new
// rcon_password, a restart). Its methods are safe for concurrent use;
// commands run one at a time.
type Session struct {
	addr     string
	password string

	mu        sync.Mutex
	conn      *RCON
	authUntil time.Time     // no dial before this after a refused password
	backoff   time.Duration // the next back-off period
	authErr   error
	dials     int
}

// NewSession returns a session for the server at addr (host:port of the
// game port) with the RCON password. Nothing is dialled yet.
func NewSession(addr, password string) *Session {
	return &Session{addr: addr, password: password}
}

// Addr is the server's address.
func (s *Session) Addr() string { return s.addr }

// Dials counts the connections made (each one an auth on the server).
func (s *Session) Dials() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.dials
}

// Exec runs a command over the kept connection, dialling when there is
// none. When the kept connection turns out closed before the command was
// sent (ErrClosed) it dials once more and sends it. When it broke after the
// command was sent, the command is sent again on a new connection only if
// idempotent says repeating it is harmless (status, cvar reads: see
// Idempotent); otherwise the error is returned and the command not resent.
// A timeout while waiting for the reply (a map load) keeps the connection.
// After a refused password Exec returns ErrAuth without dialling until the
// back-off has passed.
func (s *Session) Exec(ctx context.Context, cmd string, idempotent bool) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for attempt := 0; ; attempt++ {
		fresh := s.conn == nil
		if fresh {
			if err := s.dialLocked(ctx); err != nil {
				return "", err
			}
		}
		out, err := s.conn.Exec(ctx, cmd)
		if err == nil {
			return out, nil
		}
		if s.conn.Usable() {
			return "", err // no reply in time; the connection stays
		}
		_ = s.conn.Close()
		s.conn = nil
		if fresh || attempt > 0 || ctx.Err() != nil {
			return "", err
		}
		if !idempotent && !errors.Is(err, ErrClosed) {
			return "", fmt.Errorf("%w (the connection broke after the command was sent; not sent again, as repeating it may not be harmless)", err)
		}
	}
}

func (s *Session) dialLocked(ctx context.Context) error {
	if time.Now().Before(s.authUntil) {
		return s.authErr
	}
	s.dials++
	c, err := Dial(ctx, s.addr, s.password)
	if err != nil {
		if errors.Is(err, ErrAuth) {
			if s.backoff == 0 {
				s.backoff = authBackoffMin
			}
			s.authUntil = time.Now().Add(s.backoff)
			s.authErr = fmt.Errorf("%w (not retried for %s)", err, s.backoff)
			s.backoff = min(2*s.backoff, authBackoffMax)
		}
		return err
	}
	s.backoff = 0
	s.conn = c
	return nil
}

// Close closes the kept connection, if any.
func (s *Session) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.conn == nil {
		return nil
	}
	err := s.conn.Close()
	s.conn = nil
	return err
}

// actionCommands are single-word console commands that do something; any
// other single word is a cvar read or prints information.
var actionCommands = map[string]bool{
	"quit": true, "exit": true, "_restart": true, "restart": true, "reload": true, "killserver": true,
	"kickall": true, "writeid": true, "writeip": true, "heartbeat": true, "disconnect": true,
	"retry": true, "changelevel_next": true, "map_restart": true, "mp_restartgame": true,
	"sm_reload": true,
}

// readCommands only print information, whatever their arguments.
var readCommands = map[string]bool{
	"status": true, "users": true, "version": true, "cvarlist": true, "stats": true,
	"maps": true, "listid": true, "listip": true, "find": true, "help": true, "logaddress_list": true,
}

// Idempotent reports whether sending cmd twice is harmless: commands that
// only print (status, users, cvarlist, ...) and a cvar read (a single word
// that is not an action such as quit).
func Idempotent(cmd string) bool {
	f := strings.Fields(cmd)
	if len(f) == 0 || strings.Contains(cmd, ";") {
		return false
	}
	name := strings.ToLower(f[0])
	if readCommands[name] {
		return true
	}
	return len(f) == 1 && !actionCommands[name]
}
