package fakesrcds

import (
	"net"
	"strconv"
	"testing"
	"time"

	"github.com/left4me/left4me/internal/hostaddr"
)

// TestA2SRateLimit: one address gets at most sv_max_queries_sec ×
// sv_max_queries_window answers in a window; another address still gets
// its own.
func TestA2SRateLimit(t *testing.T) {
	s := startAny(t, install(t, map[string]string{"server.cfg": "sv_max_queries_sec 1\nsv_max_queries_window 30\n"}), nil, "-a2sloopback")
	ask := func(host string, n int) int {
		t.Helper()
		conn, err := net.Dial("udp", net.JoinHostPort(host, strconv.Itoa(s.Port())))
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		req := append([]byte{0xFF, 0xFF, 0xFF, 0xFF, 0x54}, "Source Engine Query\x00"...)
		answers := 0
		buf := make([]byte, 1500)
		for range n {
			if _, err := conn.Write(req); err != nil {
				t.Fatal(err)
			}
			conn.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
			if _, err := conn.Read(buf); err == nil {
				answers++
			}
		}
		return answers
	}
	if got := ask("127.0.0.1", 35); got != 30 {
		t.Errorf("answers to 35 queries from one address: %d, want 30 (1 a second over 30 s)", got)
	}
	other, err := hostaddr.Primary()
	if err != nil {
		t.Skipf("no second address on this host: %v", err)
	}
	if got := ask(other.String(), 3); got != 3 {
		t.Errorf("answers to another address: %d, want 3", got)
	}
}
