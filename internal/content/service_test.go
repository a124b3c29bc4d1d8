package content

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/left4me/left4me/internal/archive"
	"github.com/left4me/left4me/internal/fakesrcds"
	"github.com/left4me/left4me/internal/layout"
	"github.com/left4me/left4me/internal/steamcmd"
	"github.com/left4me/left4me/internal/store"
)

// recorder is a Progress that keeps everything.
type recorder struct {
	mu    sync.Mutex
	fracs []float64
	logs  []string
}

func (r *recorder) Progress(f float64, msg string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.fracs = append(r.fracs, f)
}

func (r *recorder) Logf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.logs = append(r.logs, fmt.Sprintf(format, args...))
}

func (r *recorder) text() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return strings.Join(r.logs, "\n")
}

type env struct {
	root layout.Root
	st   *store.Store
	svc  *Service
	user int64
}

func newEnv(t testing.TB) *env {
	t.Helper()
	root := newRoot(t)
	st, err := store.Open(context.Background(), root.Database())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	u, err := st.CreateUser(context.Background(), "op", "h", true)
	if err != nil {
		t.Fatal(err)
	}
	svc := NewService(Config{Root: root, Sandbox: DevSandbox{}}, st)
	return &env{root: root, st: st, svc: svc, user: u.ID}
}

func TestScriptBuild(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	script := `set -eu
echo "building $LAYER_ID into $OVERLAY"
[ "$(pwd)" = "$OVERLAY" ]
mkdir -p left4dead2/cfg
echo 'sv_maxrate 100000' > left4dead2/cfg/rates.cfg
chmod 600 left4dead2/cfg/rates.cfg
echo "to stderr" >&2
`
	if _, err := e.svc.CreateScript(ctx, store.Layer{ID: "rates", Script: script}); err != nil {
		t.Fatal(err)
	}
	rec := &recorder{}
	res, err := e.svc.Build(ctx, "rates", e.user, rec)
	if err != nil {
		t.Fatalf("build: %v\n%s", err, rec.text())
	}
	if !strings.Contains(rec.text(), "building rates into") || !strings.Contains(rec.text(), "to stderr") {
		t.Errorf("script output not captured:\n%s", rec.text())
	}
	log, _ := os.ReadFile(filepath.Join(res.BuildDir, BuildLog))
	if !strings.Contains(string(log), "to stderr") {
		t.Errorf("build.log = %q", log)
	}
	fi, err := os.Stat(filepath.Join(res.Path, "left4dead2/cfg/rates.cfg"))
	if err != nil || fi.Mode().Perm() != 0o444 {
		t.Errorf("published file: %v %v (want world-readable 0444)", fi, err)
	}
	if _, err := os.Stat(filepath.Join(res.BuildDir, BuildOutput)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("output dir left behind: %v", err)
	}
	bs, _ := e.st.ListContentBuilds(ctx, "rates", 5)
	if len(bs) != 1 || bs[0].Status != store.BuildSucceeded || bs[0].Generation != res.Generation {
		t.Errorf("build record = %+v", bs)
	}

	// A failing script publishes nothing and says why.
	if _, err := e.svc.SetScript(ctx, "rates", "echo half > half.txt\necho failing now\nexit 3\n"); err != nil {
		t.Fatal(err)
	}
	rec = &recorder{}
	if _, err := e.svc.Build(ctx, "rates", e.user, rec); err == nil {
		t.Fatal("failing script: no error")
	}
	if !strings.Contains(rec.text(), "failing now") {
		t.Errorf("failing script output:\n%s", rec.text())
	}
	if gens, _ := layout.Generations(filepath.Join(e.root.Overlays(), "rates")); len(gens) != 1 {
		t.Errorf("generations after a failed build: %q", gens)
	}
	bs, _ = e.st.ListContentBuilds(ctx, "rates", 5)
	if bs[0].Status != store.BuildFailed || !strings.Contains(bs[0].Error, "exit status 3") {
		t.Errorf("failed build record = %+v", bs[0])
	}

	// The time limit kills the script and everything it started.
	e.svc.SetScript(ctx, "rates", "sleep 60 &\nsleep 60\n")
	tctx, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	if _, err := e.svc.Build(tctx, "rates", e.user, &recorder{}); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("timed-out build: %v", err)
	}
	if time.Since(start) > 30*time.Second {
		t.Error("timed-out build was not killed")
	}
	if gens, _ := layout.Generations(filepath.Join(e.root.Overlays(), "rates")); len(gens) != 1 {
		t.Errorf("generations after a timed-out build: %q", gens)
	}

	// An incremental build starts from the newest generation.
	l, _ := e.st.LayerByID(ctx, "rates")
	l.Incremental = true
	l.Script = "test -f left4dead2/cfg/rates.cfg\necho more > more.txt\n"
	e.st.UpdateLayer(ctx, l)
	res2, err := e.svc.Build(ctx, "rates", e.user, &recorder{})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"left4dead2/cfg/rates.cfg", "more.txt"} {
		if _, err := os.Stat(filepath.Join(res2.Path, f)); err != nil {
			t.Errorf("incremental generation: %v", err)
		}
	}
	if hashTree(t, res.Path) == hashTree(t, res2.Path) {
		t.Error("incremental build did not change anything")
	}

	// Bad input.
	if _, err := e.svc.CreateScript(ctx, store.Layer{ID: "Bad/Id", Script: "true"}); !errors.Is(err, ErrInvalid) {
		t.Errorf("bad id: %v", err)
	}
	if _, err := e.svc.CreateScript(ctx, store.Layer{ID: "empty", Script: "  \n"}); !errors.Is(err, ErrInvalid) {
		t.Errorf("empty script: %v", err)
	}
	if _, err := e.svc.Build(ctx, "missing", e.user, &recorder{}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("build of a missing layer: %v", err)
	}
}

func zipOf(t testing.TB, files map[string]string) []byte {
	t.Helper()
	var b bytes.Buffer
	w := zip.NewWriter(&b)
	for name, c := range files {
		f, err := w.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		f.Write([]byte(c))
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestUpload(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	z := zipOf(t, map[string]string{"a.vpk": "A1", "sub/b.vpk": "B1"})
	res, err := e.svc.Upload(ctx, UploadSpec{LayerID: "maps", Name: "Map pack", Path: "left4dead2/addons", R: bytes.NewReader(z), Size: int64(len(z)), UserID: e.user}, &recorder{})
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(filepath.Join(res.Path, "left4dead2/addons/sub/b.vpk")); string(b) != "B1" {
		t.Errorf("uploaded file = %q", b)
	}
	l, err := e.st.LayerByID(ctx, "maps")
	if err != nil || l.Kind != store.LayerUpload || l.Name != "Map pack" {
		t.Errorf("layer record = %+v, %v", l, err)
	}
	// A second upload keeps the previous files and replaces same names.
	one := []byte("sv_cheats 0\n")
	res2, err := e.svc.Upload(ctx, UploadSpec{LayerID: "maps", Path: "left4dead2/cfg/extra.cfg", Format: archive.FormatFile, R: bytes.NewReader(one), Size: int64(len(one))}, &recorder{})
	if err != nil {
		t.Fatal(err)
	}
	z2 := zipOf(t, map[string]string{"a.vpk": "A2"})
	res3, err := e.svc.Upload(ctx, UploadSpec{LayerID: "maps", Path: "left4dead2/addons", R: bytes.NewReader(z2), Size: int64(len(z2))}, &recorder{})
	if err != nil {
		t.Fatal(err)
	}
	for f, want := range map[string]string{"left4dead2/addons/a.vpk": "A2", "left4dead2/addons/sub/b.vpk": "B1", "left4dead2/cfg/extra.cfg": "sv_cheats 0\n"} {
		if b, _ := os.ReadFile(filepath.Join(res3.Path, f)); string(b) != want {
			t.Errorf("%s = %q, want %q", f, b, want)
		}
	}
	if b, _ := os.ReadFile(filepath.Join(res.Path, "left4dead2/addons/a.vpk")); string(b) != "A1" {
		t.Errorf("first generation changed: %q", b)
	}
	if res2.Generation >= res3.Generation {
		t.Errorf("generations out of order: %q %q", res2.Generation, res3.Generation)
	}
	// Refused uploads publish nothing.
	bad := zipOf(t, map[string]string{"../../escape.txt": "x"})
	for _, u := range []UploadSpec{
		{LayerID: "maps", Path: "left4dead2/addons", R: bytes.NewReader(bad), Size: int64(len(bad))},
		{LayerID: "maps", Path: "cfg", R: bytes.NewReader(z), Size: int64(len(z))},
		{LayerID: "maps", Path: "left4dead2", R: bytes.NewReader([]byte("not an archive")), Size: 14},
	} {
		if _, err := e.svc.Upload(ctx, u, &recorder{}); err == nil {
			t.Errorf("upload into %q accepted", u.Path)
		}
	}
	if gens, _ := layout.Generations(filepath.Join(e.root.Overlays(), "maps")); len(gens) != 3 {
		t.Errorf("generations after refused uploads: %q", gens)
	}
	// Uploads go only into upload layers.
	e.svc.CreateScript(ctx, store.Layer{ID: "scripted", Script: "true"})
	if _, err := e.svc.Upload(ctx, UploadSpec{LayerID: "scripted", Path: "left4dead2", R: bytes.NewReader(z), Size: int64(len(z))}, &recorder{}); !errors.Is(err, ErrInvalid) {
		t.Errorf("upload into a script layer: %v", err)
	}
}

func TestSeed(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	dir := filepath.Join("..", "..", "examples", "overlays")
	first, err := e.svc.Seed(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(first) < 4 {
		t.Fatalf("seeded %d examples, want at least 4: %+v", len(first), first)
	}
	for _, r := range first {
		if !r.Created {
			t.Errorf("%s not created on the first seed", r.ID)
		}
		l, err := e.st.LayerByID(ctx, r.ID)
		if err != nil || l.Kind != store.LayerScript || l.Name == "" || l.Description == "" || l.Source == "" {
			t.Errorf("seeded layer %s = %+v, %v", r.ID, l, err)
		}
	}
	// An operator's edit survives a second seed.
	if _, err := e.svc.SetScript(ctx, first[0].ID, "echo edited\n"); err != nil {
		t.Fatal(err)
	}
	second, err := e.svc.Seed(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range second {
		if r.Created {
			t.Errorf("%s created again", r.ID)
		}
	}
	if l, _ := e.st.LayerByID(ctx, first[0].ID); l.Script != "echo edited\n" {
		t.Errorf("seed overwrote an edited script: %q", l.Script)
	}
	// Every example is valid bash.
	for _, r := range first {
		if out, err := execOutput(ctx, "bash", "-n", r.File); err != nil {
			t.Errorf("bash -n %s: %v\n%s", r.File, err, out)
		}
	}
	// A directory without examples is an error.
	if _, err := e.svc.Seed(ctx, t.TempDir()); err == nil {
		t.Error("seed of an empty directory: no error")
	}
}

func TestDeleteLayer(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	e.svc.CreateScript(ctx, store.Layer{ID: "gone", Script: "echo x > x\n"})
	if _, err := e.svc.Build(ctx, "gone", 0, &recorder{}); err != nil {
		t.Fatal(err)
	}
	in, err := e.st.CreateInstance(ctx, store.Instance{Name: "srv", OwnerID: e.user, Port: 27015, Layers: []string{"gone"}, RCONPassword: "p"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.svc.Delete(ctx, "gone"); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "srv") {
		t.Errorf("delete of a used layer: %v", err)
	}
	in.Layers = nil
	if _, err := e.st.UpdateInstance(ctx, in); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.Delete(ctx, "gone"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(e.root.Overlays(), "gone")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("layer directory left: %v", err)
	}
	if _, err := e.st.LayerByID(ctx, "gone"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("record left: %v", err)
	}
}

var (
	binOnce            sync.Once
	steamBin, srcdsBin string
	binErr             error
)

// binaries builds the stand-in steamcmd and srcds once per test run.
func binaries(t testing.TB) (steam, srcds string) {
	t.Helper()
	binOnce.Do(func() {
		dir, err := os.MkdirTemp("", "left4me-content-bin-")
		if err != nil {
			binErr = err
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		steamBin, srcdsBin = filepath.Join(dir, "steamcmd.sh"), filepath.Join(dir, "fakesrcds")
		if binErr = steamcmd.BuildFake(ctx, steamBin); binErr != nil {
			return
		}
		// A prebuilt stand-in server, for runs as a user who cannot build
		// in this tree (as internal/process's tests).
		if p := os.Getenv("LEFT4ME_TEST_FAKESRCDS"); p != "" {
			srcdsBin = p
			return
		}
		binErr = fakesrcds.Build(ctx, srcdsBin)
	})
	if binErr != nil {
		t.Fatalf("build stand-ins: %v", binErr)
	}
	return steamBin, srcdsBin
}

func TestInstall(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	steam, srcds := binaries(t)
	home := t.TempDir()
	e.svc.cfg.SDKHome = home
	runner := func(build string, extra ...string) steamcmd.Runner {
		return steamcmd.Direct{Path: steam, Env: append([]string{"FAKESTEAMCMD_BUILDID=" + build, "FAKESTEAMCMD_SRCDS=" + srcds}, extra...)}
	}
	rec := &recorder{}
	r1, err := e.svc.Install(ctx, runner("100"), false, e.user, rec)
	if err != nil {
		t.Fatalf("first install: %v\n%s", err, rec.text())
	}
	if r1.BuildID != "100" || r1.Previous != "" || !strings.HasSuffix(r1.Generation, "-b100") {
		t.Errorf("first install = %+v", r1)
	}
	if !strings.Contains(rec.text(), "a Windows platform pass") {
		t.Errorf("first install did not use the Windows pass:\n%s", rec.text())
	}
	if _, err := os.Stat(filepath.Join(e.root.Installation(r1.Generation), "srcds_linux")); err != nil {
		t.Errorf("installed tree: %v", err)
	}
	if l, err := os.Readlink(filepath.Join(home, ".steam", "sdk32")); err != nil || l != filepath.Join(e.root.Steam(), "linux32") {
		t.Errorf("sdk32 link = %q, %v", l, err)
	}
	before := hashTree(t, e.root.Installation(r1.Generation))

	// Same build again: nothing new is published.
	r2, err := e.svc.Install(ctx, runner("100"), false, e.user, &recorder{})
	if err != nil || !r2.UpToDate || r2.Generation != r1.Generation {
		t.Errorf("up-to-date install = %+v, %v", r2, err)
	}
	// An update that rewrites files in place produces a new generation and
	// leaves the old one byte-identical.
	r3, err := e.svc.Install(ctx, runner("101", "FAKESTEAMCMD_INPLACE=1"), false, e.user, &recorder{})
	if err != nil {
		t.Fatal(err)
	}
	if r3.Previous != r1.Generation || r3.Generation <= r1.Generation || r3.Copy.Files == 0 {
		t.Errorf("update = %+v", r3)
	}
	if hashTree(t, e.root.Installation(r1.Generation)) != before {
		t.Error("the update changed the previous generation")
	}
	if n, _ := layout.Newest(e.root.Installations()); n != r3.Generation {
		t.Errorf("newest = %q, want %q", n, r3.Generation)
	}
	if id, _ := steamcmd.ReadBuildID(e.root.Installation(r3.Generation)); id != "101" {
		t.Errorf("new generation's build id = %q", id)
	}
	// A failure printed with exit 0 publishes nothing and leaves no tree.
	rec = &recorder{}
	r4, err := e.svc.Install(ctx, runner("102", "FAKESTEAMCMD_FAIL=Disk write failure"), false, e.user, rec)
	if !errors.Is(err, steamcmd.ErrFailed) {
		t.Errorf("failed install: %v", err)
	}
	if gens, _ := layout.Generations(e.root.Installations()); len(gens) != 2 {
		t.Errorf("generations after a failure: %q", gens)
	}
	if _, err := os.Stat(filepath.Join(r4.BuildDir, BuildOutput)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("failed install left its tree: %v", err)
	}
	if log, _ := os.ReadFile(filepath.Join(r4.BuildDir, BuildLog)); !strings.Contains(string(log), "Disk write failure") {
		t.Errorf("build.log = %q", log)
	}
	bs, _ := e.st.ListContentBuilds(ctx, "", 10)
	if len(bs) != 4 || bs[0].Status != store.BuildFailed {
		t.Errorf("install records = %+v", bs)
	}
}

// TestRefusedFirstUploadCreatesNoLayer: the layer of a first upload is
// recorded only when the upload is published; a refused one (or a process
// killed while unpacking) leaves no empty layer record.
func TestRefusedFirstUploadCreatesNoLayer(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	bad := zipOf(t, map[string]string{"../../escape.txt": "x"})
	for _, u := range []UploadSpec{
		{LayerID: "fresh", Path: "left4dead2/addons", R: bytes.NewReader(bad), Size: int64(len(bad))},
		{LayerID: "fresh", Path: "left4dead2", R: bytes.NewReader([]byte("not an archive")), Size: 14},
	} {
		if _, err := e.svc.Upload(ctx, u, &recorder{}); err == nil {
			t.Fatalf("bad upload accepted")
		}
		if l, err := e.st.LayerByID(ctx, "fresh"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("refused first upload left a layer record: %+v, %v", l, err)
		}
		if _, err := os.Lstat(filepath.Join(e.root.Overlays(), "fresh")); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("refused first upload left overlays/fresh: %v", err)
		}
	}
	// A generation published by a first upload whose process was killed
	// before recording the layer is adopted by the next upload.
	orphan := filepath.Join(t.TempDir(), "out")
	if err := os.MkdirAll(filepath.Join(orphan, "left4dead2"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(orphan, "left4dead2", "old.cfg"), []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Publish(filepath.Join(e.root.Overlays(), "fresh"), orphan, "", time.Now()); err != nil {
		t.Fatal(err)
	}
	good := zipOf(t, map[string]string{"a.vpk": "A"})
	res, err := e.svc.Upload(ctx, UploadSpec{LayerID: "fresh", Path: "left4dead2/addons", R: bytes.NewReader(good), Size: int64(len(good)), UserID: e.user}, &recorder{})
	if err != nil {
		t.Fatal(err)
	}
	if l, err := e.st.LayerByID(ctx, "fresh"); err != nil || l.Kind != store.LayerUpload {
		t.Errorf("layer after a good first upload: %+v, %v", l, err)
	}
	for _, f := range []string{"left4dead2/old.cfg", "left4dead2/addons/a.vpk"} {
		if _, err := os.Stat(filepath.Join(res.Path, f)); err != nil {
			t.Errorf("newest generation lacks %s: %v", f, err)
		}
	}
	builds, err := e.st.ListContentBuilds(ctx, "fresh", 10)
	if err != nil || len(builds) != 1 || builds[0].Status != store.BuildSucceeded || builds[0].Generation != res.Generation {
		t.Errorf("builds of the first upload = %+v, %v", builds, err)
	}
}
