package fakesrcds

import (
	"bytes"
	"testing"
)

// FuzzDecodeA2SRequest: the game port's datagram decoder never panics and
// only accepts the kinds it answers. Seeds: testdata/fuzz/FuzzDecodeA2SRequest.
func FuzzDecodeA2SRequest(f *testing.F) {
	f.Add([]byte("\xff\xff\xff\xffTSource Engine Query\x00"))
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := decodeA2SRequest(b)
		if err != nil {
			return
		}
		switch r.kind {
		case a2sInfo, a2sPlayer, a2sRules, a2sGetChallenge:
		default:
			t.Fatalf("accepted kind %#x", r.kind)
		}
	})
}

// FuzzReadRCONPacket: the RCON decoder never panics, never accepts a size
// out of range, and round-trips what it accepts.
// Seeds: testdata/fuzz/FuzzReadRCONPacket.
func FuzzReadRCONPacket(f *testing.F) {
	f.Add(encodeRCONPacket(1, rconAuth, "password"))
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := readRCONPacket(bytes.NewReader(b))
		if err != nil {
			return
		}
		again, err := readRCONPacket(bytes.NewReader(encodeRCONPacket(p.id, p.typ, p.body)))
		if err != nil || again != p {
			t.Fatalf("round trip of %+v: %+v, %v", p, again, err)
		}
	})
}

// FuzzSplitCommands: the cfg/console tokenizer never panics and never
// yields an empty command.
func FuzzSplitCommands(f *testing.F) {
	f.Add("hostname \"a;b\" // c\nexec x; say \"y")
	f.Fuzz(func(t *testing.T, s string) {
		for _, c := range splitCommands(s) {
			if len(c.args) == 0 {
				t.Fatal("empty command")
			}
		}
	})
}
