package fakesrcds

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestParseCvar(t *testing.T) {
	tests := []struct {
		in      string
		want    Cvar
		wantErr error
	}{
		{in: "\"mp_gamemode\" = \"versus\" ( def. \"coop\" )\n game notify replicated\n - Current game mode\n",
			want: Cvar{Name: "mp_gamemode", Value: "versus", Default: "coop", HasDefault: true, Flags: []string{"game", "notify", "replicated"}, Help: "Current game mode"}},
		{in: "\"sv_cheats\" = \"0\"\n notify replicated\n - Allow cheats on server\n",
			want: Cvar{Name: "sv_cheats", Value: "0", Flags: []string{"notify", "replicated"}, Help: "Allow cheats on server"}},
		{in: "\"hostname\" = \"a \"quoted\" name\"\n - Hostname for server.\n",
			want: Cvar{Name: "hostname", Value: "a \"quoted\" name", Help: "Hostname for server."}},
		{in: "\"x\" = \"1\" ( def. \"\" )\nL 11/29/2026 - 22:18:29: rcon from \"1.2.3.4:5\": command \"x\"\n",
			want: Cvar{Name: "x", Value: "1", HasDefault: true}},
		{in: "\"fps_max\" = \"300\" ( def. \"300\" ) min. 0.000000 max. 1000.000000\n",
			want: Cvar{Name: "fps_max", Value: "300", Default: "300", HasDefault: true}},
		{in: "Unknown command \"nope\"\n", wantErr: ErrUnknownCvar},
	}
	for _, tt := range tests {
		got, err := ParseCvar(tt.in)
		if tt.wantErr != nil {
			if !errors.Is(err, tt.wantErr) {
				t.Errorf("ParseCvar(%q): err %v, want %v", tt.in, err, tt.wantErr)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("ParseCvar(%q)\n got  %+v, %v\n want %+v", tt.in, got, err, tt.want)
		}
	}
	if _, err := ParseCvar("garbage"); err == nil {
		t.Error("ParseCvar(garbage) succeeded")
	}
}

// FuzzParseCvar checks the cvar reply parser never panics.
// Seeds: testdata/fuzz/FuzzParseCvar.
func FuzzParseCvar(f *testing.F) {
	f.Add("\"mp_gamemode\" = \"versus\" ( def. \"coop\" )\n game notify replicated\n - help\n")
	f.Fuzz(func(t *testing.T, s string) {
		c, err := ParseCvar(s)
		if err == nil && !strings.Contains(s, c.Name) {
			t.Fatalf("name %q not in input", c.Name)
		}
	})
}
