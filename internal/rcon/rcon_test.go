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
	// failFirst fails only the next call (a connection the server closes).
	failFirst error
}

func (s *echoSender) Exec(ctx context.Context, inst instance.Instance, command string) (string, error) {
	s.sent = append(s.sent, inst.Name+": "+command)
	if s.failFirst != nil {
		err := s.failFirst
		s.failFirst = nil
		return "", err
	}
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
		{" ; ;", "", "type a command"},
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
		// Changed by issue 15: a secret named anywhere in a part (alias,
		// sm_cvar, help) hides the rest of that part and the reply.
		{"say rcon_password is set", "say <hidden>", HiddenReply},
		{"echo a; rcon_password x", "echo a; rcon_password <hidden>", HiddenReply},
		{"echo a;rcon_password\tx", "echo a; rcon_password <hidden>", HiddenReply},
		{";sv_password x", "sv_password <hidden>", HiddenReply},
		{`echo "a;b"; sv_password "x;y"`, `echo "a;b"; sv_password <hidden>`, HiddenReply},
		{`"rcon_password" x`, "rcon_password <hidden>", HiddenReply},
		{`rcon_"password" x`, "rcon_password <hidden>", HiddenReply},
		{"rcon_password:x", "rcon_password <hidden>", HiddenReply},
		{"echo a\nrcon_password x", "echo a; rcon_password <hidden>", HiddenReply},
		{`alias x "rcon_password y"; x`, "alias <hidden>; x", HiddenReply},
		{"sv_logsecret\t42", "sv_logsecret <hidden>", HiddenReply},
		{"sm_cvar mysecret 1", "sm_cvar <hidden>", HiddenReply},
		{"echo a; echo b", "echo a; echo b", "reply"},
	} {
		p, err := NewPolicy([]string{"MySecret"})
		if err != nil {
			t.Fatal(err)
		}
		if c, r := p.ForHistory(tt.cmd, "reply"); c != tt.wantCmd || r != tt.wantReply {
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
	c := New(snd, states{"alpha": instance.Running, "beta": instance.Stopped}, st, Policy{})
	alice := User{ID: u.ID, Name: u.Name, MaySeeSecrets: true}
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
	c := New(nil, states{"alpha": instance.Running}, st, Policy{})
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

func TestParts(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want []string
	}{
		{"status", []string{"status"}},
		{"echo a; rcon_password x", []string{"echo a", "rcon_password x"}},
		{";sv_password", []string{"sv_password"}},
		{"a\nb", []string{"a", "b"}},
		{`echo "a;b"; c`, []string{`echo "a;b"`, "c"}},
		{`echo a"; rcon_password x"`, []string{`echo a"; rcon_password x"`}},
		{"\techo a\t;\t b ;;", []string{"echo a", "b"}},
		{" ; ", nil},
	} {
		if got := Parts(tt.in); strings.Join(got, "|") != strings.Join(tt.want, "|") || len(got) != len(tt.want) {
			t.Errorf("Parts(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestNewPolicy(t *testing.T) {
	if _, err := NewPolicy([]string{"sm_admin_pw", " Mani_Password "}); err != nil {
		t.Errorf("NewPolicy(good names) = %v", err)
	}
	for _, bad := range []string{"", "a b", "x;y", "ab", `"q"`} {
		if _, err := NewPolicy([]string{bad}); err == nil || !strings.Contains(err.Error(), "secret cvar") {
			t.Errorf("NewPolicy(%q) = %v, want an error naming the secret cvar", bad, err)
		}
	}
}

// TestSecretsForShared: a user the instance is shared with (MaySeeSecrets
// false) may neither read nor set a secret cvar, however the command is
// chained, and never sees a line naming one; the owner may, and the
// history keeps no secret of either. (Fails on the old code: no user was
// refused, and ForHistory looked only at the first word before a space.)
func TestSecretsForShared(t *testing.T) {
	ctx := context.Background()
	st, u := newStore(t)
	bob, err := st.CreateUser(ctx, "bob", "hash", false)
	if err != nil {
		t.Fatal(err)
	}
	snd := &echoSender{}
	p, err := NewPolicy([]string{"sm_secret"})
	if err != nil {
		t.Fatal(err)
	}
	c := New(snd, states{"alpha": instance.Running}, st, p)
	alpha := instance.Instance{Name: "alpha", RCONPassword: "pw-of-alpha-0123"}
	owner := User{ID: u.ID, Name: u.Name, MaySeeSecrets: true}
	shared := User{ID: bob.ID, Name: bob.Name}

	refused := []string{
		"rcon_password",
		"sv_password x",
		"RCON_PASSWORD",
		"echo a; rcon_password x",
		"echo a;\trcon_password\tx",
		`echo a; "rcon_password" "x"`,
		`rcon_"password" x`,
		";sv_password",
		";sv_password hunter2",
		"sv_logsecret",
		"sv_setsteamaccount ABC",
		`alias x "rcon_password y"`,
		"help rcon_password",
		"sm_cvar sv_password",
		"sm_secret",
		"echo a\nrcon_password x",  // refused as more than one line, before the policy
		"echo a\r\nsv_password x",  // likewise
		"echo a;\nrcon_password x", // likewise
	}
	for _, cmd := range refused {
		_, err := c.Send(ctx, alpha, shared, cmd)
		if strings.ContainsAny(cmd, "\r\n") {
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("shared user's %q = %v, want ErrInvalid", cmd, err)
			}
			continue
		}
		if !errors.Is(err, ErrSecret) || !strings.Contains(err.Error(), "only the instance's owner and administrators may read or set") {
			t.Errorf("shared user's %q = %v, want ErrSecret", cmd, err)
		}
	}
	if len(snd.sent) != 0 {
		t.Fatalf("refused commands reached the server: %q", snd.sent)
	}

	// The owner's secret commands go through, the reply whole.
	for _, cmd := range []string{"rcon_password", "sv_password x", "echo a; rcon_password x", `echo "a;b";sv_password "p;q"`} {
		e, err := c.Send(ctx, alpha, owner, cmd)
		if err != nil || e.Response != "reply to "+cmd {
			t.Errorf("owner's %q = %+v, %v", cmd, e, err)
		}
	}
	// A shared user's harmless command: the reply loses the lines naming a
	// secret (cvarlist and find print values there) and the instance's
	// own password.
	snd2 := &cannedSender{reply: "sv_cheats : 0 : , \"sv\", \"cheat\"\nrcon_password : hunter2 : , \"sv\"\necho pw-of-alpha-0123\n"}
	c2 := New(snd2, states{"alpha": instance.Running}, st, p)
	e, err := c2.Send(ctx, alpha, shared, "cvarlist")
	if err != nil {
		t.Fatal(err)
	}
	if want := "sv_cheats : 0 : , \"sv\", \"cheat\"\n" + HiddenLine + "\necho <hidden>\n"; e.Response != want {
		t.Errorf("shared user's cvarlist reply = %q, want %q", e.Response, want)
	}
	if e, err := c2.Send(ctx, alpha, owner, "cvarlist"); err != nil || e.Response != snd2.reply {
		t.Errorf("owner's cvarlist reply = %q, %v; want it whole", e.Response, err)
	}

	hist, err := c.History(ctx, "alpha", 0)
	if err != nil {
		t.Fatal(err)
	}
	hist2, err := c2.History(ctx, "alpha", 0)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, h := range append(hist, hist2[len(hist):]...) {
		got = append(got, h.UserName+"|"+h.Command+"|"+h.Response)
		if strings.Contains(h.Command+h.Response, "hunter2") || strings.Contains(h.Command+h.Response, "p;q") ||
			strings.Contains(h.Command+h.Response, "pw-of-alpha") || strings.Contains(h.Command, "rcon_password x") {
			t.Errorf("the history keeps a secret: %q %q", h.Command, h.Response)
		}
	}
	want := []string{
		"alice|rcon_password|" + HiddenReply,
		"alice|sv_password <hidden>|" + HiddenReply,
		"alice|echo a; rcon_password <hidden>|" + HiddenReply,
		`alice|echo "a;b"; sv_password <hidden>|` + HiddenReply,
		"bob|cvarlist|sv_cheats : 0 : , \"sv\", \"cheat\"\n" + HiddenLine + "\necho <hidden>\n",
		"alice|cvarlist|sv_cheats : 0 : , \"sv\", \"cheat\"\n" + HiddenLine + "\necho <hidden>\n",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("history:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestHistoryRedactsOldEntries: entries recorded before the policy knew
// chaining (echo a; rcon_password x kept whole) are redacted on reading.
func TestHistoryRedactsOldEntries(t *testing.T) {
	ctx := context.Background()
	st, u := newStore(t)
	if _, err := st.AddRCON(ctx, "alpha", u.ID, "echo a; rcon_password oldsecret", "reply oldsecret"); err != nil {
		t.Fatal(err)
	}
	hist, err := New(nil, states{}, st, Policy{}).History(ctx, "alpha", 0)
	if err != nil || len(hist) != 1 || hist[0].Command != "echo a; rcon_password <hidden>" || hist[0].Response != HiddenReply {
		t.Errorf("History = %+v, %v", hist, err)
	}
}

type cannedSender struct{ reply string }

func (s *cannedSender) Exec(ctx context.Context, inst instance.Instance, command string) (string, error) {
	return s.reply, nil
}

// TestSetPassword: a running instance gets rcon_password over its old
// password's connection, and nothing goes to the history; a stopped one or
// a console without a sender is told apart from a failed send.
func TestSetPassword(t *testing.T) {
	ctx := context.Background()
	st, _ := newStore(t)
	snd := &echoSender{}
	c := New(snd, states{"alpha": instance.Running, "beta": instance.Stopped}, st, Policy{})
	old := instance.Instance{Name: "alpha", RCONPassword: "old-password"}
	if err := c.SetPassword(ctx, old, "new-password"); err != nil {
		t.Fatal(err)
	}
	if strings.Join(snd.sent, "|") != `alpha: rcon_password "new-password"|alpha: echo left4me: RCON password changed` {
		t.Errorf("sent %q", snd.sent)
	}
	// The server hangs up on the connection that set the password (as
	// the engine does): the new password still works, so the set did.
	snd.failFirst = errors.New("EOF")
	if err := c.SetPassword(ctx, old, "newer-password"); err != nil {
		t.Errorf("SetPassword when the server hangs up on the setter = %v, want nil", err)
	}
	if h, _ := c.History(ctx, "alpha", 0); len(h) != 0 {
		t.Errorf("the new password went to the history: %+v", h)
	}
	if err := c.SetPassword(ctx, instance.Instance{Name: "beta"}, "x"); !errors.Is(err, ErrNotRunning) {
		t.Errorf("SetPassword on a stopped instance = %v, want ErrNotRunning", err)
	}
	if err := New(nil, states{"alpha": instance.Running}, st, Policy{}).SetPassword(ctx, old, "x"); !errors.Is(err, ErrUnavailable) {
		t.Errorf("SetPassword without a sender = %v, want ErrUnavailable", err)
	}
	snd.fail = errors.New("connection reset")
	if err := c.SetPassword(ctx, old, "x"); err == nil || !strings.Contains(err.Error(), "connection reset") {
		t.Errorf("SetPassword with a failing sender = %v", err)
	}
}
