package srcds_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/left4me/left4me/internal/fakesrcds"
	"github.com/left4me/left4me/internal/srcds"
)

// settle waits until the server has logged s (it logs a command after
// running it, so after the client saw the result).
func settle(c *fakesrcds.Console, s string) {
	for deadline := time.Now().Add(5 * time.Second); c.Count(s) == 0 && time.Now().Before(deadline); {
		time.Sleep(5 * time.Millisecond)
	}
}

// startConsole starts fakesrcds with the RCON password set once at launch
// (as left4me does) and a console log to count auths in.
func startConsole(t *testing.T, serverCfg string, args ...string) (*fakesrcds.Server, *fakesrcds.Console) {
	t.Helper()
	var out fakesrcds.Console
	ctx, cancel := context.WithCancel(context.Background())
	full := append([]string{"+ip", "127.0.0.1", "+hostport", "0", "+rcon_password", "s3cret"}, args...)
	s, err := fakesrcds.StartInTree(ctx, t.TempDir(), serverCfg, full, &out)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	t.Cleanup(func() { cancel(); _ = s.Wait() })
	return s, &out
}

func TestSessionRedialsWhenClosedBeforeSending(t *testing.T) {
	s, out := startConsole(t, "")
	sess := srcds.NewSession(s.Addr(), "s3cret")
	defer sess.Close()
	ctx := testCtx(t)
	if _, err := sess.Exec(ctx, "status", true); err != nil {
		t.Fatal(err)
	}
	for _, cmd := range []string{"status", "say after the password was set"} {
		s.Exec("rcon_password s3cret") // closes every RCON connection
		if _, err := sess.Exec(ctx, cmd, srcds.Idempotent(cmd)); err != nil {
			t.Fatalf("%s after the connection was closed: %v", cmd, err)
		}
	}
	if n := out.Count(`": password accepted`); n != 3 || sess.Dials() != 3 {
		t.Errorf("%d auths logged, %d dials; want 3 of each", n, sess.Dials())
	}
	if n := out.Count(`command "say after the password was set"`); n != 1 {
		t.Errorf("the say command ran %d times, want once", n)
	}
}

func TestSessionDoesNotResendAfterBreakingMidCommand(t *testing.T) {
	s, out := startConsole(t, "")
	sess := srcds.NewSession(s.Addr(), "s3cret")
	defer sess.Close()
	ctx := testCtx(t)
	if _, err := sess.Exec(ctx, "status", true); err != nil {
		t.Fatal(err)
	}
	// The server closes the connection while running this very command.
	_, err := sess.Exec(ctx, "rcon_password s3cret", false)
	if err == nil || errors.Is(err, srcds.ErrClosed) || !strings.Contains(err.Error(), "not sent again") {
		t.Errorf("error %v, want a broken connection reported and the command not resent", err)
	}
	settle(out, `command "rcon_password s3cret"`)
	if n := out.Count(`command "rcon_password s3cret"`); n != 1 {
		t.Errorf("the command ran %d times, want once", n)
	}
	if _, err := sess.Exec(ctx, "status", true); err != nil {
		t.Errorf("the next command: %v", err)
	}
}

func TestSessionKeepsConnectionThroughMapLoads(t *testing.T) {
	s, out := startConsole(t, "", "-fakemapload", "1")
	sess := srcds.NewSession(s.Addr(), "s3cret")
	defer sess.Close()
	ctx := testCtx(t)
	for _, m := range []string{"c2m1_highway", "c3m1_plankcountry", "c4m1_milltown_a"} {
		if _, err := sess.Exec(ctx, "changelevel "+m, false); err != nil {
			t.Fatalf("changelevel %s: %v", m, err)
		}
		// A poll with a short deadline during the load gets no reply...
		short, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
		_, err := sess.Exec(short, "status", true)
		cancel()
		if err == nil {
			t.Logf("status answered during the load of %s", m)
		}
		// ...and the connection stays for the next one.
		got, err := sess.Exec(ctx, "status", true)
		if err != nil {
			t.Fatalf("status after the load of %s: %v", m, err)
		}
		if st, err := srcds.ParseStatus(got); err != nil || st.Map != m {
			t.Errorf("status after the load of %s: %+v, %v", m, st, err)
		}
	}
	if n := out.Count(`": password accepted`); n != 1 || sess.Dials() != 1 {
		t.Errorf("%d auths logged, %d dials over three map loads; want 1", n, sess.Dials())
	}
}

func TestSessionBacksOffAfterRefusedPassword(t *testing.T) {
	s, out := startConsole(t, "")
	sess := srcds.NewSession(s.Addr(), "wrong")
	ctx := testCtx(t)
	for i := range 10 {
		if _, err := sess.Exec(ctx, "status", true); !errors.Is(err, srcds.ErrAuth) {
			t.Fatalf("attempt %d: %v, want ErrAuth", i, err)
		}
	}
	if n := out.Count(`": Bad Password`); n != 1 || sess.Dials() != 1 {
		t.Errorf("%d failed auths logged, %d dials; want 1 (the server bans after 5)", n, sess.Dials())
	}
}

func TestIdempotent(t *testing.T) {
	for cmd, want := range map[string]bool{
		"status": true, "mp_gamemode": true, "cvarlist sv_": true, "users": true,
		"quit": false, "changelevel c2m1_highway": false, "mp_gamemode versus": false,
		"say hi": false, "status; quit": false, "": false, "_restart": false,
	} {
		if got := srcds.Idempotent(cmd); got != want {
			t.Errorf("Idempotent(%q) = %v, want %v", cmd, got, want)
		}
	}
}
