package srcds

import "testing"

func TestIsPollNoise(t *testing.T) {
	for _, tc := range []struct {
		line string
		want bool
	}{
		{`L 11/30/2026 - 18:33:41: rcon from "127.0.0.1:40000": command "status"`, true},
		{`L 11/30/2026 - 18:33:41: rcon from "192.0.2.7:40000": command "STATUS "` + "\n", true},
		{`rcon from "127.0.0.1:40000": command "status"`, true},
		{`L 11/30/2026 - 18:33:41: rcon from "127.0.0.1:40000": command "status; kick Nick"`, false},
		{`L 11/30/2026 - 18:33:41: rcon from "127.0.0.1:40000": command "kick Nick"`, false},
		{`L 11/30/2026 - 18:33:41: rcon from "127.0.0.1:40000": Bad Password`, false},
		{`L 11/30/2026 - 18:33:41: "Ellie<2><STEAM_1:0:1><>" say "status"`, false},
		{`L 11/30/2026 - 18:33:41: "Ellie<2><STEAM_1:0:1><>" say "rcon from "1.2.3.4:5": command "status""`, false},
		{`Console: rcon from "127.0.0.1:1": command "status"`, false},
		{``, false},
	} {
		if got := IsPollNoise(tc.line); got != tc.want {
			t.Errorf("IsPollNoise(%q) = %v, want %v", tc.line, got, tc.want)
		}
	}
}
