package vpk

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func sampleFiles() map[string][]byte {
	return map[string][]byte{
		"addoninfo.txt":                 []byte("\"AddonInfo\"\n{\n\taddontitle \"Sample\"\n}\n"),
		"README":                        []byte("no extension, no directory"),
		"maps/c1m1_hotel.bsp":           bytes.Repeat([]byte{0xAB, 0x00, 0x17}, 1000),
		"maps/c1m1_hotel.nav":           {},
		"materials/a/b/c/tex.file.vtf":  []byte("multi-dot name"),
		"scripts/vscripts/director.nut": []byte("Msg(\"hi\")\n"),
		"sound/x":                       {0},
	}
}

func writeVPK(t testing.TB, files map[string][]byte, opt WriteOptions) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := WriteWith(&buf, files, opt); err != nil {
		t.Fatalf("WriteWith: %v", err)
	}
	return buf.Bytes()
}

func TestRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		version, preload int
	}{
		{1, 0}, {1, 4}, {1, 5000}, {2, 0}, {2, 16},
	} {
		t.Run(fmt.Sprintf("v%d-preload%d", tc.version, tc.preload), func(t *testing.T) {
			files := sampleFiles()
			raw := writeVPK(t, files, WriteOptions{Version: tc.version, Preload: tc.preload})
			a, err := Parse(bytes.NewReader(raw), int64(len(raw)))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if a.Version() != tc.version {
				t.Errorf("Version = %d, want %d", a.Version(), tc.version)
			}
			entries := a.Files()
			if len(entries) != len(files) {
				t.Fatalf("Files: %d entries, want %d", len(entries), len(files))
			}
			for i, e := range entries {
				if i > 0 && entries[i-1].Path >= e.Path {
					t.Errorf("Files not sorted: %q before %q", entries[i-1].Path, e.Path)
				}
				want, ok := files[e.Path]
				if !ok {
					t.Errorf("unexpected entry %q", e.Path)
					continue
				}
				if e.Size != int64(len(want)) || e.CRC != crc32.ChecksumIEEE(want) || !e.Embedded() {
					t.Errorf("%q: size %d crc %08x embedded %v; want %d %08x true", e.Path, e.Size, e.CRC, e.Embedded(), len(want), crc32.ChecksumIEEE(want))
				}
				got, err := a.ReadFile(strings.ToUpper(e.Path))
				if err != nil {
					t.Errorf("ReadFile(%q): %v", e.Path, err)
				} else if !bytes.Equal(got, want) {
					t.Errorf("ReadFile(%q) = %d bytes, want %d", e.Path, len(got), len(want))
				}
			}
			if _, err := a.ReadFile("maps/missing.bsp"); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("ReadFile(missing) error = %v, want fs.ErrNotExist", err)
			}
			if got, err := a.ReadFile(`\MAPS\c1m1_hotel.bsp`); err != nil || len(got) != 3000 {
				t.Errorf("ReadFile with backslashes: %d bytes, %v", len(got), err)
			}
		})
	}
}

func TestWriteDeterministic(t *testing.T) {
	a := writeVPK(t, sampleFiles(), WriteOptions{})
	b := writeVPK(t, sampleFiles(), WriteOptions{})
	if !bytes.Equal(a, b) {
		t.Error("two writes of the same files differ")
	}
}

func TestWriteRejects(t *testing.T) {
	for _, tc := range []struct {
		name  string
		files map[string][]byte
		opt   WriteOptions
	}{
		{"empty path", map[string][]byte{"": nil}, WriteOptions{}},
		{"absolute", map[string][]byte{"/a.txt": nil}, WriteOptions{}},
		{"dotdot", map[string][]byte{"../a.txt": nil}, WriteOptions{}},
		{"backslash", map[string][]byte{`a\b.txt`: nil}, WriteOptions{}},
		{"NUL", map[string][]byte{"a\x00.txt": nil}, WriteOptions{}},
		{"trailing slash", map[string][]byte{"maps/": nil}, WriteOptions{}},
		{"empty name", map[string][]byte{"cfg/.txt": nil}, WriteOptions{}},
		{"trailing dot", map[string][]byte{"cfg/a.": nil}, WriteOptions{}},
		{"case duplicate", map[string][]byte{"a.txt": nil, "A.TXT": nil}, WriteOptions{}},
		{"version 3", map[string][]byte{"a.txt": nil}, WriteOptions{Version: 3}},
		{"preload too big", map[string][]byte{"a.txt": nil}, WriteOptions{Preload: 70000}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := WriteWith(&bytes.Buffer{}, tc.files, tc.opt); err == nil {
				t.Error("WriteWith succeeded, want an error")
			}
		})
	}
}

// rawEntry is a directory entry written verbatim by buildRaw, for corrupt inputs.
type rawEntry struct {
	ext, dir, name string
	crc            uint32
	preload        []byte
	preloadCount   int // overrides len(preload) when non-zero
	archive        uint16
	offset, length uint32
	terminator     uint16
}

// buildRaw assembles a v1 VPK from entries (grouped in the order given) and data.
func buildRaw(entries []rawEntry, data []byte) []byte {
	var tree bytes.Buffer
	le := binary.LittleEndian
	for i := 0; i < len(entries); {
		ext := entries[i].ext
		tree.WriteString(ext + "\x00")
		for i < len(entries) && entries[i].ext == ext {
			dir := entries[i].dir
			tree.WriteString(dir + "\x00")
			for i < len(entries) && entries[i].ext == ext && entries[i].dir == dir {
				e := entries[i]
				tree.WriteString(e.name + "\x00")
				var b [18]byte
				le.PutUint32(b[0:], e.crc)
				pc := len(e.preload)
				if e.preloadCount != 0 {
					pc = e.preloadCount
				}
				le.PutUint16(b[4:], uint16(pc))
				le.PutUint16(b[6:], e.archive)
				le.PutUint32(b[8:], e.offset)
				le.PutUint32(b[12:], e.length)
				le.PutUint16(b[16:], e.terminator)
				tree.Write(b[:])
				tree.Write(e.preload)
				i++
			}
			tree.WriteByte(0)
		}
		tree.WriteByte(0)
	}
	tree.WriteByte(0)
	var out bytes.Buffer
	var hdr [12]byte
	le.PutUint32(hdr[0:], Signature)
	le.PutUint32(hdr[4:], 1)
	le.PutUint32(hdr[8:], uint32(tree.Len()))
	out.Write(hdr[:])
	out.Write(tree.Bytes())
	out.Write(data)
	return out.Bytes()
}

func okEntry(name string) rawEntry {
	return rawEntry{ext: "txt", dir: " ", name: name, archive: EmbeddedIndex, terminator: 0xFFFF, crc: crc32.ChecksumIEEE(nil)}
}

func TestParseCorrupt(t *testing.T) {
	good := writeVPK(t, sampleFiles(), WriteOptions{})
	goodV2 := writeVPK(t, sampleFiles(), WriteOptions{Version: 2})
	le := binary.LittleEndian
	mutate := func(src []byte, f func(b []byte) []byte) []byte {
		return f(bytes.Clone(src))
	}
	manyEntries := func() []byte {
		es := make([]rawEntry, MaxEntries+1)
		for i := range es {
			es[i] = okEntry(fmt.Sprintf("f%d", i))
		}
		return buildRaw(es, nil)
	}

	for _, tc := range []struct {
		name string
		data []byte
		want string
	}{
		{"empty", nil, "shorter than a header"},
		{"short", good[:8], "shorter than a header"},
		{"bad signature", mutate(good, func(b []byte) []byte { b[0] ^= 0xFF; return b }), "bad signature"},
		{"version 3", mutate(good, func(b []byte) []byte { le.PutUint32(b[4:], 3); return b }), "unsupported version 3"},
		{"v2 header truncated", goodV2[:20], "shorter than a version 2 header"},
		{"tree larger than file", mutate(good, func(b []byte) []byte { le.PutUint32(b[8:], uint32(len(b))); return b }), "tree size"},
		{"tree size huge", mutate(good, func(b []byte) []byte { le.PutUint32(b[8:], 0xFFFFFFFF); return b }), "tree size"},
		{"tree truncated mid string", mutate(good, func(b []byte) []byte { le.PutUint32(b[8:], 2); return b }), "tree is truncated"},
		{"v2 sections beyond file", mutate(goodV2, func(b []byte) []byte { le.PutUint32(b[12:], 1<<30); return b }), "version 2 sections"},
		{"bad terminator", buildRaw([]rawEntry{{ext: "txt", dir: " ", name: "a", archive: EmbeddedIndex, terminator: 0x1234}}, nil), "terminator 0x1234"},
		{"offset beyond file", buildRaw([]rawEntry{{ext: "txt", dir: " ", name: "a", archive: EmbeddedIndex, terminator: 0xFFFF, offset: 100, length: 1}}, []byte("xyz")), "lies beyond"},
		{"length beyond file", buildRaw([]rawEntry{{ext: "txt", dir: " ", name: "a", archive: EmbeddedIndex, terminator: 0xFFFF, length: 0xFFFFFFFF}}, []byte("xyz")), "lies beyond"},
		{"preload beyond tree", buildRaw([]rawEntry{{ext: "txt", dir: " ", name: "a", archive: EmbeddedIndex, terminator: 0xFFFF, preloadCount: 0xFFFF}}, nil), "preload bytes"},
		{"duplicate entry", buildRaw([]rawEntry{okEntry("a"), okEntry("A")}, nil), "duplicate entry"},
		{"too many entries", manyEntries(), "more than"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, err := Parse(bytes.NewReader(tc.data), int64(len(tc.data)))
			if err == nil {
				t.Fatalf("Parse succeeded with %d entries, want error containing %q", len(a.Files()), tc.want)
			}
			if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Parse error = %v, want ErrCorrupt containing %q", err, tc.want)
			}
		})
	}
}

// A tree cut short after a file name (the name's NUL present, entry bytes missing).
func TestParseTruncatedEntry(t *testing.T) {
	raw := buildRaw([]rawEntry{okEntry("a")}, nil)
	// header(12) + "txt\0" + " \0" + "a\0" = 20; keep 5 bytes of the entry.
	binary.LittleEndian.PutUint32(raw[8:], 8+5)
	_, err := Parse(bytes.NewReader(raw), int64(len(raw)))
	if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), `entry for "a.txt"`) {
		t.Errorf("Parse error = %v, want truncated entry for a.txt", err)
	}
}

func TestReadFileCorrupt(t *testing.T) {
	files := map[string][]byte{"cfg/server.cfg": []byte("hostname test\n"), "maps/x.bsp": []byte("BSP data")}
	raw := writeVPK(t, files, WriteOptions{})
	// The writer orders data by extension, so "cfg/server.cfg" is stored last.
	raw[len(raw)-1] ^= 0x01
	a, err := Parse(bytes.NewReader(raw), int64(len(raw)))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	if _, err := a.ReadFile("maps/x.bsp"); err != nil {
		t.Errorf("ReadFile(intact file): %v", err)
	}
	_, err = a.ReadFile("cfg/server.cfg")
	if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), "crc mismatch") {
		t.Errorf("ReadFile(corrupt) = %v, want crc mismatch", err)
	}

	// Claimed size larger than the reader: data read fails with a clear error.
	good := writeVPK(t, files, WriteOptions{})
	short := good[:len(good)-2]
	a, err = Parse(bytes.NewReader(short), int64(len(good)))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	if _, err := a.ReadFile("cfg/server.cfg"); !errors.Is(err, ErrCorrupt) {
		t.Errorf("ReadFile(truncated) = %v, want ErrCorrupt", err)
	}
}

func TestExternalArchive(t *testing.T) {
	e := okEntry("a")
	e.archive = 3
	e.offset, e.length = 1<<30, 1<<20 // not checked: the data is in pak01_003.vpk
	raw := buildRaw([]rawEntry{e}, nil)
	a, err := Parse(bytes.NewReader(raw), int64(len(raw)))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	fs := a.Files()
	if len(fs) != 1 || fs[0].Embedded() || fs[0].ArchiveIndex != 3 || fs[0].Size != 1<<20 {
		t.Fatalf("Files = %+v", fs)
	}
	if _, err := a.ReadFile("a.txt"); !errors.Is(err, ErrExternal) {
		t.Errorf("ReadFile = %v, want ErrExternal", err)
	}
}

func TestOpen(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "addon.vpk")
	if err := os.WriteFile(p, writeVPK(t, sampleFiles(), WriteOptions{Version: 2}), 0o644); err != nil {
		t.Fatal(err)
	}
	a, err := Open(p)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer a.Close()
	if b, err := a.ReadFile("readme"); err != nil || string(b) != "no extension, no directory" {
		t.Errorf("ReadFile(readme) = %q, %v", b, err)
	}
	if _, err := Open(filepath.Join(dir, "missing.vpk")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Open(missing) = %v, want fs.ErrNotExist", err)
	}
	if _, err := Open(dir); err == nil {
		t.Error("Open(directory) succeeded")
	}
	bad := filepath.Join(dir, "bad.vpk")
	if err := os.WriteFile(bad, []byte("PK\x03\x04 not a vpk at all"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(bad); !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), "bad.vpk") {
		t.Errorf("Open(bad) = %v, want ErrCorrupt naming the file", err)
	}
}

const sampleAddonInfo = `// written by hand
"AddonInfo"
{
	addonSteamAppID		550
	addontitle			"Dead Center Remix"   // trailing comment
	"addonVersion"		"1.2"
	AddonAuthor			"Some \"Mapper\""
	addonDescription	"Two maps.
Second line."
	addonContent_Campaign 1
}
`

const sampleMission = `"mission"
{
	"Name"			"DeadCenterRemix"
	"Version"		"1"
	"DisplayTitle"	"Dead Center Remix"
	"Author"		"Some Mapper"
	"modes"
	{
		"coop"
		{
			"10" { "Map" "dcr_finale" "DisplayName" "Finale" }
			"1"  { "Map" "dcr_m1" }
			"2"  { "Map" "dcr_m2" }
		}
		"Versus"
		{
			"1" { "Map" "dcr_m1" }
			"2" { "Map" "dcr_m2" }
		}
		"survival"
		{
			"1" { "Map" "dcr_m2" [$X360] }
			"2" { "DisplayName" "no map key" }
		}
	}
}
`

func TestAddon(t *testing.T) {
	files := map[string][]byte{
		"addoninfo.txt":          []byte(sampleAddonInfo),
		"maps/dcr_m2.bsp":        []byte("bsp2"),
		"maps/dcr_m1.bsp":        []byte("bsp1"),
		"maps/DCR_Finale.BSP":    []byte("bsp3"),
		"maps/sub/notamap.bsp":   []byte("x"),
		"maps/dcr_m1.nav":        []byte("nav"),
		"missions/dcr.txt":       []byte(sampleMission),
		"missions/broken.txt":    []byte(`"mission" { "Name" "half" "DisplayTitle" "Broken" "modes" { "coop" { "1" { "Map" "b1" } `),
		"missions/nomission.txt": []byte(`// nothing here`),
	}
	a, err := Parse(bytes.NewReader(writeVPK(t, files, WriteOptions{})), int64(len(writeVPK(t, files, WriteOptions{}))))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	info, err := a.Addon()
	if err != nil {
		t.Fatalf("Addon: %v", err)
	}
	if info.Title != "Dead Center Remix" || info.Version != "1.2" || info.Author != `Some "Mapper"` || info.Description != "Two maps.\nSecond line." {
		t.Errorf("addoninfo = %q %q %q %q", info.Title, info.Version, info.Author, info.Description)
	}
	if want := []string{"DCR_Finale", "dcr_m1", "dcr_m2"}; !reflect.DeepEqual(info.Maps, want) {
		t.Errorf("Maps = %q, want %q", info.Maps, want)
	}
	want := []Campaign{
		{File: "missions/broken.txt", Name: "half", Title: "Broken", Modes: map[string][]string{"coop": {"b1"}}},
		{File: "missions/dcr.txt", Name: "DeadCenterRemix", Title: "Dead Center Remix", Modes: map[string][]string{
			"coop":     {"dcr_m1", "dcr_m2", "dcr_finale"},
			"versus":   {"dcr_m1", "dcr_m2"},
			"survival": {"dcr_m2"},
		}},
	}
	if !reflect.DeepEqual(info.Campaigns, want) {
		t.Errorf("Campaigns = %+v\nwant %+v", info.Campaigns, want)
	}
	if len(info.Warnings) != 2 || !strings.Contains(strings.Join(info.Warnings, "\n"), "broken.txt") || !strings.Contains(strings.Join(info.Warnings, "\n"), "nomission.txt: no mission block") {
		t.Errorf("Warnings = %q", info.Warnings)
	}
}

func TestAddonVariants(t *testing.T) {
	for _, tc := range []struct {
		name      string
		addoninfo string // "" means no addoninfo.txt
		title     string
		warning   string
	}{
		{"missing", "", "", "no addoninfo.txt"},
		{"top level keys", "addontitle \"Loose\"\naddonauthor me\n", "Loose", ""},
		{"other block name", "\"AddonInfo2\" { \"AddonTitle\" \"Renamed\" }", "Renamed", ""},
		{"unclosed block", "AddonInfo { addontitle \"Partial\"\n addonauthor", "Partial", "line 2"},
		{"utf8 bom", "\xEF\xBB\xBFAddonInfo { addontitle \"BOM\" }", "BOM", ""},
		{"utf16", string(utf16LE("AddonInfo { addontitle \"Wide é\" }")), "Wide é", ""},
		{"invalid utf8", "AddonInfo { addontitle \"bad \xff byte\" }", "bad \uFFFD byte", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			files := map[string][]byte{"maps/m.bsp": []byte("x")}
			if tc.addoninfo != "" {
				files["addoninfo.txt"] = []byte(tc.addoninfo)
			}
			dir := t.TempDir()
			p := filepath.Join(dir, "a.vpk")
			if err := os.WriteFile(p, writeVPK(t, files, WriteOptions{}), 0o644); err != nil {
				t.Fatal(err)
			}
			info, err := Addon(p)
			if err != nil {
				t.Fatalf("Addon: %v", err)
			}
			if info.Title != tc.title {
				t.Errorf("Title = %q, want %q", info.Title, tc.title)
			}
			w := strings.Join(info.Warnings, "\n")
			if (tc.warning == "") != (w == "") || !strings.Contains(w, tc.warning) {
				t.Errorf("Warnings = %q, want one containing %q", info.Warnings, tc.warning)
			}
		})
	}
}

func utf16LE(s string) []byte {
	out := []byte{0xFF, 0xFE}
	for _, r := range s {
		out = append(out, byte(r), byte(r>>8)) // BMP only, enough for the test
	}
	return out
}

func TestAddonCorrupt(t *testing.T) {
	files := map[string][]byte{"addoninfo.txt": []byte(sampleAddonInfo)}
	raw := writeVPK(t, files, WriteOptions{})
	raw[len(raw)-3] ^= 0x20
	p := filepath.Join(t.TempDir(), "a.vpk")
	if err := os.WriteFile(p, raw, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Addon(p); !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), "addoninfo.txt") {
		t.Errorf("Addon = %v, want a CRC error naming addoninfo.txt", err)
	}
	if err := os.WriteFile(p, raw[:5], 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Addon(p); !errors.Is(err, ErrCorrupt) {
		t.Errorf("Addon(truncated) = %v, want ErrCorrupt", err)
	}
}

func TestAddonLargeText(t *testing.T) {
	files := map[string][]byte{"missions/huge.txt": bytes.Repeat([]byte(" "), MaxTextFileSize+1)}
	raw := writeVPK(t, files, WriteOptions{})
	a, err := Parse(bytes.NewReader(raw), int64(len(raw)))
	if err != nil {
		t.Fatal(err)
	}
	info, err := a.Addon()
	if err != nil {
		t.Fatal(err)
	}
	if len(info.Campaigns) != 0 || !strings.Contains(strings.Join(info.Warnings, "\n"), "huge.txt") {
		t.Errorf("info = %+v", info)
	}
}

func TestVerify(t *testing.T) {
	files := sampleFiles()
	for _, opt := range []WriteOptions{{}, {Version: 2, Preload: 7}} {
		raw := writeVPK(t, files, opt)
		a, err := Parse(bytes.NewReader(raw), int64(len(raw)))
		if err != nil {
			t.Fatal(err)
		}
		if err := a.Verify(context.Background()); err != nil {
			t.Errorf("Verify(%+v) of a good vpk: %v", opt, err)
		}
	}

	raw := writeVPK(t, files, WriteOptions{})
	a, _ := Parse(bytes.NewReader(raw), int64(len(raw)))
	var bsp Entry
	for _, e := range a.Files() {
		if e.Path == "maps/c1m1_hotel.bsp" {
			bsp = e
		}
	}
	bad := bytes.Clone(raw)
	bad[a.dataStart+int64(bsp.offset)+1500] ^= 0x40
	a, _ = Parse(bytes.NewReader(bad), int64(len(bad)))
	if err := a.Verify(context.Background()); !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), "c1m1_hotel.bsp") {
		t.Errorf("Verify(flipped byte) = %v, want crc mismatch naming the bsp", err)
	}

	// A download cut short while the caller believed the full size arrived.
	a, _ = Parse(bytes.NewReader(raw[:len(raw)-100]), int64(len(raw)))
	if err := a.Verify(context.Background()); !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), "truncated") {
		t.Errorf("Verify(truncated) = %v, want truncated", err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	a, _ = Parse(bytes.NewReader(raw), int64(len(raw)))
	if err := a.Verify(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("Verify(cancelled) = %v", err)
	}
}

func TestAddonManyMissions(t *testing.T) {
	files := map[string][]byte{}
	for i := range MaxMissionFiles + 5 {
		files[fmt.Sprintf("missions/m%03d.txt", i)] = []byte(fmt.Sprintf(`mission { Name m%d modes { coop { 1 { Map m%d } } } }`, i, i))
	}
	raw := writeVPK(t, files, WriteOptions{})
	a, err := Parse(bytes.NewReader(raw), int64(len(raw)))
	if err != nil {
		t.Fatal(err)
	}
	info, err := a.Addon()
	if err != nil {
		t.Fatal(err)
	}
	if len(info.Campaigns) != MaxMissionFiles || !strings.Contains(strings.Join(info.Warnings, "\n"), "more than 64 mission files") {
		t.Errorf("%d campaigns, warnings %q", len(info.Campaigns), info.Warnings)
	}
}
