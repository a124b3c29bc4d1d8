package campaigns

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/left4me/left4me/internal/instance"
	"github.com/left4me/left4me/internal/layout"
	"github.com/left4me/left4me/internal/vpk"
)

const mission = `"mission"
{
	"Name" "Fancy"
	"DisplayTitle" "Fancy Campaign"
	"modes"
	{
		"coop" { "1" { "Map" "fancy01" } "2" { "Map" "fancy02" } "3" { "Map" "x;quit" } }
		"versus" { "1" { "Map" "fancy01" } }
		"coop;rcon_password x" { "1" { "Map" "fancy01" } }
	}
}
`

// writeVPK writes an addon VPK into a layer generation.
func writeVPK(t *testing.T, dir, name string, files map[string][]byte) {
	t.Helper()
	p := filepath.Join(dir, "left4dead2", "addons", name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	writeVPKTo(t, p, files)
}

// writeVPKTo writes files as a VPK at path.
func writeVPKTo(t testing.TB, path string, files map[string][]byte) {
	t.Helper()
	var buf bytes.Buffer
	if err := vpk.Write(&buf, files); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// stack is a state root with a workshop-like layer "ws" (a VPK with a
// campaign and a map of no campaign), an upload-like layer "up" (a loose
// .bsp) and a layer holding a corrupt VPK.
func stack(t *testing.T) layout.Root {
	t.Helper()
	root, err := layout.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	writeVPK(t, root.Overlay("ws", "1"), "1001.vpk", map[string][]byte{
		"missions/fancy.txt": []byte(mission), "maps/fancy01.bsp": []byte("x"), "maps/fancy02.bsp": []byte("y"), "maps/lonely.bsp": []byte("z"),
	})
	if err := os.MkdirAll(filepath.Join(root.Overlay("up", "1"), "left4dead2", "maps"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root.Overlay("up", "1"), "left4dead2", "maps", "loose_map.bsp"), []byte("b"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(root.Overlay("bad", "1"), "left4dead2", "addons"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root.Overlay("bad", "1"), "left4dead2", "addons", "broken.vpk"), []byte("not a vpk"), 0o644); err != nil {
		t.Fatal(err)
	}
	return root
}

func TestCatalogReadsTheStack(t *testing.T) {
	root := stack(t)
	cat := NewScanner().Catalog(NewestDirs(root, []string{"ws", "up", "bad", "missing"}))
	if len(cat.Campaigns) != 15 {
		t.Fatalf("%d campaigns, want the 14 official and the layer's", len(cat.Campaigns))
	}
	c := cat.Campaigns[14]
	if c.Name != "Fancy" || c.Layer != "ws" || !strings.Contains(c.File, "left4dead2/addons/1001.vpk") ||
		!slices.Equal(c.Modes["coop"], []string{"fancy01", "fancy02"}) {
		t.Errorf("the layer's campaign = %+v", c)
	}
	if cat.Campaigns[0].Name != "c1" || cat.Campaigns[0].Title != "Dead Center" || !cat.Campaigns[0].Official() ||
		!slices.Equal(cat.Campaigns[0].Modes["versus"], []string{"c1m1_hotel", "c1m2_streets", "c1m3_mall", "c1m4_atrium"}) {
		t.Errorf("c1 = %+v", cat.Campaigns[0])
	}
	var loose []string
	for _, m := range cat.Maps {
		loose = append(loose, m.Layer+":"+m.Name)
	}
	if !slices.Equal(loose, []string{"ws:lonely", "up:loose_map"}) {
		t.Errorf("maps of no campaign = %v", loose)
	}
	for _, m := range []string{"c14m2_lighthouse", "FANCY02", "lonely", "loose_map"} {
		if !cat.Has(m) {
			t.Errorf("the catalog lacks %s", m)
		}
	}
	if cat.Has("c1m9_nowhere") || cat.Has("fancy03") {
		t.Error("the catalog has a map the stack does not")
	}
	if slices.Contains(cat.Modes, "coop;rcon_password x") {
		t.Errorf("a mission file's mode with a ';' is offered: %v", cat.Modes)
	}
	if len(cat.Warnings) != 2 || !strings.Contains(strings.Join(cat.Warnings, "\n"), "layer bad") || !strings.Contains(strings.Join(cat.Warnings, "\n"), "not a mode name") {
		t.Errorf("warnings = %v", cat.Warnings)
	}
}

// recorder is an Executor that records what it was asked.
type recorder struct {
	sent  []string
	reply string
	args  []string
}

func (r *recorder) Send(ctx context.Context, c string) (string, error) {
	r.sent = append(r.sent, c)
	if strings.HasPrefix(c, "changelevel") {
		return r.reply, nil
	}
	return "", nil
}

func (r *recorder) SetArgs(ctx context.Context, args []string) error { r.args = args; return nil }

func TestChange(t *testing.T) {
	root := stack(t)
	s := NewScanner()
	ctx := context.Background()
	running := Target{Name: "vs1", Layers: []string{"ws"}, Running: true, Args: []string{"+map", "c1m1_hotel", "-tickrate", "100", "+mp_gamemode", "versus"}}

	ex := &recorder{}
	res, err := s.Change(ctx, root, running, Request{Map: "fancy02", Mode: "Coop"}, ex)
	if err != nil || res.Source != "ws" || !slices.Equal(ex.sent, []string{"mp_gamemode coop", "changelevel fancy02"}) {
		t.Fatalf("change now = %+v %v, sent %v", res, err, ex.sent)
	}
	ex = &recorder{}
	res, err = s.Change(ctx, root, running, Request{Map: "c5m1_waterfront", When: "next-start"}, ex)
	if err != nil || !slices.Equal(ex.args, []string{"-tickrate", "100", "+map", "c5m1_waterfront", "+mp_gamemode", "versus"}) || len(ex.sent) != 0 {
		t.Fatalf("next start = %+v %v, args %v", res, err, ex.args)
	}

	for _, tc := range []struct {
		name  string
		t     Target
		req   Request
		reply string
		field string
		says  string
	}{
		{"map not in the stack", running, Request{Map: "c99m1_nowhere"}, "", FieldMap, "no map"},
		{"a layer not stacked", Target{Name: "vs1", Running: true}, Request{Map: "fancy01"}, "", FieldMap, "stacks no layers"},
		{"no map", running, Request{}, "", FieldMap, "no map given"},
		{"a path", running, Request{Map: "../etc/passwd"}, "", FieldMap, "not a map name"},
		{"unknown mode", running, Request{Map: "c1m1_hotel", Mode: "deathmatch"}, "", FieldMode, "not a game mode"},
		{"a second command in the mode", running, Request{Map: "fancy01", Mode: "coop;rcon_password x"}, "", FieldMode, "not a game mode"},
		{"mode the campaign lacks", running, Request{Map: "fancy02", Mode: "versus"}, "", FieldMode, "not a versus map of Fancy Campaign"},
		{"bad when", running, Request{Map: "c1m1_hotel", When: "later"}, "", FieldWhen, "use now or next-start"},
		{"not running", Target{Name: "vs1"}, Request{Map: "c1m1_hotel"}, "", FieldWhen, "is not running"},
		{"the server refuses", running, Request{Map: "fancy01"}, "changelevel failed: fancy01 not found\n", FieldMap, "changelevel failed: fancy01 not found"},
	} {
		ex := &recorder{reply: tc.reply}
		_, err := s.Change(ctx, root, tc.t, tc.req, ex)
		var fe *instance.FieldError
		if !errors.As(err, &fe) || fe.Field != tc.field || !strings.Contains(err.Error(), tc.says) || !errors.Is(err, instance.ErrInvalid) {
			t.Errorf("%s: %v, want a %s error saying %q", tc.name, err, tc.field, tc.says)
		}
		if ex.args != nil || (tc.reply == "" && len(ex.sent) != 0) {
			t.Errorf("%s changed something: sent %v, args %v", tc.name, ex.sent, ex.args)
		}
	}
	// Survival on an official map is not refused: the table's survival
	// lists are unverified; a mutation is not checked either.
	for _, req := range []Request{{Map: "c1m1_hotel", Mode: "survival"}, {Map: "c1m1_hotel", Mode: "mutation12"}, {Map: "c1m1_hotel", Mode: "realism"}} {
		if _, err := s.Change(ctx, root, running, req, &recorder{}); err != nil {
			t.Errorf("%+v: %v", req, err)
		}
	}
}

func TestStartMapArgs(t *testing.T) {
	for _, tc := range []struct {
		args       []string
		m, mode    string
		want       []string
		wantM, wMo string
	}{
		{nil, "c1m1_hotel", "", []string{"+map", "c1m1_hotel"}, "", ""},
		{[]string{"+MAP", "x", "+maxplayers", "8"}, "y", "versus", []string{"+maxplayers", "8", "+map", "y", "+mp_gamemode", "versus"}, "x", ""},
		{[]string{"+map", "+mp_gamemode", "coop"}, "z", "", []string{"+map", "z", "+mp_gamemode", "coop"}, "+mp_gamemode", "coop"},
	} {
		if got := WithStartMap(tc.args, tc.m, tc.mode); !slices.Equal(got, tc.want) {
			t.Errorf("WithStartMap(%v, %s, %s) = %v, want %v", tc.args, tc.m, tc.mode, got, tc.want)
		}
		if m, mode := StartMap(tc.args); m != tc.wantM || mode != tc.wMo {
			t.Errorf("StartMap(%v) = %s %s", tc.args, m, mode)
		}
	}
}
