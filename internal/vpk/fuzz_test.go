package vpk

import (
	"bytes"
	"context"
	"fmt"
	"hash/crc32"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// FuzzParse feeds arbitrary bytes to the directory parser, reads every file it
// reports and extracts the addon information: nothing may panic, and whatever is
// returned must be consistent with the input.
func FuzzParse(f *testing.F) {
	for _, seed := range fuzzParseSeeds(f) {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		a, err := Parse(bytes.NewReader(data), int64(len(data)))
		if err != nil {
			if a != nil {
				t.Fatal("Parse returned an archive and an error")
			}
			return
		}
		for _, e := range a.Files() {
			if e.Embedded() && e.Size > int64(len(data)) {
				t.Fatalf("%q: size %d exceeds the %d-byte input", e.Path, e.Size, len(data))
			}
			b, err := a.ReadFile(e.Path)
			if err != nil {
				continue
			}
			if int64(len(b)) != e.Size || crc32.ChecksumIEEE(b) != e.CRC {
				t.Fatalf("%q: ReadFile returned %d bytes with a bad crc", e.Path, len(b))
			}
		}
		_ = a.Verify(context.Background())
		_, _ = a.Addon()
	})
}

// FuzzKeyValues parses arbitrary text; when it parses cleanly, writing the nodes back
// out and parsing again must give the same nodes.
func FuzzKeyValues(f *testing.F) {
	for _, s := range []string{sampleAddonInfo, sampleMission, "a { b c } [$X360]", "\xFF\xFEa\x00 \x00b\x00", "k \"v\\\"\" // c"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		nodes, err := ParseKeyValues(data)
		if err != nil {
			return
		}
		var sb strings.Builder
		writeKV(&sb, nodes)
		again, err := ParseKeyValues([]byte(sb.String()))
		if err != nil {
			t.Fatalf("reparse of %q: %v", sb.String(), err)
		}
		if !reflect.DeepEqual(nodes, again) {
			t.Fatalf("round trip changed the nodes:\n%#v\n%#v", nodes, again)
		}
	})
}

func writeKV(sb *strings.Builder, nodes []Node) {
	q := strings.NewReplacer(`\`, `\\`, `"`, `\"`)
	for _, n := range nodes {
		sb.WriteString(`"` + q.Replace(n.Key) + `" `)
		if n.Block {
			sb.WriteString("{\n")
			writeKV(sb, n.Children)
			sb.WriteString("}\n")
		} else {
			sb.WriteString(`"` + q.Replace(n.Value) + "\"\n")
		}
	}
}

// fuzzParseSeeds are real-shaped VPKs made by the writer.
func fuzzParseSeeds(t testing.TB) [][]byte {
	addon := map[string][]byte{
		"addoninfo.txt":    []byte(sampleAddonInfo),
		"missions/dcr.txt": []byte(sampleMission),
		"maps/dcr_m1.bsp":  []byte("VBSP\x14\x00\x00\x00"),
		"README":           []byte("x"),
	}
	return [][]byte{
		writeVPK(t, addon, WriteOptions{}),
		writeVPK(t, addon, WriteOptions{Version: 2, Preload: 8}),
		writeVPK(t, map[string][]byte{"maps/a.bsp": nil}, WriteOptions{}),
		writeVPK(t, map[string][]byte{}, WriteOptions{Version: 2}),
	}
}

// TestWriteFuzzCorpus regenerates the committed seed corpus under testdata/fuzz when
// LEFT4ME_WRITE_FUZZ_CORPUS=1.
func TestWriteFuzzCorpus(t *testing.T) {
	if os.Getenv("LEFT4ME_WRITE_FUZZ_CORPUS") != "1" {
		t.Skip("set LEFT4ME_WRITE_FUZZ_CORPUS=1 to regenerate testdata/fuzz")
	}
	dir := filepath.Join("testdata", "fuzz", "FuzzParse")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for i, seed := range fuzzParseSeeds(t) {
		body := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", seed)
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("seed-writer-%d", i)), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	kdir := filepath.Join("testdata", "fuzz", "FuzzKeyValues")
	if err := os.MkdirAll(kdir, 0o755); err != nil {
		t.Fatal(err)
	}
	for i, s := range []string{sampleAddonInfo, sampleMission} {
		body := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", s)
		if err := os.WriteFile(filepath.Join(kdir, fmt.Sprintf("seed-%d", i)), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
