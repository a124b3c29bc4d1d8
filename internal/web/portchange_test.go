package web

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"testing"

	"github.com/left4me/left4me/internal/instance"
)

// TestPortChangeOfARunningInstance (issue 15, finding 11): a shared user
// changes the port of a running instance. The answer says the new port
// applies at the next start; the live poller, the console and the log
// sources keep using the port the server runs on; and setting the port
// back to it is no conflict with the server's own sockets.
func TestPortChangeOfARunningInstance(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	owner := e.quickUser("alice", false)
	bob := e.quickUser("bob", false)
	in := e.mustCreate("alpha", owner)
	if err := e.st.ShareInstance(ctx, "alpha", bob.ID); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.Start(ctx, "alpha"); err != nil {
		t.Fatal(err)
	}
	// The "server" holds its port block as srcds would: game port on UDP
	// and TCP, client port on UDP.
	running := in.Port
	for _, l := range []struct{ net, addr string }{
		{"tcp", fmt.Sprintf(":%d", running)}, {"udp", fmt.Sprintf(":%d", running)}, {"udp", fmt.Sprintf(":%d", running+1)},
	} {
		if l.net == "tcp" {
			ln, err := net.Listen(l.net, l.addr)
			if err != nil {
				t.Skipf("cannot hold %s %s: %v", l.net, l.addr, err)
			}
			defer ln.Close()
		} else {
			pc, err := net.ListenPacket(l.net, l.addr)
			if err != nil {
				t.Skipf("cannot hold %s %s: %v", l.net, l.addr, err)
			}
			defer pc.Close()
		}
	}
	c := e.as(bob)
	moved := running + 100
	resp, body := c.do("PATCH", "/api/v1/instances/alpha", fmt.Sprintf(`{"port": %d}`, moved), nil)
	var v struct {
		Port        int `json:"port"`
		PendingPort int `json:"pending_port"`
	}
	if resp.StatusCode != http.StatusOK || json.Unmarshal([]byte(body), &v) != nil {
		t.Fatalf("PATCH port: %d %s", resp.StatusCode, body)
	}
	if v.Port != running || v.PendingPort != moved {
		t.Errorf("PATCH answer: port %d pending_port %d, want %d %d", v.Port, v.PendingPort, running, moved)
	}
	if _, page := c.get("/instances/alpha"); !strings.Contains(page, "port "+strconv.Itoa(moved)+" at next start") {
		t.Errorf("the instance page does not say the new port is pending")
	}
	if _, page := c.get("/instances"); !strings.Contains(page, "→ "+strconv.Itoa(moved)) {
		t.Errorf("the instance list does not show the pending port")
	}

	// What talks to the running server uses its running port.
	targets, err := LiveTargets(e.svc, e.sup, netip.MustParseAddr("192.0.2.1"))(ctx)
	if err != nil || len(targets) != 1 {
		t.Fatalf("live targets: %v %v", targets, err)
	}
	if want := "127.0.0.1:" + strconv.Itoa(running); targets[0].RCONAddr != want || targets[0].A2SAddr != "192.0.2.1:"+strconv.Itoa(running) {
		t.Errorf("live target %+v, want RCON %s and A2S on port %d", targets[0], want, running)
	}
	if src, ok, err := LogSources(e.svc)(ctx, running); err != nil || !ok || src.Instance != "alpha" {
		t.Errorf("log source of port %d: %+v %v %v, want alpha", running, src, ok, err)
	}

	// Setting it back: the sockets are the instance's own.
	resp, body = c.do("PATCH", "/api/v1/instances/alpha", fmt.Sprintf(`{"port": %d}`, running), nil)
	if resp.StatusCode != http.StatusOK || strings.Contains(body, "pending_port") {
		t.Fatalf("PATCH back to the running port: %d %s", resp.StatusCode, body)
	}
	if got, _ := e.svc.Get(ctx, "alpha"); got.Port != running || got.PendingPort(true) != 0 {
		t.Errorf("after setting it back: port %d, pending %d", got.Port, got.PendingPort(true))
	}
	if st, _ := e.sup.Status(ctx, "alpha"); st.State != instance.Running {
		t.Errorf("alpha is %s", st.State)
	}
}
