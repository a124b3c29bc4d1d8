// Package rcon is the policy of the RCON console that the panel, the API
// and the CLI share: which commands are accepted, that they go only to a
// running instance, and what the instance's console history keeps (secret
// cvars redacted, since users an instance is shared with read it).
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

// Validate trims command and checks it is one non-empty line of at most
// MaxCommand bytes; it returns the trimmed command.
func Validate(command string) (string, error) {
	command = strings.TrimSpace(command)
	switch {
	case command == "":
		return "", invalidError("type a command")
	case len(command) > MaxCommand || strings.ContainsAny(command, "\r\n\x00"):
		return "", invalidError(fmt.Sprintf("a command is one line of at most %d characters", MaxCommand))
	}
	return command, nil
}

// secretCvars hold passwords or tokens. The console history keeps their
// names but neither the value set nor the reply (a bare name answers with
// the value).
var secretCvars = map[string]bool{
	"rcon_password": true, "sv_password": true, "sv_logsecret": true, "sv_setsteamaccount": true,
}

// HiddenReply stands in the history for the reply to a secret cvar.
const HiddenReply = "(reply not kept: it may hold a secret)"

// ForHistory is a command and its reply as the history records them: a
// command naming a secret cvar keeps the name, "<hidden>" for a value, and
// HiddenReply for the reply.
func ForHistory(command, reply string) (string, string) {
	name, _, hasValue := strings.Cut(command, " ")
	if !secretCvars[strings.ToLower(name)] {
		return command, reply
	}
	if hasValue {
		name += " <hidden>"
	}
	return name, HiddenReply
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
	sender  Sender
	states  States
	history History
}

// New returns a console. A nil sender answers every command with
// ErrUnavailable (the history is still readable).
func New(sender Sender, states States, history History) *Console {
	return &Console{sender: sender, states: states, history: history}
}

// Available reports whether commands can be sent at all.
func (c *Console) Available() bool { return c.sender != nil }

// User is who sends a command: ID 0 is the system (the CLI as root).
type User struct {
	ID   int64
	Name string
}

// Send validates command, sends it to inst if inst is running and records
// it in the history (redacted by ForHistory). The entry returned holds the
// real command and reply: the sender sees them. When the server did not
// answer, the reply is recorded as "error: ..." and Send returns the entry
// with an ErrNoReply: the panel shows it as the reply, the CLI exits 1.
func (c *Console) Send(ctx context.Context, inst instance.Instance, u User, command string) (store.RCONEntry, error) {
	command, err := Validate(command)
	if err != nil {
		return store.RCONEntry{}, err
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
	}
	hcmd, hreply := ForHistory(command, reply)
	e, err := c.history.AddRCON(ctx, inst.Name, u.ID, hcmd, hreply)
	if err != nil {
		return store.RCONEntry{}, err
	}
	e.Command, e.Response, e.UserName = command, reply, u.Name
	if sendErr != nil {
		return e, fmt.Errorf("%s: %w: %w", inst.Name, ErrNoReply, sendErr)
	}
	return e, nil
}

// History returns the newest limit (<= 0: all kept) entries of the
// instance's console history, oldest first, as recorded (redacted).
func (c *Console) History(ctx context.Context, name string, limit int) ([]store.RCONEntry, error) {
	return c.history.ListRCON(ctx, name, limit)
}
