package fakesrcds

import (
	"context"
	"math/rand/v2"
	"net"
	"strconv"
	"strings"
	"testing"
)

// freeBlock returns the first of n consecutive ports that are free for UDP
// and TCP on 127.0.0.1, in this package's range 28000–28999: below the
// kernel's ephemeral range, and apart from every other package's, so that
// nothing else is handed them meanwhile (docs/architecture.md §6).
func freeBlock(t *testing.T, n int) int {
	t.Helper()
	for range 200 {
		base := 28000 + rand.IntN(1000-n)
		ok := true
		for p := base; p < base+n && ok; p++ {
			u, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: p})
			if err != nil {
				ok = false
				break
			}
			u.Close()
			l, err := net.ListenTCP("tcp", &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: p})
			if err != nil {
				ok = false
				break
			}
			l.Close()
		}
		if ok {
			return base
		}
	}
	t.Fatalf("no %d consecutive free ports found", n)
	return 0
}

// holdUDP binds UDP ports first..last on 127.0.0.1 until the test ends.
func holdUDP(t *testing.T, first, last int) {
	t.Helper()
	for p := first; p <= last; p++ {
		c, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: p})
		if err != nil {
			t.Fatalf("hold UDP port %d: %v", p, err)
		}
		t.Cleanup(func() { c.Close() })
	}
}

// udpFree reports whether UDP port p can be bound on 127.0.0.1 now.
func udpFree(p int) bool {
	c, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: p})
	if err != nil {
		return false
	}
	c.Close()
	return true
}

func startPorts(t *testing.T, out *Console, args ...string) (*Server, error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	s, err := Start(ctx, Config{Dir: install(t, nil), Stdout: out, Args: append([]string{"+ip", "127.0.0.1"}, args...)})
	if err != nil {
		cancel()
		return nil, err
	}
	t.Cleanup(func() { cancel(); s.Wait() })
	return s, nil
}

// TestExtraPortsSearchUpwards: the client and HLTV sockets start at
// +clientport and +tv_port and move up past taken ports, with a warning.
func TestExtraPortsSearchUpwards(t *testing.T) {
	base := freeBlock(t, 30)
	game, client, tv := base, base+5, base+15
	holdUDP(t, client, client+1)
	holdUDP(t, tv, tv)
	var out Console
	s, err := startPorts(t, &out, "+hostport", strconv.Itoa(game), "+clientport", strconv.Itoa(client), "+tv_port", strconv.Itoa(tv))
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	if s.Port() != game || s.ClientPort() != client+2 || s.TVPort() != tv+1 {
		t.Errorf("bound game %d, client %d, HLTV %d; want %d, %d, %d\n%s", s.Port(), s.ClientPort(), s.TVPort(), game, client+2, tv+1, out.String())
	}
	for _, want := range []string{
		"WARNING: UDP_OpenSocket: port: " + strconv.Itoa(client) + " ",
		"WARNING: UDP_OpenSocket: port: " + strconv.Itoa(client+1) + " ",
		"WARNING: UDP_OpenSocket: port: " + strconv.Itoa(tv) + " ",
		"ports " + strconv.Itoa(game) + " SV / " + strconv.Itoa(client+2) + " CL",
		"SourceTV (HLTV) socket on port " + strconv.Itoa(tv+1),
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("console lacks %q:\n%s", want, out.String())
		}
	}
	// The sockets are really bound.
	if udpFree(client+2) || udpFree(tv+1) {
		t.Errorf("client port %d or HLTV port %d is not bound", client+2, tv+1)
	}
	s.Close()
	if !udpFree(client+2) || !udpFree(tv+1) {
		t.Errorf("extra ports still bound after the server stopped")
	}
}

// TestExtraPortsDefaults: without +clientport and +tv_port the sockets
// search from 27005 and 27020.
func TestExtraPortsDefaults(t *testing.T) {
	game := freeBlock(t, 1)
	var out Console
	s, err := startPorts(t, &out, "+hostport", strconv.Itoa(game))
	if err != nil {
		if strings.Contains(err.Error(), "SourceTV") {
			t.Skipf("27020-27029 all taken on this host: %v", err)
		}
		t.Fatalf("Start: %v", err)
	}
	if cp := s.ClientPort(); cp < DefaultClientPort || cp >= DefaultClientPort+portTries {
		// Any port only when all ten were taken.
		if !strings.Contains(out.String(), "port: "+strconv.Itoa(DefaultClientPort+portTries-1)+" ") {
			t.Errorf("client port %d outside %d-%d without all of them taken:\n%s", cp, DefaultClientPort, DefaultClientPort+portTries-1, out.String())
		}
	}
	if tp := s.TVPort(); tp < DefaultTVPort || tp >= DefaultTVPort+portTries {
		t.Errorf("HLTV port %d outside %d-%d", tp, DefaultTVPort, DefaultTVPort+portTries-1)
	}
}

// TestClientPortFallsBackToAny: with its ten ports taken the client socket
// binds any port instead of failing.
func TestClientPortFallsBackToAny(t *testing.T) {
	base := freeBlock(t, 12)
	holdUDP(t, base+1, base+10)
	var out Console
	s, err := startPorts(t, &out, "+hostport", strconv.Itoa(base), "+clientport", strconv.Itoa(base+1), "-nohltv")
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	if cp := s.ClientPort(); cp == 0 || (cp >= base+1 && cp <= base+10) {
		t.Errorf("client port %d, want any port outside the taken %d-%d", cp, base+1, base+10)
	}
}

// TestHLTVFatalWhenNoPortFree: with all ten HLTV ports taken the server
// does not start, and says why.
func TestHLTVFatalWhenNoPortFree(t *testing.T) {
	base := freeBlock(t, 13)
	holdUDP(t, base+3, base+12)
	var out Console
	_, err := startPorts(t, &out, "+hostport", strconv.Itoa(base), "+clientport", strconv.Itoa(base+1), "+tv_port", strconv.Itoa(base+3))
	if err == nil {
		t.Fatalf("started with every HLTV port taken:\n%s", out.String())
	}
	if !strings.Contains(out.String(), "Couldn't allocate any HLTV IP port") {
		t.Errorf("no fatal line on the console:\n%s", out.String())
	}
	// Nothing stays bound.
	for _, p := range []int{base, base + 1} {
		if !udpFree(p) {
			t.Errorf("port %d still bound after the failed start", p)
		}
	}
}

// TestNoHLTV: -nohltv opens no HLTV socket, so a taken HLTV range does not
// matter.
func TestNoHLTV(t *testing.T) {
	base := freeBlock(t, 13)
	holdUDP(t, base+3, base+12)
	var out Console
	s, err := startPorts(t, &out, "+hostport", strconv.Itoa(base), "+clientport", strconv.Itoa(base+1), "+tv_port", strconv.Itoa(base+3), "-nohltv")
	if err != nil {
		t.Fatalf("Start with -nohltv: %v\n%s", err, out.String())
	}
	if s.TVPort() != 0 || strings.Contains(out.String(), "HLTV") {
		t.Errorf("HLTV port %d with -nohltv:\n%s", s.TVPort(), out.String())
	}
}

// TestStrictPortBindEverySocket: with -strictportbind a taken game port or
// HLTV port is fatal with a console line instead of moving up.
func TestStrictPortBindEverySocket(t *testing.T) {
	tests := []struct {
		name     string
		hold     int // offset from base held on UDP
		wantLine string
	}{
		{"game port", 0, "Couldn't allocate dedicated server IP port"},
		{"HLTV port", 3, "Couldn't allocate any HLTV IP port"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			base := freeBlock(t, 5)
			holdUDP(t, base+tt.hold, base+tt.hold)
			var out Console
			_, err := startPorts(t, &out, "+hostport", strconv.Itoa(base), "+clientport", strconv.Itoa(base+1), "+tv_port", strconv.Itoa(base+3), "-strictportbind")
			if err == nil {
				t.Fatalf("started on a taken %s with -strictportbind:\n%s", tt.name, out.String())
			}
			if !strings.Contains(out.String(), tt.wantLine) {
				t.Errorf("console lacks %q:\n%s", tt.wantLine, out.String())
			}
		})
	}
}

// TestPortZeroTakesAnyExtraPorts: the stand-in's game port 0 (tests running
// many servers) binds the extra sockets on any port, never the defaults'
// fatal search.
func TestPortZeroTakesAnyExtraPorts(t *testing.T) {
	var out Console
	s, err := startPorts(t, &out, "+hostport", "0")
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	if s.ClientPort() == 0 || s.TVPort() == 0 || s.ClientPort() == s.Port() || s.TVPort() == s.Port() {
		t.Errorf("game %d, client %d, HLTV %d", s.Port(), s.ClientPort(), s.TVPort())
	}
}

func TestParsePortArgs(t *testing.T) {
	o, err := ParseArgs([]string{"-norestart", "-nohltv", "+clientport", "27016", "+tv_port", "27030", "+hostport", "27015"})
	if err != nil {
		t.Fatal(err)
	}
	if !o.NoHLTV || o.ClientPort != 27016 || o.TVPort != 27030 || o.Port != 27015 || len(o.Commands) != 0 {
		t.Errorf("parsed %+v", o)
	}
	for _, bad := range [][]string{{"+clientport", "x"}, {"+tv_port", "70000"}} {
		if _, err := ParseArgs(bad); err == nil || !strings.Contains(err.Error(), bad[0]) {
			t.Errorf("ParseArgs(%q) = %v, want an error naming %s", bad, err, bad[0])
		}
	}
}
