package srcds

import (
	"strings"
	"testing"
)

// FuzzParseLogLine checks the log parser never panics and that what it
// accepts is consistent with its input. Seeds: testdata/fuzz/FuzzParseLogLine.
func FuzzParseLogLine(f *testing.F) {
	f.Add([]byte("L 11/29/2026 - 22:18:29: \"Name<2><STEAM_1:0:1><Survivor>\" say \"hi\"\n\x00"))
	f.Fuzz(func(t *testing.T, b []byte) {
		ev, err := ParseLogLine(b)
		if err != nil {
			return
		}
		if ev.Type == "" {
			t.Fatalf("accepted line without a type: %q", b)
		}
		if !strings.Contains(string(b), ev.Message) {
			t.Fatalf("message %q not in input %q", ev.Message, b)
		}
		_, _ = ParseLogPacket(b, "1234")
	})
}

// FuzzParseStatus checks the status parser never panics and reports no
// more human rows than lines. Seeds: testdata/fuzz/FuzzParseStatus.
func FuzzParseStatus(f *testing.F) {
	f.Add("hostname: x\nmap     : c1m1_hotel\nplayers : 1 humans, 0 bots (8 max)\n# 2 1 \"a\" STEAM_1:0:1 00:01 1 0 active 1 1.2.3.4:5\n#end\n")
	f.Fuzz(func(t *testing.T, s string) {
		st, err := ParseStatus(s)
		if err != nil {
			return
		}
		if len(st.Players) > strings.Count(s, "#") {
			t.Fatalf("%d players from %d rows", len(st.Players), strings.Count(s, "#"))
		}
		for _, p := range st.Players {
			if p.Connected < 0 {
				t.Fatalf("negative connected time: %+v", p)
			}
		}
	})
}
