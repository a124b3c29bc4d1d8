package fakesrcds

import (
	"encoding/binary"
	"net"
	"net/netip"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	a2s "github.com/rumblefrog/go-a2s"
)

func TestSplitCommands(t *testing.T) {
	text := "hostname \"My; Server\" // comment; not a command\n" +
		"sv_tags a,b;  mp_gamemode versus\r\n" +
		"\n   // only a comment\n" +
		"logaddress_add 192.0.2.1:27500\n" +
		"echo \"unterminated\n" +
		"say hello world"
	got := splitCommands(text)
	want := []command{
		{args: []string{"hostname", "My; Server"}, argS: `"My; Server"`},
		{args: []string{"sv_tags", "a,b"}, argS: "a,b"},
		{args: []string{"mp_gamemode", "versus"}, argS: "versus"},
		{args: []string{"logaddress_add", "192.0.2.1:27500"}, argS: "192.0.2.1:27500"},
		{args: []string{"echo", "unterminated"}, argS: `"unterminated`},
		{args: []string{"say", "hello", "world"}, argS: "hello world"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("splitCommands:\n got  %#v\n want %#v", got, want)
	}
	if v := got[0].cvarValue(); v != "My; Server" {
		t.Errorf("single-token value: %q", v)
	}
	if v := got[5].cvarValue(); v != "hello world" {
		t.Errorf("multi-token value: %q", v)
	}
}

func TestParseArgs(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		want    func(*Options)
		wantErr bool
	}{
		{name: "defaults", args: nil, want: func(*Options) {}},
		{name: "typical unit line",
			args: strings.Fields("-game left4dead2 +ip 0.0.0.0 +hostport 27020 +map c2m1_highway +maxplayers 8 -tickrate 60 -console +sv_region -1 +hostname x"),
			want: func(o *Options) {
				o.Port, o.Map, o.MaxPlayers, o.Tickrate = 27020, "c2m1_highway", 8, 60
				o.Commands = []string{"sv_region -1", "hostname x"}
			}},
		{name: "-port and stand-in switches",
			args: strings.Fields("-port 27030 -fakeplayers 3 -fakebots 2 -allowloopbacklog -fakecrash"),
			want: func(o *Options) {
				o.Port, o.FakePlayers, o.FakeBots, o.AllowLoopbackLog, o.FakeCrash = 27030, 3, 2, true, true
			}},
		{name: "value with spaces is requoted", args: []string{"+hostname", "My Server"},
			want: func(o *Options) { o.Commands = []string{`hostname "My Server"`} }},
		{name: "bad port", args: strings.Fields("+hostport 70000"), wantErr: true},
		{name: "bad maxplayers", args: strings.Fields("+maxplayers x"), wantErr: true},
		{name: "game path", args: strings.Fields("-game ../etc"), wantErr: true},
		{name: "missing -port value", args: []string{"-port"}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseArgs(tt.args)
			if tt.wantErr {
				if err == nil {
					t.Fatalf("ParseArgs(%q) = %+v, want an error", tt.args, got)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			want := DefaultOptions()
			tt.want(&want)
			if !reflect.DeepEqual(got, want) {
				t.Errorf("got  %+v\nwant %+v", got, want)
			}
		})
	}
}

func TestCvarDescribe(t *testing.T) {
	s := newCvarSet()
	tests := []struct {
		set, name, value, want string
	}{
		{name: "mp_gamemode", value: "versus", want: "\"mp_gamemode\" = \"versus\" ( def. \"coop\" )\n game notify replicated\n - Current game mode (coop, realism, versus, survival, scavenge).\n"},
		{name: "mp_gamemode", value: "COOP", want: "\"mp_gamemode\" = \"COOP\"\n game notify replicated\n - Current game mode (coop, realism, versus, survival, scavenge).\n"},
		{name: "my_plugin_cvar", value: `a "b"`, want: "\"my_plugin_cvar\" = \"a \"b\"\" ( def. \"\" )\n"},
	}
	for _, tt := range tests {
		c := s.set(tt.name, tt.value)
		if got := c.describe(); got != tt.want {
			t.Errorf("describe %s=%q:\n got  %q\n want %q", tt.name, tt.value, got, tt.want)
		}
	}
}

func TestFormatSeconds(t *testing.T) {
	for sec, want := range map[int]string{0: "00:00", 12: "00:12", 754: "12:34", 3723: " 1:02:03", 36000: "10:00:00"} {
		if got := formatSeconds(sec); got != want {
			t.Errorf("formatSeconds(%d) = %q, want %q", sec, got, want)
		}
	}
}

func TestDecodeA2SRequest(t *testing.T) {
	hdr := "\xff\xff\xff\xff"
	tests := []struct {
		name string
		pkt  string
		want a2sRequest
		err  bool
	}{
		{"info without challenge", hdr + "TSource Engine Query\x00", a2sRequest{kind: a2sInfo}, false},
		{"info with challenge", hdr + "TSource Engine Query\x00\x01\x02\x03\x04", a2sRequest{kind: a2sInfo, challenge: 0x04030201, hasChallenge: true}, false},
		{"player asking for challenge", hdr + "U\xff\xff\xff\xff", a2sRequest{kind: a2sPlayer, challenge: 0xFFFFFFFF}, false},
		{"rules with challenge", hdr + "V\x10\x00\x00\x00", a2sRequest{kind: a2sRules, challenge: 16, hasChallenge: true}, false},
		{"getchallenge", hdr + "W", a2sRequest{kind: a2sGetChallenge}, false},
		{"info with wrong payload", hdr + "TSource Engine Quer", a2sRequest{}, true},
		{"player too short", hdr + "U\x01", a2sRequest{}, true},
		{"split header", "\xfe\xff\xff\xffT", a2sRequest{}, true},
		{"unknown kind", hdr + "Z", a2sRequest{}, true},
		{"empty", "", a2sRequest{}, true},
	}
	for _, tt := range tests {
		got, err := decodeA2SRequest([]byte(tt.pkt))
		if (err != nil) != tt.err || got != tt.want {
			t.Errorf("%s: got %+v, %v; want %+v, err=%v", tt.name, got, err, tt.want, tt.err)
		}
	}
}

func TestDecodeRCONPayload(t *testing.T) {
	pkt := encodeRCONPacket(7, rconExecCommand, "status")
	if int(binary.LittleEndian.Uint32(pkt)) != len(pkt)-4 {
		t.Fatalf("size field %d for %d bytes", binary.LittleEndian.Uint32(pkt), len(pkt))
	}
	got, err := readRCONPacket(strings.NewReader(string(pkt)))
	if err != nil || got != (rconPacket{id: 7, typ: rconExecCommand, body: "status"}) {
		t.Errorf("round trip: %+v, %v", got, err)
	}
	for name, raw := range map[string]string{
		"size too small": "\x05\x00\x00\x00aaaaa",
		"size too large": "\xff\xff\x00\x00",
		"negative size":  "\xff\xff\xff\xff",
		"truncated":      "\x0e\x00\x00\x00\x01\x00\x00\x00",
		"no terminator":  "\x0a\x00\x00\x00\x01\x00\x00\x00\x02\x00\x00\x00ab",
	} {
		if _, err := readRCONPacket(strings.NewReader(raw)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// TestSplitReplyWithGoA2S answers A2S_RULES with a reply far over one
// datagram, split by splitReply, and lets go-a2s reassemble it.
func TestSplitReplyWithGoA2S(t *testing.T) {
	var w a2sWriter
	w.Write([]byte{0xFF, 0xFF, 0xFF, 0xFF, a2sRulesResp})
	w.le(uint16(300))
	want := map[string]string{}
	for i := range 300 {
		k, v := "rule_"+strings.Repeat("k", i%7)+string(rune('a'+i%26))+strconv.Itoa(i), strings.Repeat("v", i%13)
		want[k] = v
		w.str(k)
		w.str(v)
	}
	reply := w.Bytes()
	pc, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	go func() {
		buf := make([]byte, 1500)
		for {
			n, src, err := pc.ReadFromUDPAddrPort(buf)
			if err != nil {
				return
			}
			if n >= 9 && buf[4] == a2sRules {
				for _, p := range splitReply(reply, 77) {
					if len(p) > maxA2SPacket {
						t.Errorf("split packet of %d bytes", len(p))
					}
					_, _ = pc.WriteToUDPAddrPort(p, src)
				}
			}
		}
	}()
	c, err := a2s.NewClient(pc.LocalAddr().String(), a2s.TimeoutOption(5*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	rules, err := c.QueryRules()
	if err != nil {
		t.Fatalf("QueryRules: %v", err)
	}
	if !reflect.DeepEqual(rules.Rules, want) {
		t.Errorf("reassembled %d rules, want %d", len(rules.Rules), len(want))
	}
}

func TestLoopbackLogDestinations(t *testing.T) {
	tests := []struct {
		dest  string
		allow bool
		want  bool
	}{
		{"127.0.0.1:27500", false, false},
		{"127.8.9.10:27500", false, false},
		{"192.0.2.1:27500", false, true},
		{"127.0.0.1:27500", true, true},
	}
	for _, tt := range tests {
		if got := logDestAllowed(netip.MustParseAddrPort(tt.dest), tt.allow); got != tt.want {
			t.Errorf("logDestAllowed(%s, %v) = %v, want %v", tt.dest, tt.allow, got, tt.want)
		}
	}
}

// TestChatter: with fakesrcds_chat_interval the simulated humans talk in
// turn, say and say_team, as log lines the events feed parses; bots do not.
func TestChatter(t *testing.T) {
	var out Console
	start(t, install(t, map[string]string{"server.cfg": "log on\nfakesrcds_players 2\nfakesrcds_bots 1\nfakesrcds_chat_interval 0.01\n"}), &out)
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline) && out.Count(" say") < 3; {
		time.Sleep(10 * time.Millisecond)
	}
	logs := out.String()
	for _, want := range []string{`<STEAM_1:0:1><Survivor>" say "hi all"`, `<STEAM_1:0:2><Survivor>" say_team "tank incoming, hold the saferoom"`, `<STEAM_1:0:1><Survivor>" say "nice shot"`} {
		if !strings.Contains(logs, want) {
			t.Errorf("the log lacks %q:\n%s", want, logs)
		}
	}
	if strings.Contains(logs, `<BOT><Survivor>" say`) {
		t.Error("a bot talked")
	}
}
