package archive

import (
	"archive/tar"
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzExtract extracts arbitrary bytes (detected as zip, tar or tar.gz) and checks
// that nothing was ever written outside the destination, that a refused upload left
// nothing behind, and that whatever was extracted is plain files and directories
// with the fixed modes, under the prefix.
//
// The prefix and the single-file flag are fuzzed too, so the prefix checks face the
// same invariant.
func FuzzExtract(f *testing.F) {
	for _, seed := range fuzzExtractSeeds(f) {
		f.Add(seed.data, seed.prefix, seed.single)
	}
	limits := Limits{MaxFiles: 64, MaxFileSize: 64 << 10, MaxTotalSize: 256 << 10, MaxRatio: 100}
	f.Fuzz(func(t *testing.T, data []byte, prefix string, single bool) {
		format := FormatAuto
		if single {
			format = FormatFile
		}
		base := t.TempDir()
		outside := filepath.Join(base, "outside")
		parent := filepath.Join(base, "parent")
		for _, d := range []string{outside, parent} {
			if err := os.Mkdir(d, 0o755); err != nil {
				t.Fatal(err)
			}
		}
		sentinel := filepath.Join(outside, "sentinel")
		if err := os.WriteFile(sentinel, []byte("untouched"), 0o644); err != nil {
			t.Fatal(err)
		}
		dest := filepath.Join(parent, "dest")

		res, err := Extract(context.Background(), bytes.NewReader(data), int64(len(data)), format, dest, prefix, limits)

		// Outside the parent: exactly the sentinel, unchanged.
		ents, rerr := os.ReadDir(outside)
		if rerr != nil || len(ents) != 1 || ents[0].Name() != "sentinel" {
			t.Fatalf("outside directory changed: %v %v", ents, rerr)
		}
		if b, _ := os.ReadFile(sentinel); string(b) != "untouched" {
			t.Fatalf("sentinel changed: %q", b)
		}
		top, _ := os.ReadDir(base)
		if len(top) != 2 {
			t.Fatalf("base holds %d entries, want outside and parent", len(top))
		}
		ents, _ = os.ReadDir(parent)
		if err != nil {
			if len(ents) != 0 {
				t.Fatalf("refused upload (%v) left %d entries behind", err, len(ents))
			}
			return
		}
		if len(ents) != 1 || ents[0].Name() != "dest" {
			t.Fatalf("parent holds %v, want only dest", ents)
		}
		clean, _, cerr := cleanName(prefix)
		if cerr != nil || (clean != GameDir && !strings.HasPrefix(clean, GameDir+"/")) {
			t.Fatalf("prefix %q accepted (clean %q, %v)", prefix, clean, cerr)
		}
		// inside reports whether rel is the prefix, below it, or one of its parents.
		inside := func(rel string) bool {
			return rel == "." || rel == clean || strings.HasPrefix(rel, clean+"/") || strings.HasPrefix(clean, rel+"/")
		}
		var files int
		var total int64
		werr := filepath.WalkDir(dest, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			rel, _ := filepath.Rel(dest, p)
			rel = filepath.ToSlash(rel)
			info, err := d.Info()
			if err != nil {
				return err
			}
			switch {
			case info.IsDir():
				if info.Mode().Perm() != 0o755 || info.Mode()&(fs.ModeSetuid|fs.ModeSetgid|fs.ModeSticky) != 0 {
					return fmt.Errorf("directory %q has mode %v", rel, info.Mode())
				}
			case info.Mode().IsRegular():
				if info.Mode() != 0o644 {
					return fmt.Errorf("file %q has mode %v", rel, info.Mode())
				}
				files++
				total += info.Size()
			default:
				return fmt.Errorf("%q is neither a file nor a directory: %v", rel, info.Mode())
			}
			if !inside(rel) || (single && info.Mode().IsRegular() && rel != clean) {
				return fmt.Errorf("%q is outside the prefix %q", rel, clean)
			}
			return nil
		})
		if werr != nil {
			t.Fatal(werr)
		}
		if files != res.Files || total != res.Bytes {
			t.Fatalf("Result %+v but tree has %d files, %d bytes", res, files, total)
		}
		if files > limits.MaxFiles || total > limits.MaxTotalSize {
			t.Fatalf("limits exceeded: %d files, %d bytes", files, total)
		}
	})
}

type extractSeed struct {
	data   []byte
	prefix string
	single bool
}

// fuzzExtractSeeds are good and malicious archives of each format, plus single files.
func fuzzExtractSeeds(t testing.TB) []extractSeed {
	var seeds []extractSeed
	for _, a := range fuzzExtractArchives(t) {
		seeds = append(seeds, extractSeed{a, "left4dead2/addons", false})
	}
	return append(seeds,
		extractSeed{zipOf(t, zent{name: "a.txt", body: []byte("x")}), "left4dead2/../../outside", false},
		extractSeed{[]byte("hostname x\n"), "left4dead2/cfg/server.cfg", true},
		extractSeed{[]byte("x"), "./left4dead2//cfg/./", true},
		extractSeed{[]byte("x"), "left4dead2/../parent/dest", true},
	)
}

func fuzzExtractArchives(t testing.TB) [][]byte {
	good := []tent{tdir("./"), tdir("maps/"), treg("maps/m1.bsp", "VBSP"), treg("cfg/server.cfg", "hostname x\n")}
	return [][]byte{
		zipOf(t, zent{name: "maps/", mode: fs.ModeDir | 0o755}, zent{name: "maps/m1.bsp", body: []byte("VBSP")}, zent{name: "cfg/server.cfg", body: []byte("hostname x\n")}),
		tarOf(t, false, good...),
		tarOf(t, true, good...),
		zipOf(t, zent{name: "ok.txt", body: []byte("x")}, zent{name: "../evil.txt", body: []byte("x")}),
		zipOf(t, zent{name: "link", body: []byte("/etc"), mode: fs.ModeSymlink | 0o777}),
		tarOf(t, false, tent{hdr: tar.Header{Name: "cfg", Typeflag: tar.TypeSymlink, Linkname: "/tmp"}}, treg("cfg/x", "x")),
		tarOf(t, true, tent{hdr: tar.Header{Name: "h", Typeflag: tar.TypeLink, Linkname: "../../outside/sentinel"}}),
		tarOf(t, false, treg("/abs", "x"), treg("a/b", "1"), treg("a/b", "2")),
	}
}

// TestWriteFuzzCorpus regenerates testdata/fuzz/FuzzExtract when
// LEFT4ME_WRITE_FUZZ_CORPUS=1.
func TestWriteFuzzCorpus(t *testing.T) {
	if os.Getenv("LEFT4ME_WRITE_FUZZ_CORPUS") != "1" {
		t.Skip("set LEFT4ME_WRITE_FUZZ_CORPUS=1 to regenerate testdata/fuzz")
	}
	dir := filepath.Join("testdata", "fuzz", "FuzzExtract")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for i, seed := range fuzzExtractSeeds(t) {
		body := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\nstring(%q)\nbool(%v)\n", seed.data, seed.prefix, seed.single)
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("seed-%d", i)), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
