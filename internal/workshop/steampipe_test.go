package workshop

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/left4me/left4me/internal/jobs"
	"github.com/left4me/left4me/internal/steamcmd"
	"github.com/left4me/left4me/internal/workshop/workshoptest"
)

func TestFileURLProblem(t *testing.T) {
	const preview = "https://steamuserimages-a.akamaihd.net/ugc/1/ABC/"
	tests := []struct {
		fileURL, previewURL string
		usable              bool
	}{
		{"http://cloud-3.steamusercontent.com/ugc/123456/0123456789ABCDEF/", preview, true},
		{"https://example.com/files/addon.vpk", preview, true},
		{"", preview, false},
		{"   ", preview, false},
		{preview, preview, false},
		{"https://steamuserimages-a.akamaihd.net/ugc/2/DEF/preview.JPG", preview, false},
		{"https://example.com/p.png?x=1", "", false},
		{"https://example.com/p.webp", "", false},
	}
	for _, tt := range tests {
		if got := FileURLProblem(tt.fileURL, tt.previewURL) == ""; got != tt.usable {
			t.Errorf("FileURLProblem(%q) usable = %v, want %v (%q)", tt.fileURL, got, tt.usable, FileURLProblem(tt.fileURL, tt.previewURL))
		}
	}
}

var (
	fakeSteamOnce sync.Once
	fakeSteamPath string
	fakeSteamErr  error
)

// fakeSteamCmd builds the stand-in steamcmd once per test run.
func fakeSteamCmd(t *testing.T) string {
	t.Helper()
	fakeSteamOnce.Do(func() {
		dir, err := os.MkdirTemp("", "left4me-fakesteamcmd-")
		if err != nil {
			fakeSteamErr = err
			return
		}
		fakeSteamPath = filepath.Join(dir, "steamcmd.sh")
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		fakeSteamErr = steamcmd.BuildFake(ctx, fakeSteamPath)
	})
	if fakeSteamErr != nil {
		t.Fatalf("build fakesteamcmd: %v", fakeSteamErr)
	}
	return fakeSteamPath
}

// withSteamCmd gives the fixture a downloader whose steamcmd is the
// stand-in with env (nil fn: no steamcmd at all). It returns the directory
// the stand-in hands items out from (FAKESTEAMCMD_WORKSHOP_SOURCE) and a
// counter of steamcmd runs asked for.
func (f *fixture) withSteamCmd(t *testing.T, available bool, env ...string) (string, *int) {
	t.Helper()
	src := t.TempDir()
	runs := new(int)
	var fn SteamCmdFunc
	if available {
		bin := fakeSteamCmd(t)
		env = append(env, "FAKESTEAMCMD_WORKSHOP_SOURCE="+src, "FAKESTEAMCMD_STATE_DIR="+t.TempDir())
		fn = func(context.Context) (steamcmd.Runner, error) {
			*runs++
			return steamcmd.Direct{Path: bin, Env: env}, nil
		}
	}
	dl := NewDownloader(DownloaderConfig{Root: f.root, HTTPClient: f.fake.Client(), Retry: fastRetry, Parallel: 2, SteamCmd: fn})
	f.svc = NewService(Config{Root: f.root, API: NewClient(f.fake.URL(), f.fake.Client()), Downloader: dl, Retry: fastRetry}, f.st)
	return src, runs
}

// steamItem puts an item whose file only steamcmd gets on the fake server,
// and the file where the stand-in steamcmd finds it.
func (f *fixture) steamItem(t *testing.T, src string, id uint64, title string, updated int64, hosting workshoptest.Hosting) workshoptest.Item {
	t.Helper()
	it := workshoptest.Item{ID: id, Title: title, TimeUpdated: updated, Data: workshoptest.MakeVPK(t, title, "sp_"+strconv.FormatUint(id, 10)), Hosting: hosting}
	f.fake.SetItem(it)
	if err := os.WriteFile(filepath.Join(src, strconv.FormatUint(id, 10)+".vpk"), it.Data, 0o644); err != nil {
		t.Fatal(err)
	}
	return it
}

// TestSteamPipeItemsDownloadedThroughSteamCmd: items whose details carry
// no usable file_url (empty, the preview image, or a URL answering with an
// image) are fetched with steamcmd's workshop_download_item, checked and
// published into workshop/ID/REVISION/ and the layer like any other.
func TestSteamPipeItemsDownloadedThroughSteamCmd(t *testing.T) {
	for _, tc := range []struct {
		name    string
		hosting workshoptest.Hosting
	}{
		{"empty file_url", workshoptest.HostSteamPipe},
		{"preview image as file_url", workshoptest.HostPreviewURL},
		{"file_url serving an image", workshoptest.HostImage},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			src, runs := f.withSteamCmd(t, true)
			f.item(t, 1, "Direct", 100, "d_m1")
			f.steamItem(t, src, 2, "Pipe", 200, tc.hosting)
			rec := &recorder{}
			res, err := f.svc.Add(context.Background(), "maps", []string{"1", "2"}, rec)
			if err != nil {
				t.Fatalf("Add: %v", err)
			}
			for _, r := range res.Downloads {
				if r.Err != nil {
					t.Errorf("item %d: %v\n%s", r.ID, r.Err, strings.Join(rec.lines, "\n"))
				}
			}
			if *runs != 1 {
				t.Errorf("steamcmd asked for %d time(s), want 1", *runs)
			}
			it, err := f.st.WorkshopItem(context.Background(), 2)
			if err != nil {
				t.Fatal(err)
			}
			if it.Revision != "200" || it.Error != "" || it.Addon.Title != "Pipe" || !slices.Contains(it.Addon.Maps, "sp_2") {
				t.Errorf("item 2 = revision %q error %q addon %+v", it.Revision, it.Error, it.Addon)
			}
			if got := f.genVPKs(t, "maps", res.Generation); !slices.Equal(got, []string{"1.vpk", "2.vpk"}) {
				t.Errorf("generation holds %v", got)
			}
			if mode(t, f.root.WorkshopItem("2", "200")) != 0o555 {
				t.Error("revision directory not read-only")
			}
			log := strings.Join(rec.lines, "\n")
			if !strings.Contains(log, "workshop_download_item 550 2") || !strings.Contains(log, "Success. Downloaded item 2") {
				t.Errorf("job log does not show the steamcmd download:\n%s", log)
			}
			// steamcmd's working tree is gone; nothing half-done in workshop/2.
			if left := dotEntries(t, filepath.Join(f.root.Workshop(), "2")); len(left) != 0 {
				t.Errorf("left behind in workshop/2: %v", left)
			}
			builds, _ := filepath.Glob(filepath.Join(f.root.Builds(), "workshop-*", "output"))
			if len(builds) != 0 {
				t.Errorf("steamcmd output left behind: %v", builds)
			}
			// Already on disk: no second steamcmd run.
			if _, err := f.svc.Add(context.Background(), "maps", []string{"2"}, &recorder{}); err != nil || *runs != 1 {
				t.Errorf("second Add: %v, %d steamcmd run(s)", err, *runs)
			}
		})
	}
}

// TestSteamPipeItemFlagged: when steamcmd is not there, fails, or hands
// out a broken file, the item is not silently missing: the download result
// and the item's recorded error name it and say why, the layer is
// published with the other items, and the download job fails naming it.
func TestSteamPipeItemFlagged(t *testing.T) {
	for _, tc := range []struct {
		name      string
		available bool
		env       []string
		want      []string
		corrupt   bool
		transient bool
	}{
		{"no steamcmd", false, nil, []string{"file_url is empty", "steamcmd is not configured"}, false, false},
		{"steamcmd fails", true, []string{"FAKESTEAMCMD_WORKSHOP_FAIL=2"}, []string{"file_url is empty", "Download item 2 failed (Failure)"}, false, false},
		{"steamcmd times out", true, []string{"FAKESTEAMCMD_WORKSHOP_FAIL=2", "FAKESTEAMCMD_WORKSHOP_REASON=Timeout"}, []string{"Download item 2 failed (Timeout)"}, false, true},
		{"corrupt file", true, []string{"FAKESTEAMCMD_WORKSHOP_CORRUPT=1"}, []string{"item 2 revision 200 from steamcmd"}, true, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			src, _ := f.withSteamCmd(t, tc.available, tc.env...)
			f.item(t, 1, "Direct", 100, "d_m1")
			f.steamItem(t, src, 2, "Pipe", 200, workshoptest.HostSteamPipe)
			res, err := f.svc.Add(context.Background(), "maps", []string{"1", "2"}, &recorder{})
			if err != nil {
				t.Fatalf("Add: %v", err)
			}
			var got error
			for _, r := range res.Downloads {
				if r.ID == 2 {
					got = r.Err
				} else if r.Err != nil {
					t.Errorf("item %d: %v", r.ID, r.Err)
				}
			}
			if got == nil {
				t.Fatal("item 2: no error")
			}
			if tc.corrupt != errors.Is(got, ErrCorrupt) || (!tc.corrupt && !errors.Is(got, ErrNeedsSteamCmd)) || IsTransient(got) != tc.transient {
				t.Errorf("item 2: err = %v (corrupt %v, needs steamcmd %v, transient %v)", got, errors.Is(got, ErrCorrupt), errors.Is(got, ErrNeedsSteamCmd), IsTransient(got))
			}
			it, err := f.st.WorkshopItem(context.Background(), 2)
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range append([]string{"item 2"}, tc.want...) {
				if !strings.Contains(it.Error, w) {
					t.Errorf("recorded error %q does not say %q", it.Error, w)
				}
			}
			if it.Revision != "" {
				t.Errorf("item 2 has revision %q", it.Revision)
			}
			if gen := f.genVPKs(t, "maps", res.Generation); !slices.Equal(gen, []string{"1.vpk"}) {
				t.Errorf("generation holds %v", gen)
			}
			if _, err := os.Stat(f.root.WorkshopItem("2", "200")); err == nil {
				t.Error("a revision of item 2 was published")
			}
		})
	}
}

// TestRefreshDownloadsSteamPipeUpdate: an update of an item that has no
// usable file_url is fetched through steamcmd by Refresh, too.
func TestRefreshDownloadsSteamPipeUpdate(t *testing.T) {
	f := newFixture(t)
	src, runs := f.withSteamCmd(t, true)
	f.steamItem(t, src, 5, "Pipe", 100, workshoptest.HostPreviewURL)
	f.add(t, "maps", "5")
	f.steamItem(t, src, 5, "Pipe two", 300, workshoptest.HostPreviewURL)
	res, err := f.svc.Refresh(context.Background(), &recorder{})
	if err != nil {
		t.Fatalf("Refresh: %v", err)
	}
	if len(res.Downloads) != 1 || res.Downloads[0].Err != nil || res.Downloads[0].Revision != "300" {
		t.Fatalf("downloads = %+v", res.Downloads)
	}
	if *runs != 2 || res.Published["maps"] == "" {
		t.Errorf("%d steamcmd run(s), published %v", *runs, res.Published)
	}
	it, _ := f.st.WorkshopItem(context.Background(), 5)
	if it.Revision != "300" || it.Addon.Title != "Pipe two" {
		t.Errorf("item 5 = revision %q addon %q", it.Revision, it.Addon.Title)
	}
}

func TestPickVPK(t *testing.T) {
	good := workshoptest.MakeVPK(t, "Good")
	tests := []struct {
		name    string
		files   map[string][]byte
		want    string
		wantErr string
	}{
		{"one vpk, any name", map[string][]byte{"sub/whatever.VPK": good, "readme.txt": []byte("x")}, "sub/whatever.VPK", ""},
		{"legacy bin that is a vpk", map[string][]byte{"123_legacy.bin": good}, "123_legacy.bin", ""},
		{"legacy bin that is not", map[string][]byte{"123_legacy.bin": []byte("GMAD")}, "", "not a VPK"},
		{"two vpks", map[string][]byte{"a.vpk": good, "b.vpk": good}, "", "several .vpk files (a.vpk, b.vpk)"},
		{"nothing", map[string][]byte{}, "", "no file"},
		{"no vpk", map[string][]byte{"a.txt": nil, "b.txt": nil}, "", "only a.txt, b.txt"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			for name, data := range tt.files {
				p := filepath.Join(dir, name)
				os.MkdirAll(filepath.Dir(p), 0o755)
				os.WriteFile(p, data, 0o644)
			}
			got, err := pickVPK(dir)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Errorf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || got != filepath.Join(dir, tt.want) {
				t.Errorf("pickVPK = %q, %v; want %s", got, err, tt.want)
			}
		})
	}
}

// TestDownloadJobNamesSteamPipeItem: a download job whose layer has an
// item steamcmd could not fetch fails (without pointless retries) naming
// the item and the reason; one with a working steamcmd succeeds and says
// in its log that steamcmd fetched the item.
func TestDownloadJobNamesSteamPipeItem(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		env  []string
		ok   bool
	}{
		{"steamcmd works", nil, true},
		{"steamcmd fails", []string{"FAKESTEAMCMD_WORKSHOP_FAIL=all"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			src, _ := f.withSteamCmd(t, true, tc.env...)
			f.item(t, 1, "Direct", 100)
			f.steamItem(t, src, 2, "Pipe", 200, workshoptest.HostSteamPipe)
			m := newJobManager(t, f)
			id, err := EnqueueAdd(ctx, m, "maps", []string{"1", "2"}, 0)
			if err != nil {
				t.Fatal(err)
			}
			startJobs(t, m)
			j := waitJob(t, m, id)
			if tc.ok {
				if j.State != jobs.StateSucceeded || !strings.Contains(j.Log, "Success. Downloaded item 2") {
					t.Errorf("job %s, errors %+v, log:\n%s", j.State, j.Errors, j.Log)
				}
				return
			}
			if j.State != jobs.StateFailed || j.Attempt != 1 || len(j.Errors) == 0 {
				t.Fatalf("job %s after %d attempt(s), errors %+v", j.State, j.Attempt, j.Errors)
			}
			if msg := j.Errors[len(j.Errors)-1].Error; !strings.Contains(msg, "item 2: file_url is empty") || !strings.Contains(msg, "Download item 2 failed (Failure)") {
				t.Errorf("job error %q does not name the item and the reason", msg)
			}
		})
	}
}
