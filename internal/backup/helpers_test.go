package backup

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"testing"

	"github.com/klauspost/compress/zstd"

	"github.com/left4me/left4me/internal/instance"
	"github.com/left4me/left4me/internal/layout"
	"github.com/left4me/left4me/internal/schedule"
	"github.com/left4me/left4me/internal/store"
)

// stoppedSupervisor runs nothing: every instance is stopped.
type stoppedSupervisor struct{}

func (stoppedSupervisor) Start(context.Context, string) error   { return nil }
func (stoppedSupervisor) Stop(context.Context, string) error    { return nil }
func (stoppedSupervisor) Restart(context.Context, string) error { return nil }
func (stoppedSupervisor) Status(context.Context, string) (instance.Status, error) {
	return instance.Status{State: instance.Stopped}, nil
}

// fixture is a state root with a database, an owner, a layer with two
// generations and an installation, and the services over them.
type fixture struct {
	root   layout.Root
	st     *store.Store
	insts  *instance.Service
	scheds *schedule.Service
	svc    *Service
	owner  store.User
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	ctx := context.Background()
	root, err := layout.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if err := root.Create(0o755); err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(ctx, root.Database())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	owner, err := st.CreateUser(ctx, "alice", "x", false)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{root.Installation("0001"), root.Overlay("maps", "0001"), root.Overlay("maps", "0002")} {
		writeFile(t, filepath.Join(d, "left4dead2", "lower.txt"), "from a lower layer")
	}
	insts := instance.NewService(instance.Config{Root: root}, st, stoppedSupervisor{})
	scheds := schedule.New(schedule.Config{Store: st})
	svc := New(Config{Root: root, Instances: insts, Schedules: scheds, Store: st})
	return &fixture{root: root, st: st, insts: insts, scheds: scheds, svc: svc, owner: owner}
}

func writeFile(t testing.TB, p, text string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

// treeSums describes every path under dir: type and SHA-256 of files,
// targets of links, whiteouts, modes.
func treeSums(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		fi, err := os.Lstat(p)
		if err != nil {
			return err
		}
		switch {
		case fi.IsDir():
			out[rel] = "dir " + fi.Mode().Perm().String()
		case fi.Mode()&fs.ModeSymlink != 0:
			target, _ := os.Readlink(p)
			out[rel] = "link " + target
		case isWhiteout(fi):
			out[rel] = "whiteout"
		default:
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			sum := sha256.Sum256(b)
			out[rel] = "file " + fi.Mode().Perm().String() + " " + hex.EncodeToString(sum[:])
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// entry is one tar entry of an archive, for tests that change archives.
type entry struct {
	hdr  tar.Header
	data []byte
}

func readEntries(t *testing.T, path string) []entry {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := zstd.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	tr := tar.NewReader(zr)
	var out []entry
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, entry{hdr: *hdr, data: b})
	}
}

func writeEntries(t *testing.T, entries []entry) []byte {
	t.Helper()
	return writeEntriesThen(t, entries, nil)
}

// writeEntriesThen writes entries and then tail after tar's end marker,
// inside the compressed stream.
func writeEntriesThen(t *testing.T, entries []entry, tail []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw, err := zstd.NewWriter(&buf)
	if err != nil {
		t.Fatal(err)
	}
	tw := tar.NewWriter(zw)
	for _, e := range entries {
		h := e.hdr
		h.Size = int64(len(e.data))
		if h.Typeflag != tar.TypeReg {
			h.Size = 0
		}
		if err := tw.WriteHeader(&h); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write(e.data); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := zw.Write(tail); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// runtimeEntries lists runtime/ and instances/, to see that a refused
// restore left nothing.
func runtimeEntries(t *testing.T, root layout.Root) []string {
	t.Helper()
	var out []string
	for _, d := range []string{root.Runtimes(), root.Instances()} {
		es, err := os.ReadDir(d)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range es {
			out = append(out, filepath.Join(filepath.Base(d), e.Name()))
		}
	}
	sort.Strings(out)
	return out
}

// backupOfSource makes the fixture's instance "src" and returns the path and
// bytes of a backup of it.
func backupOfSource(t *testing.T, f *fixture) (string, []byte) {
	t.Helper()
	makeSource(t, f)
	b, err := f.svc.Backup(context.Background(), "src", Options{})
	if err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(b.Path)
	if err != nil {
		t.Fatal(err)
	}
	return b.Path, raw
}
