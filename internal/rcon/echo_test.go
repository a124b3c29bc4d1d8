package rcon

import (
	"context"
	"testing"

	"github.com/left4me/left4me/internal/instance"
)

// logEchoSender answers like the engine with logging on: the command's
// output, then the log record of the command itself.
type logEchoSender struct{ output string }

func (s logEchoSender) Exec(ctx context.Context, inst instance.Instance, command string) (string, error) {
	return s.output + `L 11/30/2026 - 17:21:37: rcon from "127.0.0.1:40000": command "` + command + `"` + "\n", nil
}

// TestSendDropsTheLogEcho: the reply the panel, API and CLI show (and the
// history keeps) is the command's output, not the server's log record of
// the command, which the console log shows.
func TestSendDropsTheLogEcho(t *testing.T) {
	ctx := context.Background()
	st, u := newStore(t)
	alice := User{ID: u.ID, Name: u.Name, MaySeeSecrets: true}
	alpha := instance.Instance{Name: "alpha"}
	for _, c := range []struct{ output, command string }{{"", "say hi"}, {"0 users\n", "users"}} {
		con := New(logEchoSender{c.output}, states{"alpha": instance.Running}, st, Policy{})
		e, err := con.Send(ctx, alpha, alice, c.command)
		if err != nil || e.Response != c.output {
			t.Fatalf("Send(%q) = %q, %v; want %q", c.command, e.Response, err, c.output)
		}
		h, err := con.History(ctx, "alpha", 1)
		if err != nil || len(h) != 1 || h[0].Response != c.output {
			t.Fatalf("history of %q: %+v, %v", c.command, h, err)
		}
	}
}
