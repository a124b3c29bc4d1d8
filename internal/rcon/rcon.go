// Package rcon is the policy of the RCON console that the panel, the API
// and the CLI share: which commands are accepted, who may read or set
// secret cvars (Policy: the owner and administrators, in every part of a
// chained command), that commands go only to a running instance, and what
// the instance's console history keeps (secrets redacted, since users an
// instance is shared with read it).
//
// It lives apart from internal/srcds, which speaks the protocol and knows
// nothing of instances, users or the database; this package knows those
// and leaves the wire to a Sender. Its errors are typed; the callers map
// them (the web to HTTP statuses, the CLI to exit codes).
package rcon

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/left4me/left4me/internal/instance"
	"github.com/left4me/left4me/internal/srcds"
	"github.com/left4me/left4me/internal/store"
)

// MaxCommand bounds one console command, in bytes.
const MaxCommand = 512

// Errors returned (wrapped) by Console. Their text is meant for the user.
var (
	// ErrInvalid: the command is empty, longer than MaxCommand or more than
	// one line. Errors.Is matches the more precise errors below too.
	ErrInvalid = errors.New("invalid console command")
	// ErrNotRunning: the instance is not running, so nothing answers.
	ErrNotRunning = errors.New("not running")
	// ErrUnavailable: this console has no Sender (no RCON here).
	ErrUnavailable = errors.New("the RCON console is not available here")
	// ErrNoReply: the command was sent (and recorded) but the server did
	// not answer; Send returns the entry with it.
	ErrNoReply = errors.New("no reply")
)

// invalidError is an ErrInvalid with its own message.
type invalidError string

func (e invalidError) Error() string        { return string(e) }
func (e invalidError) Is(target error) bool { return target == ErrInvalid }

// Validate trims command and checks it is one line of at most MaxCommand
// bytes with at least one command in it (Parts: ";" alone is none); it
// returns the trimmed command.
func Validate(command string) (string, error) {
	command = strings.TrimSpace(command)
	switch {
	case len(Parts(command)) == 0:
		return "", invalidError("type a command")
	case len(command) > MaxCommand || strings.ContainsAny(command, "\r\n\x00"):
		return "", invalidError(fmt.Sprintf("a command is one line of at most %d characters", MaxCommand))
	}
	return command, nil
}

// Sender sends one command to an instance's running server and returns
// its reply (an srcds.Session per instance in the panel).
type Sender interface {
	Exec(ctx context.Context, inst instance.Instance, command string) (string, error)
}

// States reports an instance's run state (the instance service or its
// supervisor).
type States interface {
	Status(ctx context.Context, name string) (instance.Status, error)
}

// History keeps the console history (*store.Store).
type History interface {
	AddRCON(ctx context.Context, instance string, userID int64, command, response string) (store.RCONEntry, error)
	ListRCON(ctx context.Context, instance string, limit int) ([]store.RCONEntry, error)
}

// Console sends console commands under the policy and keeps the history.
type Console struct {
	sender   Sender
	states   States
	history  History
	policy   Policy
	notifier Notifier // bans.go
}

// New returns a console under policy. A nil sender answers every command
// with ErrUnavailable (the history is still readable).
func New(sender Sender, states States, history History, policy Policy) *Console {
	return &Console{sender: sender, states: states, history: history, policy: policy}
}

// Available reports whether commands can be sent at all.
func (c *Console) Available() bool { return c.sender != nil }

// User is who sends a command: ID 0 is the system (the CLI as root).
// MaySeeSecrets is true for the instance's owner, administrators and the
// system: they may read and set secret cvars (Policy) and get replies whole.
// OperatorOnly limits the sender to OperatorCommands (the operator role).
type User struct {
	ID            int64
	Name          string
	MaySeeSecrets bool
	OperatorOnly  bool
}

// Send validates command, checks it under the policy (Policy.Check: a
// secret cvar in any part is refused unless u.MaySeeSecrets), sends it to
// inst if inst is running and records it in the history (redacted by
// Policy.ForHistory, and inst's RCON password replaced wherever it appears).
// The entry returned holds the real command and reply when u may see
// secrets, else the reply as the history keeps it. When the server did not
// answer, the reply is recorded as "error: ..." and Send returns the entry
// with an ErrNoReply: the panel shows it as the reply, the CLI exits 1.
func (c *Console) Send(ctx context.Context, inst instance.Instance, u User, command string) (store.RCONEntry, error) {
	command, err := Validate(command)
	if err != nil {
		return store.RCONEntry{}, err
	}
	if err := c.policy.Check(command, u.MaySeeSecrets); err != nil {
		return store.RCONEntry{}, err
	}
	if u.OperatorOnly {
		if err := CheckOperator(command); err != nil {
			return store.RCONEntry{}, err
		}
	}
	if c.sender == nil {
		return store.RCONEntry{}, ErrUnavailable
	}
	st, err := c.states.Status(ctx, inst.Name)
	if err != nil {
		return store.RCONEntry{}, fmt.Errorf("%s is %w (its state is unknown: %v)", inst.Name, ErrNotRunning, err)
	}
	if st.State != instance.Running {
		return store.RCONEntry{}, fmt.Errorf("%s is %w", inst.Name, ErrNotRunning)
	}
	reply, sendErr := c.sender.Exec(ctx, inst, command)
	if sendErr != nil {
		reply = "error: " + sendErr.Error()
	} else {
		reply = srcds.WithoutCommandEcho(reply, command) // the console log has it
	}
	hcmd, hreply := c.policy.ForHistory(command, reply)
	hcmd, hreply = redactPassword(inst, hcmd), redactPassword(inst, hreply)
	e, err := c.history.AddRCON(ctx, inst.Name, u.ID, hcmd, hreply)
	if err != nil {
		return store.RCONEntry{}, err
	}
	e.Command, e.Response, e.UserName = command, hreply, u.Name
	if u.MaySeeSecrets {
		e.Response = reply
	}
	if sendErr != nil {
		return e, fmt.Errorf("%s: %w: %w", inst.Name, ErrNoReply, sendErr)
	}
	c.noteBans(ctx, inst, u, command)
	return e, nil
}

// History returns the newest limit (<= 0: all kept) entries of the
// instance's console history, oldest first, as recorded (redacted). The
// redaction is applied again on reading, so entries recorded under an
// older or narrower policy (a secret set behind a ';') are redacted too.
func (c *Console) History(ctx context.Context, name string, limit int) ([]store.RCONEntry, error) {
	entries, err := c.history.ListRCON(ctx, name, limit)
	if err != nil {
		return nil, err
	}
	for i := range entries {
		entries[i].Command, entries[i].Response = c.policy.ForHistory(entries[i].Command, entries[i].Response)
	}
	return entries, nil
}

// SetPassword sets a running instance's RCON password live to password,
// sending rcon_password over the connection that old (the instance with
// its current password) authenticates. The server then closes every
// authenticated RCON connection (docs/srcds.md §8), the sender's own too:
// a Sender keyed by the password (the panel's srcds.Session per instance)
// dials again with the new one at its next command, and the live poller
// does when its targets change. Nothing is recorded in the history.
//
// It returns ErrNotRunning for a stopped instance (nothing to do: the
// launch cfg sets the stored password at the next start), nil when the new
// password is accepted afterwards, and otherwise an error: the command may
// or may not have arrived, and a restart applies the stored password for
// certain.
func (c *Console) SetPassword(ctx context.Context, old instance.Instance, password string) error {
	if c.sender == nil {
		return ErrUnavailable
	}
	st, err := c.states.Status(ctx, old.Name)
	if err != nil || st.State != instance.Running {
		return fmt.Errorf("%s is %w", old.Name, ErrNotRunning)
	}
	// The engine closes every RCON connection as it sets rcon_password,
	// the one that set it included, usually before the reply is written
	// (docs/srcds.md §8): an error here does not say the set failed. What
	// does is whether the new password is accepted afterwards.
	_, setErr := c.sender.Exec(ctx, old, `rcon_password "`+password+`"`)
	nw := old
	nw.RCONPassword = password
	if _, err := c.sender.Exec(ctx, nw, "echo left4me: RCON password changed"); err != nil {
		return fmt.Errorf("set the RCON password of %s live: the new one is not accepted (%w; setting it said: %v)", old.Name, err, setErr)
	}
	return nil
}
