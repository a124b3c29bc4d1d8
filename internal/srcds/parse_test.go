package srcds

import (
	"errors"
	"reflect"
	"testing"
	"time"
)

func TestSteamID64(t *testing.T) {
	tests := []struct {
		in      string
		want    uint64
		wantErr bool
	}{
		{in: "STEAM_1:0:123456", want: 76561197960265728 + 2*123456},
		{in: "STEAM_0:1:1", want: 76561197960265728 + 3},
		{in: "[U:1:246913]", want: 76561197960265728 + 246913},
		{in: "76561197960265729", want: 76561197960265729},
		{in: "BOT", wantErr: true},
		{in: "STEAM_1:2:5", wantErr: true},
		{in: "STEAM_1:0", wantErr: true},
		{in: "[U:1:x]", wantErr: true},
		{in: "123", wantErr: true},
		{in: "", wantErr: true},
	}
	for _, tt := range tests {
		got, err := SteamID64(tt.in)
		if tt.wantErr {
			if !errors.Is(err, ErrNotSteamID) {
				t.Errorf("SteamID64(%q) = %d, %v; want ErrNotSteamID", tt.in, got, err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("SteamID64(%q) = %d, %v; want %d", tt.in, got, err, tt.want)
		}
	}
}

func TestParseStatus(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    Status
		wantErr error
	}{
		{
			name: "reference sample",
			in: "hostname: My Server\nmap     : c1m1_hotel at: 0 x, 0 y, 0 z\nplayers : 1 humans, 0 bots (8 max) (not hibernating)\n\n" +
				"# userid name uniqueid connected ping loss state rate adr\n" +
				"#  2 1 \"Player\" STEAM_1:0:123456 00:12 50 0 active 30000 203.0.113.7:27005\n#end\n",
			want: Status{Hostname: "My Server", Map: "c1m1_hotel", Humans: 1, MaxPlayers: 8, Players: []StatusPlayer{{
				UserID: 2, Slot: 1, Name: "Player", UniqueID: "STEAM_1:0:123456", SteamID64: 76561197960265728 + 246912,
				Connected: 12 * time.Second, Ping: 50, State: "active", Rate: 30000, Addr: "203.0.113.7:27005",
			}}},
		},
		{
			name: "full header, bots, hours, odd name, echoed log line",
			in: "hostname: Üníçødé \"quoted\" host\nversion : 2.2.4.3 9215 secure  (unknown)\nudp/ip  : 0.0.0.0:27015 [ public n/a ]\n" +
				"os      : Linux Dedicated\nmap     : c8m1_apartment\nplayers : 1 humans, 1 bots (4 max) (hibernating) (unreserved)\n\n" +
				"# userid name uniqueid connected ping loss state rate adr\n" +
				"# 3 \"Coach\" BOT active\n" +
				"# 14 2 \"a \"b\" c\" [U:1:5]  1:02:03 999 3 spawning 80000 198.51.100.1:1\n" +
				"#end\nL 11/29/2026 - 22:18:29: rcon from \"127.0.0.1:5\": command \"status\"\n",
			want: Status{Hostname: "Üníçødé \"quoted\" host", Version: "2.2.4.3 9215 secure  (unknown)", Map: "c8m1_apartment",
				Humans: 1, Bots: 1, MaxPlayers: 4, Hibernating: true, Players: []StatusPlayer{
					{UserID: 3, Name: "Coach", UniqueID: "BOT", Bot: true, State: "active"},
					{UserID: 14, Slot: 2, Name: "a \"b\" c", UniqueID: "[U:1:5]", SteamID64: 76561197960265733,
						Connected: time.Hour + 2*time.Minute + 3*time.Second, Ping: 999, Loss: 3, State: "spawning", Rate: 80000, Addr: "198.51.100.1:1"},
				}},
		},
		{
			name: "malformed row is skipped",
			in:   "hostname: h\nplayers : 0 humans, 0 bots (8/0 max)\n# 2 1 \"x\" STEAM_1:0:1 zz:zz 1 2 active 3 a\n#end",
			want: Status{Hostname: "h", MaxPlayers: 8},
		},
		{
			name: "L4D2 listen server sample",
			in: "hostname: kapkan\nversion : 2.1.5.5 7227 secure  \nudp/ip  : 192.168.0.7:27015 [ public n/a ]\nos      : Windows Listen\n" +
				"map     : c2m2_fairgrounds at ( 1621, 2786, 66 )\nplayers : 1 humans, 1 bots (4 max) (not hibernating) (reserved 186000000d26f34)\n\n" +
				"# userid name uniqueid connected ping loss state rate adr\n" +
				"#  2 1 \"kapkan\" STEAM_1:0:151200161  1:21:32 37 0 active 30000 loopback\n# 3 \"Coach\" BOT active\n#end\n",
			want: Status{Hostname: "kapkan", Version: "2.1.5.5 7227 secure", Map: "c2m2_fairgrounds", Humans: 1, Bots: 1, MaxPlayers: 4,
				Players: []StatusPlayer{
					{UserID: 2, Slot: 1, Name: "kapkan", UniqueID: "STEAM_1:0:151200161", SteamID64: 76561197960265728 + 2*151200161,
						Connected: time.Hour + 21*time.Minute + 32*time.Second, Ping: 37, State: "active", Rate: 30000, Addr: "loopback"},
					{UserID: 3, Name: "Coach", UniqueID: "BOT", Bot: true, State: "active"},
				}},
		},
		{name: "not status", in: "Unknown command \"stat\"\n", wantErr: ErrNotStatus},
		{name: "empty", in: "", wantErr: ErrNotStatus},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseStatus(tt.in)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("err = %v, want %v", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestParseLogLine(t *testing.T) {
	const ts = "L 11/29/2026 - 22:18:29: "
	wantTime := time.Date(2026, 11, 29, 22, 18, 29, 0, time.Local)
	p := LogPlayer{Name: "Name", UserID: 2, SteamID: "STEAM_1:0:123456", SteamID64: 76561197960265728 + 246912, Team: "Survivor"}
	tests := []struct {
		name string
		in   string
		want Event
	}{
		{"connect", `"Name<2><STEAM_1:0:123456><Survivor>" connected, address "203.0.113.7:27005"`,
			Event{Type: EventConnect, Player: p, Address: "203.0.113.7:27005"}},
		{"validated", `"Name<2><STEAM_1:0:123456><Survivor>" STEAM USERID validated`, Event{Type: EventValidated, Player: p}},
		{"entered", `"Name<2><STEAM_1:0:123456><Survivor>" entered the game`, Event{Type: EventEntered, Player: p}},
		{"disconnect", `"Name<2><STEAM_1:0:123456><Survivor>" disconnected (reason "Disconnect by user.")`,
			Event{Type: EventDisconnect, Player: p, Reason: "Disconnect by user."}},
		{"disconnect without reason", `"Name<2><STEAM_1:0:123456><Survivor>" disconnected`, Event{Type: EventDisconnect, Player: p}},
		{"say", `"Name<2><STEAM_1:0:123456><Survivor>" say "gg "wp""`, Event{Type: EventChat, Player: p, Text: `gg "wp"`}},
		{"say_team", `"Name<2><STEAM_1:0:123456><Survivor>" say_team "tank!"`, Event{Type: EventChat, Player: p, Text: "tank!", TeamOnly: true}},
		{"team", `"Name<2><STEAM_1:0:123456><>" joined team "Infected"`,
			Event{Type: EventTeam, Player: LogPlayer{Name: "Name", UserID: 2, SteamID: "STEAM_1:0:123456", SteamID64: p.SteamID64}, Team: "Infected"}},
		{"name with brackets", `"<a>" b<c><3><[U:1:7]><>" entered the game`,
			Event{Type: EventEntered, Player: LogPlayer{Name: `<a>" b<c>`, UserID: 3, SteamID: "[U:1:7]", SteamID64: 76561197960265735}}},
		{"bot", `"Coach<4><BOT><Survivor>" entered the game`, Event{Type: EventEntered, Player: LogPlayer{Name: "Coach", UserID: 4, SteamID: "BOT", Team: "Survivor", Bot: true}}},
		{"console say", `"Console<0><Console><Console>" say "restart soon"`,
			Event{Type: EventChat, Player: LogPlayer{Name: "Console", SteamID: "Console", Team: "Console"}, Text: "restart soon"}},
		{"loading map", `Loading map "c2m1_highway"`, Event{Type: EventMapLoading, Map: "c2m1_highway"}},
		{"started map", `Started map "c2m1_highway" (CRC "-12345")`, Event{Type: EventMapStarted, Map: "c2m1_highway"}},
		{"rcon", `rcon from "192.0.2.9:51234": command "sm_kick "x y""`, Event{Type: EventRCON, Address: "192.0.2.9:51234", Text: `sm_kick "x y"`}},
		{"rcon bad", `rcon from "192.0.2.9:51234": Bad Password`, Event{Type: EventRCON, Address: "192.0.2.9:51234", BadAuth: true}},
		{"cvar", `server_cvar: "mp_gamemode" "versus"`, Event{Type: EventCvar, Cvar: "mp_gamemode", Value: "versus"}},
		{"log started", `Log file started (file "logs/L1129000.log") (game "/x/left4dead2") (version "9215")`, Event{Type: EventLogStarted}},
		{"log closed", `Log file closed`, Event{Type: EventLogClosed}},
		{"other", `World triggered "Round_Start"`, Event{Type: EventOther}},
		{"player other", `"Name<2><STEAM_1:0:123456><Survivor>" killed "Tank<5><BOT><Infected>"`, Event{Type: EventOther, Player: p}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.want.Time = wantTime
			tt.want.Message = tt.in
			for _, form := range [][]byte{
				[]byte(ts + tt.in),
				[]byte(ts + tt.in + "\n\x00"),
				append([]byte("\xff\xff\xff\xffR"), ts+tt.in+"\n\x00"...),
				append([]byte("\xff\xff\xff\xffS12345"), ts+tt.in+"\n\x00"...),
			} {
				got, err := ParseLogLine(form)
				if err != nil {
					t.Fatalf("ParseLogLine(%q): %v", form, err)
				}
				if !reflect.DeepEqual(got, tt.want) {
					t.Errorf("ParseLogLine(%q)\n got  %+v\n want %+v", form, got, tt.want)
				}
			}
		})
	}
	for _, bad := range []string{"", "L", "hello", "L 13/45/2026 - 22:18:29: x", "L 11/29/2026 22:18:29: x", "\xff\xff\xff\xffSnoline"} {
		if _, err := ParseLogLine([]byte(bad)); !errors.Is(err, ErrNotLogLine) {
			t.Errorf("ParseLogLine(%q): err %v, want ErrNotLogLine", bad, err)
		}
	}
}

func TestParseLogPacket(t *testing.T) {
	line := "L 11/29/2026 - 22:18:29: Log file closed\n\x00"
	tests := []struct {
		name   string
		pkt    string
		secret string
		ok     bool
	}{
		{"R without secret", "\xff\xff\xff\xffR" + line, "", true},
		{"R, secret 0 means none", "\xff\xff\xff\xffR" + line, "0", true},
		{"S with the secret", "\xff\xff\xff\xffS4242" + line, "4242", true},
		{"S with another secret", "\xff\xff\xff\xffS4243" + line, "4242", false},
		{"S with a longer secret", "\xff\xff\xff\xffS42421" + line, "4242", false},
		{"R when a secret is required", "\xff\xff\xff\xffR" + line, "4242", false},
		{"S when none is configured", "\xff\xff\xff\xffS4242" + line, "", false},
		{"bad header", "\xff\xff\xff\xfeR" + line, "", false},
		{"short", "\xff\xff", "", false},
	}
	for _, tt := range tests {
		ev, err := ParseLogPacket([]byte(tt.pkt), tt.secret)
		if tt.ok && (err != nil || ev.Type != EventLogClosed) {
			t.Errorf("%s: %+v, %v", tt.name, ev, err)
		}
		if !tt.ok && err == nil {
			t.Errorf("%s: accepted", tt.name)
		}
	}
}
