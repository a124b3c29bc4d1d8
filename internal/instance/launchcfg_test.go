package instance

import (
	"strings"
	"testing"
)

func TestNeutraliseRCONPassword(t *testing.T) {
	tests := []struct {
		name, in string
		changed  []int // 0-based lines commented out
	}{
		{"plain", "hostname x\nrcon_password secret\nsv_tags a\n", []int{1}},
		{"quoted and indented", "  rcon_password \"a b\"\r\n", []int{0}},
		{"upper case", "RCON_PASSWORD x", []int{0}},
		{"among commands", "hostname x; rcon_password y; sv_cheats 0\n", []int{0}},
		{"bare name only prints", "rcon_password\n", nil},
		{"in a comment", "// rcon_password old\n", nil},
		{"inside quotes", "hostname \"a; rcon_password b\"\n", nil},
		{"other cvar", "rcon_password_hint x\nsv_rcon_banpenalty 0\n", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := neutraliseRCONPassword(tt.in)
			for _, l := range strings.Split(got, "\n") {
				if setsRCONPassword(l) {
					t.Errorf("still sets the password: %q in\n%s", l, got)
				}
			}
			warnings := CfgWarnings(tt.in)
			if len(warnings) != len(tt.changed) {
				t.Errorf("warnings %q, want %d", warnings, len(tt.changed))
			}
			if len(tt.changed) == 0 && got != tt.in {
				t.Errorf("changed a cfg that sets no password:\n%q\n%q", tt.in, got)
			}
			for i, n := range tt.changed {
				want := "line " + string(rune('1'+n)) + " "
				if i < len(warnings) && !strings.Contains(warnings[i], want) {
					t.Errorf("warning %q does not name %q", warnings[i], want)
				}
				if !strings.Contains(got, rconPasswordNote+"\n// ") {
					t.Errorf("no note in\n%s", got)
				}
			}
		})
	}
}
