package main

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/left4me/left4me/internal/fakesrcds"
	"github.com/left4me/left4me/internal/instance"
)

// TestInstanceRCONRefuses: the CLI applies the console policy (internal/rcon)
// before anything is sent: a bad command names the field, a stopped
// instance is not running (with the process supervisor a one-shot command
// sees no servers), and nothing reaches the history.
func TestInstanceRCONRefuses(t *testing.T) {
	f := newCLIFixture(t)
	f.must(t, "password-one\n", "user", "create", "alice")
	if err := os.MkdirAll(f.root.Installation("1"), 0o755); err != nil {
		t.Fatal(err)
	}
	f.must(t, "", "instance", "create", "vs1", "--owner", "alice")
	for _, tt := range []struct {
		name string
		args []string
		code int
		msg  string
	}{
		{"no command", []string{"instance", "rcon", "vs1"}, 2, "no command given"},
		{"no name", []string{"instance", "rcon"}, 2, "want at least one argument"},
		{"too long", []string{"instance", "rcon", "vs1", strings.Repeat("x", 600)}, 1, "command: a command is one line of at most 512 characters"},
		{"two lines", []string{"instance", "rcon", "vs1", "status\nquit"}, 1, "command: a command is one line"},
		{"stopped", []string{"instance", "rcon", "vs1", "status"}, 1, "vs1 is not running"},
		{"missing instance", []string{"instance", "rcon", "nope", "status"}, 1, "instance not found"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := f.run(t, "", tt.args...)
			if code != tt.code || !strings.Contains(errOut, tt.msg) || out != "" {
				t.Errorf("exit %d, stdout %q, stderr %q; want exit %d mentioning %q", code, out, errOut, tt.code, tt.msg)
			}
		})
	}
}

// TestRCONOnce sends over a real RCON connection to a stand-in server.
func TestRCONOnce(t *testing.T) {
	var console fakesrcds.Console
	ctx, cancel := context.WithCancel(context.Background())
	s, err := fakesrcds.StartInTree(ctx, t.TempDir(), "", []string{"+ip", "0.0.0.0", "+hostport", "0", "+rcon_password", "pw"}, &console)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	t.Cleanup(func() { cancel(); _ = s.Wait() })
	out, err := rconOnce{}.Exec(context.Background(), instance.Instance{Name: "vs1", Port: s.Port(), RCONPassword: "pw"}, "status")
	if err != nil || !strings.Contains(out, "map") {
		t.Errorf("status = %q, %v", out, err)
	}
	if _, err := (rconOnce{}).Exec(context.Background(), instance.Instance{Name: "vs1", Port: s.Port(), RCONPassword: "wrong"}, "status"); err == nil || !strings.Contains(err.Error(), "send to vs1") {
		t.Errorf("wrong password: %v", err)
	}
}
