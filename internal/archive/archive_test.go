package archive

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/flate"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"hash/crc32"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// zent is one entry of a zip built by zipOf.
type zent struct {
	name string
	body []byte
	mode fs.FileMode // 0 means a regular 0644 file
	// lieSize, when non-zero, is written as the uncompressed size instead of the real one.
	lieSize uint64
}

func zipOf(t testing.TB, entries ...zent) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, e := range entries {
		h := &zip.FileHeader{Name: e.name, Method: zip.Deflate}
		mode := e.mode
		if mode == 0 {
			mode = 0o644
		}
		h.SetMode(mode)
		if e.lieSize != 0 {
			var comp bytes.Buffer
			fw, _ := flate.NewWriter(&comp, flate.BestCompression)
			fw.Write(e.body)
			fw.Close()
			h.CRC32 = crc32.ChecksumIEEE(e.body)
			h.CompressedSize64 = uint64(comp.Len())
			h.UncompressedSize64 = e.lieSize
			w, err := zw.CreateRaw(h)
			if err != nil {
				t.Fatal(err)
			}
			w.Write(comp.Bytes())
			continue
		}
		w, err := zw.CreateHeader(h)
		if err != nil {
			t.Fatalf("zip entry %q: %v", e.name, err)
		}
		if _, err := w.Write(e.body); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// tent is one entry of a tar built by tarOf; hdr.Size is filled from body for
// regular files.
type tent struct {
	hdr  tar.Header
	body []byte
}

func treg(name string, body string) tent {
	return tent{hdr: tar.Header{Name: name, Typeflag: tar.TypeReg, Mode: 0o644}, body: []byte(body)}
}

func tdir(name string) tent {
	return tent{hdr: tar.Header{Name: name, Typeflag: tar.TypeDir, Mode: 0o755}}
}

func tarOf(t testing.TB, gz bool, entries ...tent) []byte {
	t.Helper()
	var buf bytes.Buffer
	var tw *tar.Writer
	var zw *gzip.Writer
	if gz {
		zw = gzip.NewWriter(&buf)
		tw = tar.NewWriter(zw)
	} else {
		tw = tar.NewWriter(&buf)
	}
	for _, e := range entries {
		h := e.hdr
		if h.Typeflag == tar.TypeReg {
			h.Size = int64(len(e.body))
		}
		if err := tw.WriteHeader(&h); err != nil {
			t.Fatalf("tar header %q: %v", h.Name, err)
		}
		if len(e.body) > 0 {
			if _, err := tw.Write(e.body); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if gz {
		if err := zw.Close(); err != nil {
			t.Fatal(err)
		}
	}
	return buf.Bytes()
}

// rawTarHeader builds a ustar header block by hand, for shapes tar.Writer refuses
// to produce (such as a directory carrying data).
func rawTarHeader(name string, typeflag byte, size int64) []byte {
	b := make([]byte, 512)
	copy(b[0:100], name)
	copy(b[100:108], "0000644\x00")
	copy(b[108:116], "0000000\x00")
	copy(b[116:124], "0000000\x00")
	copy(b[124:136], fmt.Sprintf("%011o\x00", size))
	copy(b[136:148], "00000000000\x00")
	b[156] = typeflag
	copy(b[257:265], "ustar\x0000")
	copy(b[148:156], "        ")
	var sum int64
	for _, c := range b {
		sum += int64(c)
	}
	copy(b[148:156], fmt.Sprintf("%06o\x00 ", sum))
	return b
}

func gzipOf(t testing.TB, data []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// listTree returns "path mode size" lines for everything under dir.
func listTree(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p == dir {
			return nil
		}
		rel, _ := filepath.Rel(dir, p)
		info, err := d.Info()
		if err != nil {
			return err
		}
		line := filepath.ToSlash(rel) + " " + info.Mode().String()
		if info.Mode().IsRegular() {
			b, _ := os.ReadFile(p)
			line += " " + string(b)
		}
		out = append(out, line)
		return nil
	})
	if err != nil {
		t.Fatalf("walk %s: %v", dir, err)
	}
	sort.Strings(out)
	return out
}

func TestExtractGood(t *testing.T) {
	wantArchive := []string{
		"left4dead2 drwxr-xr-x",
		"left4dead2/addons drwxr-xr-x",
		"left4dead2/addons/cfg drwxr-xr-x",
		"left4dead2/addons/cfg/empty.cfg -rw-r--r-- ",
		"left4dead2/addons/cfg/server.cfg -rw-r--r-- hostname x",
		"left4dead2/addons/maps drwxr-xr-x",
		"left4dead2/addons/maps/m1.bsp -rw-r--r-- VBSP",
		"left4dead2/addons/scripts drwxr-xr-x",
		"left4dead2/addons/scripts/run.sh -rw-r--r-- echo setuid bit dropped",
	}
	tarEntries := []tent{
		tdir("./"),
		tdir("./cfg/"),
		treg("./cfg/server.cfg", "hostname x"),
		treg("cfg/empty.cfg", ""),
		treg("maps/m1.bsp", "VBSP"),
		{hdr: tar.Header{Name: "scripts/run.sh", Typeflag: tar.TypeReg, Mode: 0o4777}, body: []byte("echo setuid bit dropped")},
		{hdr: tar.Header{Name: "pax_global", Typeflag: tar.TypeXGlobalHeader, PAXRecords: map[string]string{"comment": "x"}}},
	}
	zipFile := zipOf(t,
		zent{name: "cfg/", mode: fs.ModeDir | 0o700},
		zent{name: "cfg/server.cfg", body: []byte("hostname x")},
		zent{name: "cfg/empty.cfg"},
		zent{name: "maps/m1.bsp", body: []byte("VBSP")},
		zent{name: "scripts/run.sh", body: []byte("echo setuid bit dropped"), mode: fs.ModeSetuid | 0o777},
	)
	for _, tc := range []struct {
		name   string
		data   []byte
		format Format
		prefix string
		want   []string
		res    Result
	}{
		{"zip", zipFile, FormatAuto, "left4dead2/addons", wantArchive, Result{Format: FormatZip, Files: 4, Dirs: 1, Bytes: 37}},
		{"zip explicit", zipFile, FormatZip, "./left4dead2//addons/", wantArchive, Result{Format: FormatZip, Files: 4, Dirs: 1, Bytes: 37}},
		{"tar", tarOf(t, false, tarEntries...), FormatAuto, "left4dead2/addons", wantArchive, Result{Format: FormatTar, Files: 4, Dirs: 1, Bytes: 37}},
		{"tar.gz", tarOf(t, true, tarEntries...), FormatAuto, "left4dead2/addons", wantArchive, Result{Format: FormatTarGz, Files: 4, Dirs: 1, Bytes: 37}},
		{"single file", []byte("sv_cheats 0\n"), FormatFile, "left4dead2/cfg/server.cfg", []string{
			"left4dead2 drwxr-xr-x",
			"left4dead2/cfg drwxr-xr-x",
			"left4dead2/cfg/server.cfg -rw-r--r-- sv_cheats 0\n",
		}, Result{Format: FormatFile, Files: 1, Bytes: 12}},
		{"single file at game dir", []byte("x"), FormatFile, "left4dead2/motd.txt", []string{
			"left4dead2 drwxr-xr-x",
			"left4dead2/motd.txt -rw-r--r-- x",
		}, Result{Format: FormatFile, Files: 1, Bytes: 1}},
		{"empty zip", zipOf(t), FormatAuto, "left4dead2", []string{"left4dead2 drwxr-xr-x"}, Result{Format: FormatZip}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			parent := t.TempDir()
			dest := filepath.Join(parent, "gen1")
			res, err := Extract(context.Background(), bytes.NewReader(tc.data), int64(len(tc.data)), tc.format, dest, tc.prefix, Limits{})
			if err != nil {
				t.Fatalf("Extract: %v", err)
			}
			if res != tc.res {
				t.Errorf("Result = %+v, want %+v", res, tc.res)
			}
			if got := listTree(t, dest); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("tree:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
			if st, err := os.Stat(dest); err != nil || st.Mode().Perm() != 0o755 {
				t.Errorf("dest mode = %v, %v; want 0755", st.Mode(), err)
			}
			if got := listTree(t, parent); len(got) != len(tc.want)+1 {
				t.Errorf("parent holds more than dest: %q", got)
			}
		})
	}
}

func TestExtractRefuses(t *testing.T) {
	zeros := make([]byte, 8<<20)
	small := Limits{MaxFiles: 3, MaxFileSize: 1000, MaxTotalSize: 1500}
	good := zent{name: "ok.txt", body: []byte("fine")}
	// PAX global headers are metadata that is read and dropped, never written.
	var globals []tent
	for range 12 {
		globals = append(globals, tent{hdr: tar.Header{Typeflag: tar.TypeXGlobalHeader, PAXRecords: map[string]string{"comment": strings.Repeat("x", 900<<10)}}})
	}
	for _, tc := range []struct {
		name   string
		data   []byte
		format Format
		prefix string
		limits Limits
		want   error
		entry  string // expected EntryError.Entry; "" when the error is not about one entry
	}{
		{"zip traversal", zipOf(t, good, zent{name: "../evil.txt"}), FormatAuto, "", Limits{}, ErrUnsafePath, "../evil.txt"},
		{"zip nested traversal", zipOf(t, zent{name: "a/b/../../../evil.txt"}), FormatAuto, "", Limits{}, ErrUnsafePath, "a/b/../../../evil.txt"},
		{"tar traversal", tarOf(t, false, treg("cfg/../../x.cfg", "x")), FormatAuto, "", Limits{}, ErrUnsafePath, "cfg/../../x.cfg"},
		{"tar.gz traversal dir", tarOf(t, true, tdir("../up/")), FormatAuto, "", Limits{}, ErrUnsafePath, "../up/"},
		{"zip absolute", zipOf(t, zent{name: "/etc/cron.d/evil"}), FormatAuto, "", Limits{}, ErrUnsafePath, "/etc/cron.d/evil"},
		{"tar absolute", tarOf(t, false, treg("/tmp/evil", "x")), FormatAuto, "", Limits{}, ErrUnsafePath, "/tmp/evil"},
		{"zip drive letter", zipOf(t, zent{name: "C:/Windows/evil.dll"}), FormatAuto, "", Limits{}, ErrUnsafePath, "C:/Windows/evil.dll"},
		{"zip drive relative", zipOf(t, zent{name: "c:evil.txt"}), FormatAuto, "", Limits{}, ErrUnsafePath, "c:evil.txt"},
		{"zip backslash", zipOf(t, zent{name: `..\..\evil.txt`}), FormatAuto, "", Limits{}, ErrUnsafePath, `..\..\evil.txt`},
		{"zip NUL", zipOf(t, zent{name: "a\x00.txt"}), FormatAuto, "", Limits{}, ErrUnsafePath, "a\x00.txt"},
		{"tar control char", tarOf(t, false, treg("a\nb.txt", "x")), FormatAuto, "", Limits{}, ErrUnsafePath, "a\nb.txt"},
		{"zip invalid utf8", zipOf(t, zent{name: "\xff.txt"}), FormatAuto, "", Limits{}, ErrUnsafePath, "\xff.txt"},
		{"zip long component", zipOf(t, zent{name: strings.Repeat("a", 256)}), FormatAuto, "", Limits{}, ErrUnsafePath, strings.Repeat("a", 256)},
		{"zip symlink", zipOf(t, good, zent{name: "link", body: []byte("/etc"), mode: fs.ModeSymlink | 0o777}), FormatAuto, "", Limits{}, ErrLink, "link"},
		{"tar symlink out", tarOf(t, false, tent{hdr: tar.Header{Name: "cfg", Typeflag: tar.TypeSymlink, Linkname: "/etc"}}, treg("cfg/passwd", "x")), FormatAuto, "", Limits{}, ErrLink, "cfg"},
		{"tar symlink inside", tarOf(t, false, treg("a", "x"), tent{hdr: tar.Header{Name: "b", Typeflag: tar.TypeSymlink, Linkname: "a"}}), FormatAuto, "", Limits{}, ErrLink, "b"},
		{"tar hardlink", tarOf(t, true, tent{hdr: tar.Header{Name: "shadow", Typeflag: tar.TypeLink, Linkname: "/etc/shadow"}}), FormatAuto, "", Limits{}, ErrLink, "shadow"},
		{"tar char device", tarOf(t, false, tent{hdr: tar.Header{Name: "mem", Typeflag: tar.TypeChar, Devmajor: 1, Devminor: 1}}), FormatAuto, "", Limits{}, ErrSpecialFile, "mem"},
		{"tar block device", tarOf(t, false, tent{hdr: tar.Header{Name: "sda", Typeflag: tar.TypeBlock, Devmajor: 8}}), FormatAuto, "", Limits{}, ErrSpecialFile, "sda"},
		{"tar fifo", tarOf(t, false, tent{hdr: tar.Header{Name: "pipe", Typeflag: tar.TypeFifo}}), FormatAuto, "", Limits{}, ErrSpecialFile, "pipe"},
		{"tar unknown type", append(rawTarHeader("odd", 'Z', 0), make([]byte, 1024)...), FormatAuto, "", Limits{}, ErrSpecialFile, "odd"},
		{"tar contiguous file", append(rawTarHeader("cont", tar.TypeCont, 0), make([]byte, 1024)...), FormatAuto, "", Limits{}, ErrSpecialFile, "cont"},
		{"zip device", zipOf(t, zent{name: "null", mode: fs.ModeDevice | fs.ModeCharDevice | 0o666}), FormatAuto, "", Limits{}, ErrSpecialFile, "null"},
		{"zip fifo", zipOf(t, zent{name: "fifo", mode: fs.ModeNamedPipe | 0o666}), FormatAuto, "", Limits{}, ErrSpecialFile, "fifo"},
		{"zip too many files", zipOf(t, zent{name: "1"}, zent{name: "2"}, zent{name: "3"}, zent{name: "4"}), FormatAuto, "", small, ErrTooManyFiles, ""},
		{"tar too many files", tarOf(t, false, tdir("d/"), treg("d/1", ""), treg("d/2", ""), treg("d/3", "")), FormatAuto, "", small, ErrTooManyFiles, "d/3"},
		{"zip file too large", zipOf(t, zent{name: "big.bsp", body: make([]byte, 1001)}), FormatAuto, "", small, ErrFileTooLarge, "big.bsp"},
		// archive/zip itself stops reading past the declared size; either way the
		// declared size is not trusted.
		{"zip lies about size", zipOf(t, zent{name: "liar.bsp", body: make([]byte, 5000), lieSize: 10}), FormatAuto, "", small, zip.ErrFormat, "liar.bsp"},
		{"tar file too large", tarOf(t, false, treg("big.bsp", strings.Repeat("x", 1001))), FormatAuto, "", small, ErrFileTooLarge, "big.bsp"},
		{"single file too large", make([]byte, 1001), FormatFile, "left4dead2/big.bin", small, ErrFileTooLarge, "big.bin"},
		{"tar total too large", tarOf(t, false, treg("a", strings.Repeat("x", 600)), treg("b", strings.Repeat("x", 600)), treg("c", strings.Repeat("x", 600))), FormatAuto, "", small, ErrTotalTooLarge, "c"},
		{"zip bomb ratio", zipOf(t, good, zent{name: "zeros.bin", body: zeros}), FormatAuto, "", Limits{}, ErrRatio, "zeros.bin"},
		{"tar.gz bomb ratio", tarOf(t, true, tent{hdr: tar.Header{Name: "zeros.bin", Typeflag: tar.TypeReg}, body: zeros}), FormatAuto, "", Limits{}, ErrRatio, "zeros.bin"},
		{"tar.gz bomb in metadata", tarOf(t, true, globals...), FormatAuto, "", Limits{}, ErrRatio, ""},
		{"zip duplicate", zipOf(t, good, good), FormatAuto, "", Limits{}, ErrDuplicate, "ok.txt"},
		{"tar duplicate after cleaning", tarOf(t, false, treg("a/b", "1"), treg("./a//b", "2")), FormatAuto, "", Limits{}, ErrDuplicate, "./a//b"},
		{"tar file then dir", tarOf(t, false, treg("a", "1"), treg("a/b", "2")), FormatAuto, "", Limits{}, ErrDuplicate, "a/b"},
		{"tar dir then file", tarOf(t, false, tdir("a/"), treg("a", "2")), FormatAuto, "", Limits{}, ErrDuplicate, "a"},
		{"zip dir twice", zipOf(t, zent{name: "d/", mode: fs.ModeDir | 0o755}, zent{name: "d/", mode: fs.ModeDir | 0o755}), FormatAuto, "", Limits{}, ErrDuplicate, "d/"},
		{"prefix empty", zipOf(t, good), FormatAuto, "-", Limits{}, ErrBadPrefix, ""},
		{"prefix outside game dir", zipOf(t, good), FormatAuto, "cfg", Limits{}, ErrBadPrefix, ""},
		{"prefix absolute", zipOf(t, good), FormatAuto, "/left4dead2", Limits{}, ErrBadPrefix, ""},
		{"prefix traversal", zipOf(t, good), FormatAuto, "left4dead2/../../etc", Limits{}, ErrBadPrefix, ""},
		{"prefix lookalike", zipOf(t, good), FormatAuto, "left4dead2x/addons", Limits{}, ErrBadPrefix, ""},
		{"prefix backslash", zipOf(t, good), FormatAuto, `left4dead2\addons`, Limits{}, ErrBadPrefix, ""},
		{"single file without name", []byte("x"), FormatFile, "left4dead2/", Limits{}, ErrBadPrefix, ""},
		{"single file dir prefix", []byte("x"), FormatFile, "left4dead2/cfg/", Limits{}, ErrBadPrefix, ""},
		{"single file dot prefix", []byte("x"), FormatFile, "left4dead2/cfg/.", Limits{}, ErrBadPrefix, ""},
		{"unknown format", []byte("just some text"), FormatAuto, "", Limits{}, ErrUnknownFormat, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			prefix := tc.prefix
			switch prefix {
			case "":
				prefix = "left4dead2/addons"
			case "-":
				prefix = ""
			}
			parent := t.TempDir()
			dest := filepath.Join(parent, "gen1")
			_, err := Extract(context.Background(), bytes.NewReader(tc.data), int64(len(tc.data)), tc.format, dest, prefix, tc.limits)
			if !errors.Is(err, tc.want) {
				t.Fatalf("Extract error = %v, want %v", err, tc.want)
			}
			var ee *EntryError
			if tc.entry != "" && (!errors.As(err, &ee) || ee.Entry != tc.entry) {
				t.Errorf("Extract error = %v, want it about entry %q", err, tc.entry)
			}
			if tc.entry != "" && !strings.Contains(err.Error(), strconv.Quote(tc.entry)) {
				t.Errorf("error message %q does not name the entry", err)
			}
			if left := listTree(t, parent); len(left) != 0 {
				t.Errorf("refused archive left files behind: %q", left)
			}
		})
	}
}

func TestExtractCorruptArchives(t *testing.T) {
	goodZip := zipOf(t, zent{name: "a.txt", body: []byte(strings.Repeat("hello ", 100))}, zent{name: "b.txt", body: []byte("b")})
	badCRC := bytes.Clone(goodZip)
	// Flip a byte in a.txt's compressed data (right after its 30-byte local header and name).
	badCRC[30+len("a.txt")+2] ^= 0xFF
	goodTgz := tarOf(t, true, treg("a.txt", strings.Repeat("hello ", 100)), treg("b.txt", "b"))
	for _, tc := range []struct {
		name string
		data []byte
	}{
		{"truncated zip", goodZip[:len(goodZip)-10]},
		{"zip bad data", badCRC},
		{"truncated tar.gz", goodTgz[:len(goodTgz)/2]},
		{"gzip of non-tar", gzipOf(t, []byte(strings.Repeat("not a tar ", 100)))},
		{"tar bad checksum", func() []byte {
			b := append(rawTarHeader("a", tar.TypeReg, 0), make([]byte, 1024)...)
			b[0] = 'b'
			return b
		}()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			parent := t.TempDir()
			_, err := Extract(context.Background(), bytes.NewReader(tc.data), int64(len(tc.data)), FormatAuto, filepath.Join(parent, "d"), GameDir, Limits{})
			if err == nil {
				t.Fatal("Extract succeeded on a corrupt archive")
			}
			if left := listTree(t, parent); len(left) != 0 {
				t.Errorf("left files behind: %q", left)
			}
		})
	}
}

func TestExtractDestExists(t *testing.T) {
	parent := t.TempDir()
	dest := filepath.Join(parent, "gen1")
	if err := os.Mkdir(dest, 0o755); err != nil {
		t.Fatal(err)
	}
	data := zipOf(t, zent{name: "a.txt", body: []byte("x")})
	_, err := Extract(context.Background(), bytes.NewReader(data), int64(len(data)), FormatAuto, dest, GameDir, Limits{})
	if !errors.Is(err, ErrDestExists) {
		t.Fatalf("Extract error = %v, want ErrDestExists", err)
	}
	if left := listTree(t, parent); !reflect.DeepEqual(left, []string{"gen1 drwxr-xr-x"}) {
		t.Errorf("parent = %q", left)
	}
	_, err = Extract(context.Background(), bytes.NewReader(data), int64(len(data)), FormatAuto, filepath.Join(parent, "missing", "gen1"), GameDir, Limits{})
	if err == nil {
		t.Error("Extract into a missing parent succeeded")
	}
}

func TestExtractCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	parent := t.TempDir()
	data := tarOf(t, false, treg("a.txt", "x"))
	_, err := Extract(ctx, bytes.NewReader(data), int64(len(data)), FormatAuto, filepath.Join(parent, "d"), GameDir, Limits{})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Extract error = %v, want context.Canceled", err)
	}
	if left := listTree(t, parent); len(left) != 0 {
		t.Errorf("left files behind: %q", left)
	}
}

func TestExtractNegativeSize(t *testing.T) {
	parent := t.TempDir()
	for _, f := range []Format{FormatAuto, FormatFile} {
		if _, err := Extract(context.Background(), bytes.NewReader(nil), -1, f, filepath.Join(parent, "d"), "left4dead2/x", Limits{}); err == nil {
			t.Errorf("Extract(%v, size -1) succeeded", f)
		}
	}
}

func TestDetect(t *testing.T) {
	for _, tc := range []struct {
		name string
		data []byte
		want Format
	}{
		{"zip", zipOf(t, zent{name: "a"}), FormatZip},
		{"empty zip", zipOf(t), FormatZip},
		{"tar", tarOf(t, false, treg("a", "x")), FormatTar},
		{"tar.gz", tarOf(t, true, treg("a", "x")), FormatTarGz},
		{"text", []byte("hello"), FormatAuto},
		{"empty", nil, FormatAuto},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Detect(bytes.NewReader(tc.data), int64(len(tc.data)))
			if got != tc.want || (tc.want == FormatAuto) != errors.Is(err, ErrUnknownFormat) {
				t.Errorf("Detect = %v, %v; want %v", got, err, tc.want)
			}
		})
	}
}

func TestCleanName(t *testing.T) {
	for _, tc := range []struct {
		in    string
		want  string
		isDir bool
		ok    bool
	}{
		{"a/b.txt", "a/b.txt", false, true},
		{"./a//./b/", "a/b", true, true},
		{"./", "", true, true},
		{"...", "...", false, true},
		{"a..b/..c", "a..b/..c", false, true},
		{"ünïcode/файл.txt", "ünïcode/файл.txt", false, true},
		{"..", "", false, false},
		{"a/..", "", false, false},
		{"/a", "", false, false},
		{`a\b`, "", false, false},
		{"D:x", "", false, false},
		{"a\tb", "", false, false},
		{"a\u0085b", "", false, false},
		{"a\x7fb", "", false, false},
	} {
		got, isDir, err := cleanName(tc.in)
		if (err == nil) != tc.ok || got != tc.want || isDir != tc.isDir {
			t.Errorf("cleanName(%q) = %q, %v, %v; want %q, %v, ok=%v", tc.in, got, isDir, err, tc.want, tc.isDir, tc.ok)
		}
	}
}
