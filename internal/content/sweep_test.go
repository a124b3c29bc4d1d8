package content

import (
	"archive/tar"
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/left4me/left4me/internal/layout"
	"github.com/left4me/left4me/internal/store"
)

// uploadChildEnv makes TestUploadChild an upload that a test kills: the
// value is the state root.
const uploadChildEnv = "LEFT4ME_TEST_UPLOAD_CHILD"

// manyFiles is a tar of n small files.
func manyFiles(t testing.TB, n int) []byte {
	t.Helper()
	var b bytes.Buffer
	w := tar.NewWriter(&b)
	for i := range n {
		data := bytes.Repeat([]byte{byte('a' + i%26)}, 1000)
		if err := w.WriteHeader(&tar.Header{Name: fmt.Sprintf("f%05d.txt", i), Mode: 0o644, Size: int64(len(data)), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		w.Write(data)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// stallingReader serves data up to stallAt, then tells stalled (once) and
// waits for release before serving the rest.
type stallingReader struct {
	data    []byte
	stallAt int64
	once    sync.Once
	stalled chan struct{}
	release chan struct{}
}

func newStallingReader(data []byte) *stallingReader {
	return &stallingReader{data: data, stallAt: int64(len(data) / 2), stalled: make(chan struct{}), release: make(chan struct{})}
}

func (r *stallingReader) ReadAt(p []byte, off int64) (int, error) {
	if off+int64(len(p)) > r.stallAt && off > 512 {
		r.once.Do(func() { close(r.stalled) })
		<-r.release
	}
	return bytes.NewReader(r.data).ReadAt(p, off)
}

// extractDirs lists the upload build directories' unpacking leftovers.
func extractDirs(t *testing.T, root layout.Root) []string {
	t.Helper()
	var out []string
	for _, pat := range []string{".upload.extract-*", "upload", "output"} {
		m, err := filepath.Glob(filepath.Join(root.Builds(), "upload-*", pat))
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, m...)
	}
	return out
}

// TestUploadChild is the upload TestKilledUploadSwept kills: it unpacks a
// 2,000-file tar into a new layer and stalls half way, after saying so.
func TestUploadChild(t *testing.T) {
	dir := os.Getenv(uploadChildEnv)
	if dir == "" {
		t.Skip("run by TestKilledUploadSwept")
	}
	root, err := layout.New(dir)
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(context.Background(), root.Database())
	if err != nil {
		t.Fatal(err)
	}
	svc := NewService(Config{Root: root}, st)
	r := newStallingReader(manyFiles(t, 2000))
	go func() {
		<-r.stalled
		fmt.Println("STALLED")
	}()
	svc.Upload(context.Background(), UploadSpec{LayerID: "maps", Path: "left4dead2/addons", R: r, Size: int64(len(r.data))}, NopProgress{})
	t.Fatal("the upload finished")
}

// TestKilledUploadSwept: an upload SIGKILLed while unpacking leaves its
// extraction directory (and no record: a first upload); the panel's start
// (RecoverBuilds) and GC remove it at once, not a day later. A live upload's
// directory is left alone by both, however old.
func TestKilledUploadSwept(t *testing.T) {
	for _, sweeper := range []string{"start", "gc"} {
		t.Run(sweeper, func(t *testing.T) {
			e := newEnv(t)
			cmd := exec.Command(os.Args[0], "-test.run=^TestUploadChild$", "-test.count=1")
			cmd.Env = append(os.Environ(), uploadChildEnv+"="+e.root.String())
			out, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			sc := bufio.NewScanner(out)
			stalled := false
			for sc.Scan() {
				if strings.Contains(sc.Text(), "STALLED") {
					stalled = true
					break
				}
			}
			if !stalled {
				cmd.Process.Kill()
				cmd.Wait()
				t.Fatal("the child upload never stalled")
			}
			cmd.Process.Signal(syscall.SIGKILL)
			cmd.Wait()
			left := extractDirs(t, e.root)
			if len(left) == 0 {
				t.Fatal("the killed upload left nothing to sweep: the test is broken")
			}
			if bs, _ := e.st.ListContentBuilds(context.Background(), "maps", 5); len(bs) != 0 {
				t.Errorf("a killed first upload has records: %+v", bs)
			}
			var removed []string
			switch sweeper {
			case "start":
				if _, err := e.svc.RecoverBuilds(context.Background(), time.Now()); err != nil {
					t.Fatal(err)
				}
			case "gc":
				if removed, err = e.svc.GC(context.Background()); err != nil {
					t.Fatal(err)
				}
			}
			if after := extractDirs(t, e.root); len(after) != 0 {
				t.Errorf("after the sweep at %s: left %q (removed %q)", sweeper, after, removed)
			}
			if gens, _ := layout.Generations(filepath.Join(e.root.Overlays(), "maps")); len(gens) != 0 {
				t.Errorf("generations %q", gens)
			}
		})
	}
}

// TestLiveUploadNotSwept: the sweeps leave a running upload's directory
// alone (it holds the lock), even when GC thinks it two days old; the upload
// then finishes.
func TestLiveUploadNotSwept(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	r := newStallingReader(manyFiles(t, 500))
	done := make(chan error, 1)
	go func() {
		_, err := e.svc.Upload(ctx, UploadSpec{LayerID: "maps", Path: "left4dead2/addons", R: r, Size: int64(len(r.data))}, NopProgress{})
		done <- err
	}()
	<-r.stalled
	before := extractDirs(t, e.root)
	if len(before) == 0 {
		t.Fatal("no extraction directory while unpacking")
	}
	if _, err := e.svc.RecoverBuilds(ctx, time.Now()); err != nil {
		t.Fatal(err)
	}
	removed, err := GC(ctx, e.root, GCOptions{Grace: time.Minute, Now: time.Now().Add(48 * time.Hour)})
	if err != nil || len(removed) != 0 {
		t.Errorf("GC removed %q (%v) from a live upload", removed, err)
	}
	if after := extractDirs(t, e.root); len(after) != len(before) {
		t.Errorf("extraction directories %q → %q", before, after)
	}
	close(r.release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if gens, _ := layout.Generations(filepath.Join(e.root.Overlays(), "maps")); len(gens) != 1 {
		t.Errorf("generations %q", gens)
	}
}
