package srcds

import "testing"

func TestIsRCONLog(t *testing.T) {
	for line, want := range map[string]bool{
		`L 12/01/2026 - 00:01:24: rcon from "127.0.0.1:40998": command "users"`:   true,
		`rcon from "127.0.0.1:40998": command "sv_cheats 1"`:                      true,
		`L 12/01/2026 - 00:01:24: rcon from "127.0.0.1:41004": password accepted`: true,
		`L 12/01/2026 - 00:01:24: rcon from "10.0.0.9:5000": Bad Password`:        true,
		`L 12/01/2026 - 00:01:24: "Ellie<2><STEAM_1:0:1><>" say "rcon from me"`:   false,
		`Client "Ellie" connected (203.0.113.2:27005).`:                           false,
	} {
		if got := IsRCONLog(line); got != want {
			t.Errorf("IsRCONLog(%q) = %v, want %v", line, got, want)
		}
	}
}
