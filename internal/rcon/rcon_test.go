package rcon

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/left4me/left4me/internal/instance"
	"github.com/left4me/left4me/internal/store"
)

// echoSender answers "reply to CMD" and records what reached it; fail
// makes it fail instead.
type echoSender struct {
	sent []string
	fail error
}

func (s *echoSender) Exec(ctx context.Context, inst instance.Instance, command string) (string, error) {
	s.sent = append(s.sent, inst.Name+": "+command)
	if s.fail != nil {
		return "", s.fail
	}
	return "reply to " + command, nil
}

type states map[string]instance.State

func (s states) Status(ctx context.Context, name string) (instance.Status, error) {
	st, ok := s[name]
	if !ok {
		return instance.Status{}, errors.New("no such unit")
	}
	return instance.Status{State: st}, nil
}

// newStore opens a real database with user alice and instances alpha and
// beta.
func newStore(t *testing.T) (*store.Store, store.User) {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "left4me.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	u, err := st.CreateUser(ctx, "alice", "hash", false)
	if err != nil {
		t.Fatal(err)
	}
	for i, name := range []string{"alpha", "beta"} {
		if _, err := st.CreateInstance(ctx, store.Instance{Name: name, OwnerID: u.ID, Port: 27015 + 10*i, RCONPassword: "pw"}, nil); err != nil {
			t.Fatal(err)
		}
	}
	return st, u
}

func TestValidate(t *testing.T) {
	for _, tt := range []struct {
		in, want string
		err      string
	}{
		{"status", "status", ""},
		{"  sv_cheats 1 \t", "sv_cheats 1", ""},
		{strings.Repeat("x", MaxCommand), strings.Repeat("x", MaxCommand), ""},
		{"", "", "type a command"},
		{" \t ", "", "type a command"},
		{"a\nb", "", "one line"},
		{"a\rb", "", "one line"},
		{"a\x00b", "", "one line"},
		{strings.Repeat("x", MaxCommand+1), "", "at most 512 characters"},
	} {
		got, err := Validate(tt.in)
		switch {
		case tt.err == "" && (err != nil || got != tt.want):
			t.Errorf("Validate(%.20q) = %q, %v; want %q", tt.in, got, err, tt.want)
		case tt.err != "" && (!errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tt.err)):
			t.Errorf("Validate(%.20q) = %v; want ErrInvalid saying %q", tt.in, err, tt.err)
		}
	}
}

func TestForHistory(t *testing.T) {
	for _, tt := range []struct{ cmd, wantCmd, wantReply string }{
		{"rcon_password abc", "rcon_password <hidden>", HiddenReply},
		{`RCON_Password "a b"`, "RCON_Password <hidden>", HiddenReply},
		{"sv_password", "sv_password", HiddenReply},
		{"sv_logsecret 42", "sv_logsecret <hidden>", HiddenReply},
		{"sv_setsteamaccount ABCDEF", "sv_setsteamaccount <hidden>", HiddenReply},
		{"status", "status", "reply"},
		{"say rcon_password is set", "say rcon_password is set", "reply"},
	} {
		if c, r := ForHistory(tt.cmd, "reply"); c != tt.wantCmd || r != tt.wantReply {
			t.Errorf("ForHistory(%q) = %q, %q; want %q, %q", tt.cmd, c, r, tt.wantCmd, tt.wantReply)
		}
	}
}

// TestSend: refused commands reach neither the server nor the history;
// accepted ones are answered in full and recorded redacted.
func TestSend(t *testing.T) {
	ctx := context.Background()
	st, u := newStore(t)
	snd := &echoSender{}
	c := New(snd, states{"alpha": instance.Running, "beta": instance.Stopped}, st)
	alice := User{ID: u.ID, Name: u.Name}
	alpha, beta := instance.Instance{Name: "alpha"}, instance.Instance{Name: "beta"}

	for _, tt := range []struct {
		name string
		inst instance.Instance
		cmd  string
		want error
		msg  string
	}{
		{"empty", alpha, "  ", ErrInvalid, "type a command"},
		{"two lines", alpha, "status\nquit", ErrInvalid, "one line"},
		{"stopped", beta, "status", ErrNotRunning, "beta is not running"},
		{"unknown state", instance.Instance{Name: "gamma"}, "status", ErrNotRunning, "gamma is not running"},
	} {
		_, err := c.Send(ctx, tt.inst, alice, tt.cmd)
		if !errors.Is(err, tt.want) || !strings.Contains(err.Error(), tt.msg) {
			t.Errorf("%s: Send = %v; want %v saying %q", tt.name, err, tt.want, tt.msg)
		}
	}
	if len(snd.sent) != 0 {
		t.Errorf("refused commands reached the server: %q", snd.sent)
	}

	e, err := c.Send(ctx, alpha, alice, " status ")
	if err != nil || e.Command != "status" || e.Response != "reply to status" || e.UserName != "alice" || e.Instance != "alpha" {
		t.Fatalf("Send(status) = %+v, %v", e, err)
	}
	e, err = c.Send(ctx, alpha, alice, "sv_password hunter2")
	if err != nil || e.Command != "sv_password hunter2" || e.Response != "reply to sv_password hunter2" {
		t.Fatalf("the sender does not see the real secret command and reply: %+v, %v", e, err)
	}
	// The system (the CLI) sends without a user.
	if e, err = c.Send(ctx, alpha, User{}, "stats"); err != nil || e.UserName != "" || e.UserID != 0 {
		t.Fatalf("Send as the system = %+v, %v", e, err)
	}
	snd.fail = errors.New("connection refused")
	if e, err = c.Send(ctx, alpha, alice, "users"); !errors.Is(err, ErrNoReply) || e.Response != "error: connection refused" || e.Command != "users" {
		t.Fatalf("Send to a server that does not answer = %+v, %v", e, err)
	}

	hist, err := c.History(ctx, "alpha", 0)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, h := range hist {
		got = append(got, h.UserName+"|"+h.Command+"|"+h.Response)
	}
	want := []string{
		"alice|status|reply to status",
		"alice|sv_password <hidden>|" + HiddenReply,
		"|stats|reply to stats",
		"alice|users|error: connection refused",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("history:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if hist, err := c.History(ctx, "beta", 0); err != nil || len(hist) != 0 {
		t.Errorf("beta's history = %+v, %v", hist, err)
	}
}

func TestUnavailable(t *testing.T) {
	st, u := newStore(t)
	c := New(nil, states{"alpha": instance.Running}, st)
	if c.Available() {
		t.Error("a console without a sender says it is available")
	}
	// A bad command is still named first: the form shows the field.
	if _, err := c.Send(context.Background(), instance.Instance{Name: "alpha"}, User{ID: u.ID}, ""); !errors.Is(err, ErrInvalid) {
		t.Errorf("empty command without a sender = %v, want ErrInvalid", err)
	}
	if _, err := c.Send(context.Background(), instance.Instance{Name: "alpha"}, User{ID: u.ID}, "status"); !errors.Is(err, ErrUnavailable) {
		t.Errorf("Send without a sender = %v, want ErrUnavailable", err)
	}
}
