package fakesrcds

import (
	"context"
	"errors"
	"io"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	a2s "github.com/rumblefrog/go-a2s"

	"github.com/left4me/left4me/internal/hostaddr"
)

// Tests of the behaviours where the real server is unkind (docs/srcds.md §8).

// startAny starts a server bound to every address (+ip 0.0.0.0), as
// left4me's units do.
func startAny(t *testing.T, dir string, out io.Writer, args ...string) *Server {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	s, err := Start(ctx, Config{Dir: dir, Stdout: out, Args: append([]string{"+ip", "0.0.0.0", "+hostport", "0"}, args...)})
	if err != nil {
		cancel()
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() { cancel(); s.Wait() })
	return s
}

// queryInfo asks addr for A2S_INFO; an error means no answer in time.
func queryInfo(addr string, timeout time.Duration) (*a2s.ServerInfo, error) {
	c, err := a2s.NewClient(addr, a2s.TimeoutOption(timeout))
	if err != nil {
		return nil, err
	}
	defer c.Close()
	return c.QueryInfo()
}

func hostAddr(t *testing.T, s *Server) string {
	t.Helper()
	ip, err := hostaddr.Primary()
	if err != nil {
		t.Skipf("no non-loopback address on this host to query: %v", err)
	}
	return net.JoinHostPort(ip.String(), strconv.Itoa(s.Port()))
}

func TestA2SIgnoresLoopback(t *testing.T) {
	dir := install(t, nil)
	s := startAny(t, dir, nil)
	loop := "127.0.0.1:" + strconv.Itoa(s.Port())
	if _, err := queryInfo(loop, 500*time.Millisecond); err == nil {
		t.Errorf("A2S on %s answered; the real server ignores loopback", loop)
	}
	if info, err := queryInfo(hostAddr(t, s), 5*time.Second); err != nil || info.Map != "c1m1_hotel" {
		t.Errorf("A2S on the host address: %+v, %v", info, err)
	}
	kind := startAny(t, dir, nil, "-a2sloopback")
	if _, err := queryInfo("127.0.0.1:"+strconv.Itoa(kind.Port()), 5*time.Second); err != nil {
		t.Errorf("A2S on loopback with -a2sloopback: %v", err)
	}
	// RCON on loopback keeps working.
	r := dialRaw(t, s)
	r.send(1, rconAuth, "")
	r.expect(1, rconResponseValue, "")
	r.expect(-1, rconAuthResponse, "")
}

func authRaw(t *testing.T, s *Server, pw string) *rconConn {
	t.Helper()
	r := dialRaw(t, s)
	r.send(1, rconAuth, pw)
	r.expect(1, rconResponseValue, "")
	r.expect(1, rconAuthResponse, "")
	return r
}

func TestRCONPasswordClosesSessions(t *testing.T) {
	tests := []struct {
		name string
		do   func(s *Server, other *rconConn)
	}{
		{"console, same value", func(s *Server, _ *rconConn) { s.Exec("rcon_password pw") }},
		{"exec of a cfg", func(s *Server, _ *rconConn) { s.Exec("exec pw.cfg") }},
		{"changelevel runs server.cfg", func(s *Server, _ *rconConn) { s.Exec("changelevel c2m1_highway") }},
		{"map runs server.cfg", func(s *Server, _ *rconConn) { s.Exec("map c3m1_plankcountry") }},
		{"over RCON", func(_ *Server, other *rconConn) { other.send(9, rconExecCommand, "rcon_password pw") }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := start(t, install(t, map[string]string{"server.cfg": "rcon_password pw\n", "pw.cfg": "rcon_password pw\n"}), nil, "-fakemapload", "0")
			kept := authRaw(t, s, "pw")
			other := authRaw(t, s, "pw")
			kept.send(2, rconExecCommand, "echo before")
			kept.expect(2, rconResponseValue, "before\n")
			tt.do(s, other)
			kept.expectClosed()
			// A new session authenticates again.
			again := authRaw(t, s, "pw")
			again.send(3, rconExecCommand, "echo after")
			again.expect(3, rconResponseValue, "after\n")
		})
	}
	t.Run("other cvars leave sessions open", func(t *testing.T) {
		s := start(t, install(t, map[string]string{"server.cfg": "rcon_password pw\n"}), nil)
		kept := authRaw(t, s, "pw")
		s.Exec("hostname x; rcon_password")
		kept.send(2, rconExecCommand, "echo still")
		kept.expect(2, rconResponseValue, "still\n")
	})
}

func TestMapLoadStalls(t *testing.T) {
	var out Console
	s := startAny(t, install(t, map[string]string{"server.cfg": "sv_tags loaded\n"}), &out, "-fakemapload", "2", "-a2sloopback")
	a2sAddr := "127.0.0.1:" + strconv.Itoa(s.Port())
	if _, err := queryInfo(a2sAddr, 5*time.Second); err != nil {
		t.Fatalf("A2S before the load: %v", err)
	}
	r := dialRaw(t, s)
	r.send(1, rconAuth, "")
	r.expect(1, rconResponseValue, "")
	r.expect(-1, rconAuthResponse, "")
	s.Exec("rcon_password pw")
	r = authRaw(t, s, "pw")
	r.send(2, rconExecCommand, "changelevel c2m1_highway")
	r.expect(2, rconResponseValue, "*") // the command's reply comes before the stall

	if !strings.Contains(out.String(), "---- Host_Changelevel ----") {
		t.Errorf("no Host_Changelevel line at the start of the load:\n%s", out.String())
	}
	if st := s.Exec("status"); !strings.Contains(st, "map     : c1m1_hotel") {
		t.Errorf("the new map is there before the load ended:\n%s", st)
	}
	if _, err := queryInfo(a2sAddr, 300*time.Millisecond); err == nil {
		t.Error("A2S answered during the map load")
	}
	// A command sent now waits (it is not refused) and runs on the new map.
	r.send(3, rconExecCommand, "status")
	p, err := readRCONPacket(r.r)
	if err != nil {
		t.Fatalf("status during the load: %v", err)
	}
	if p.id != 3 || !strings.Contains(p.body, "map     : c2m1_highway") {
		t.Errorf("status after the load: %+v", p)
	}
	// A new connection made during a load also waits, then authenticates.
	s.Exec("changelevel c3m1_plankcountry")
	late := authRaw(t, s, "pw")
	late.send(4, rconExecCommand, "status")
	late.expect(4, rconResponseValue, "*")
	if info, err := queryInfo(a2sAddr, 5*time.Second); err != nil || info.Map != "c3m1_plankcountry" {
		t.Errorf("A2S after the load: %+v, %v", info, err)
	}
	if n := strings.Count(out.String(), "---- Host_Changelevel ----"); n != 2 {
		t.Errorf("%d Host_Changelevel lines, want 2", n)
	}
}

func TestMapLoadSwitch(t *testing.T) {
	for args, want := range map[string]float64{"": 3, "-fakemapload 0": 0, "-fakemapload 1.5": 1.5} {
		o, err := ParseArgs(strings.Fields(args))
		if err != nil || o.FakeMapLoad != want {
			t.Errorf("%q: FakeMapLoad %v, %v; want %v", args, o.FakeMapLoad, err, want)
		}
	}
	for _, bad := range []string{"-fakemapload", "-fakemapload x", "-fakemapload -1"} {
		if _, err := ParseArgs(strings.Fields(bad)); err == nil || !strings.Contains(err.Error(), "-fakemapload") {
			t.Errorf("%q: %v, want an error naming -fakemapload", bad, err)
		}
	}
}

func TestHibernation(t *testing.T) {
	s := start(t, install(t, map[string]string{"server.cfg": "fakesrcds_bots 2\n"}), nil)
	steps := []struct{ cmd, want string }{
		{"status", "players : 0 humans, 0 bots (8 max) (hibernating)"},
		{"fakesrcds_players 1; status", "players : 1 humans, 2 bots (8 max) (not hibernating)"},
		{"fakesrcds_players 0; status", "players : 0 humans, 0 bots (8 max) (hibernating)"},
		{"sv_hibernate_when_empty 0; status", "players : 0 humans, 2 bots (8 max) (not hibernating)"},
		{"sv_hibernate_when_empty 1; status", "players : 0 humans, 0 bots (8 max) (hibernating)"},
	}
	for _, st := range steps {
		if out := s.Exec(st.cmd); !strings.Contains(out, st.want) {
			t.Errorf("%s: want %q in\n%s", st.cmd, st.want, out)
		}
	}
}

func TestRCONBan(t *testing.T) {
	var out Console
	s := start(t, install(t, map[string]string{"server.cfg": "rcon_password pw\n"}), &out)
	kept := authRaw(t, s, "pw")
	bad := dialRaw(t, s)
	for i := range 5 {
		bad.send(int32(i), rconAuth, "wrong")
		bad.expect(int32(i), rconResponseValue, "")
		bad.expect(-1, rconAuthResponse, "")
	}
	bad.expectClosed()
	kept.expectClosed() // a ban closes every connection from the address
	again := dialRaw(t, s)
	if _, err := readRCONPacket(again.r); !errors.Is(err, io.EOF) {
		t.Errorf("a new connection from a banned address: %v, want it closed at once", err)
	}
	log := out.String()
	if n := strings.Count(log, `": password accepted`); n != 1 {
		t.Errorf("%d accepted auths logged, want 1:\n%s", n, log)
	}
	if n := strings.Count(log, `": Bad Password`); n != 5 {
		t.Errorf("%d failed auths logged, want 5:\n%s", n, log)
	}
	if !strings.Contains(log, "Banning 127.0.0.1 for rcon hacking attempts") {
		t.Errorf("no ban line:\n%s", log)
	}

	t.Run("penalty in minutes ends", func(t *testing.T) {
		s := start(t, install(t, map[string]string{"server.cfg": "rcon_password pw\nsv_rcon_maxfailures 2\nsv_rcon_banpenalty 0.005\n"}), nil)
		bad := dialRaw(t, s)
		for i := range 2 {
			bad.send(int32(i), rconAuth, "wrong")
			bad.expect(int32(i), rconResponseValue, "")
			bad.expect(-1, rconAuthResponse, "")
		}
		bad.expectClosed()
		deadline := time.Now().Add(20 * time.Second)
		for {
			c, err := net.Dial("tcp", s.Addr())
			if err != nil {
				t.Fatal(err)
			}
			_ = c.SetDeadline(time.Now().Add(5 * time.Second))
			_, _ = c.Write(encodeRCONPacket(1, rconAuth, "pw"))
			_, err = readRCONPacket(c)
			c.Close()
			if err == nil {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("still banned after the penalty: %v", err)
			}
			time.Sleep(50 * time.Millisecond)
		}
	})
}
