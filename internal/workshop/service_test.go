package workshop

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/left4me/left4me/internal/content"
	"github.com/left4me/left4me/internal/layout"
	"github.com/left4me/left4me/internal/store"
	"github.com/left4me/left4me/internal/workshop/workshoptest"
)

type fixture struct {
	root layout.Root
	st   *store.Store
	fake *workshoptest.Server
	svc  *Service
}

// fastRetry keeps retry tests quick.
var fastRetry = Retry{Attempts: 3, Backoff: time.Millisecond, MaxBackoff: 5 * time.Millisecond}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	root, err := layout.New(filepath.Join(t.TempDir(), "state"))
	if err != nil {
		t.Fatal(err)
	}
	if err := root.Create(0o755); err != nil {
		t.Fatal(err)
	}
	// Published trees are read-only; an unprivileged run needs them made
	// writable before t.TempDir's cleanup.
	t.Cleanup(func() { content.RemoveTree(root.String()) })
	st, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "left4me.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	fake := workshoptest.New(t)
	dl := NewDownloader(DownloaderConfig{Root: root, HTTPClient: fake.Client(), Retry: fastRetry, Parallel: 2})
	svc := NewService(Config{Root: root, API: NewClient(fake.URL(), fake.Client()), Downloader: dl, Retry: fastRetry}, st)
	return &fixture{root: root, st: st, fake: fake, svc: svc}
}

// item puts a VPK item on the fake server and returns it.
func (f *fixture) item(t *testing.T, id uint64, title string, updated int64, mapNames ...string) workshoptest.Item {
	t.Helper()
	it := workshoptest.Item{ID: id, Title: title, TimeUpdated: updated, Data: workshoptest.MakeVPK(t, title, mapNames...)}
	f.fake.SetItem(it)
	return it
}

func (f *fixture) add(t *testing.T, layer string, refs ...string) AddResult {
	t.Helper()
	res, err := f.svc.Add(context.Background(), layer, refs, &recorder{})
	if err != nil {
		t.Fatalf("Add(%s, %v): %v", layer, refs, err)
	}
	return res
}

// genVPKs returns the VPK names in a layer generation's addons directory.
func (f *fixture) genVPKs(t *testing.T, layer, gen string) []string {
	t.Helper()
	entries, err := os.ReadDir(filepath.Join(f.root.Overlay(layer, gen), "left4dead2", "addons"))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

// recorder is a Progress that keeps everything.
type recorder struct {
	mu    sync.Mutex
	last  float64
	calls int
	lines []string
}

func (r *recorder) Progress(f float64, msg string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if f < 0 || f > 1 {
		panic(fmt.Sprintf("progress %v out of range", f))
	}
	r.last, r.calls = f, r.calls+1
}

func (r *recorder) Logf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.lines = append(r.lines, fmt.Sprintf(format, args...))
}

func mode(t *testing.T, path string) os.FileMode {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Mode().Perm()
}

// dotEntries lists names starting with '.' other than .lock in dir.
func dotEntries(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".") && e.Name() != ".lock" {
			out = append(out, e.Name())
		}
	}
	return out
}

func TestAddSingleItem(t *testing.T) {
	f := newFixture(t)
	it := f.item(t, 1001, "Carnival Remix", 1700000000, "crx_m1", "crx_m2")
	rec := &recorder{}
	res, err := f.svc.Add(context.Background(), "maps", []string{"https://steamcommunity.com/sharedfiles/filedetails/?id=1001&searchtext="}, rec)
	if err != nil {
		t.Fatal(err)
	}
	if !res.LayerCreated || !reflect.DeepEqual(res.Added, []uint64{1001}) || !res.Published || !strings.HasPrefix(res.Generation, "000001-") {
		t.Errorf("Add = %+v", res)
	}
	if len(res.Downloads) != 1 || res.Downloads[0].Err != nil || res.Downloads[0].Cached {
		t.Fatalf("downloads = %+v", res.Downloads)
	}
	if rec.last != 1 {
		t.Errorf("final progress = %v, want 1", rec.last)
	}

	path := ItemVPK(f.root, 1001, "1700000000")
	got, err := os.ReadFile(path)
	if err != nil || !bytes.Equal(got, it.Data) {
		t.Fatalf("downloaded file differs (err %v)", err)
	}
	// Published trees are read-only and world-readable (the game user reads them).
	gen := res.Generation
	if m := mode(t, path); m != 0o444 {
		t.Errorf("vpk mode %v, want 0444", m)
	}
	for _, d := range []string{f.root.WorkshopItem("1001", "1700000000"), filepath.Dir(path), f.root.Overlay("maps", gen), filepath.Join(f.root.Overlay("maps", gen), "left4dead2", "addons")} {
		if m := mode(t, d); m != 0o555 {
			t.Errorf("%s mode %v, want 0555", d, m)
		}
	}
	if dots := dotEntries(t, filepath.Join(f.root.Workshop(), "1001")); len(dots) != 0 {
		t.Errorf("leftovers in item dir: %v", dots)
	}

	dbItem, err := f.st.WorkshopItem(context.Background(), 1001)
	if err != nil {
		t.Fatal(err)
	}
	if dbItem.Revision != "1700000000" || dbItem.Title != "Carnival Remix" || dbItem.VPKSize != int64(len(it.Data)) ||
		dbItem.Addon.Title != "Carnival Remix" || !reflect.DeepEqual(dbItem.Addon.Maps, []string{"crx_m1", "crx_m2"}) ||
		len(dbItem.Addon.Campaigns) != 1 || !reflect.DeepEqual(dbItem.Addon.Campaigns[0].Modes["coop"], []string{"crx_m1", "crx_m2"}) {
		t.Errorf("item = %+v", dbItem)
	}

	// The layer generation holds a hard link to the item's file.
	if names := f.genVPKs(t, "maps", gen); !reflect.DeepEqual(names, []string{"1001.vpk"}) {
		t.Errorf("generation files = %v", names)
	}
	a, _ := os.Stat(path)
	b, _ := os.Stat(filepath.Join(f.root.Overlay("maps", gen), "left4dead2", "addons", "1001.vpk"))
	if !os.SameFile(a, b) {
		t.Error("generation file is not a hard link to the item's file")
	}

	// Adding the same item again downloads and publishes nothing.
	before := f.fake.Counts()
	res = f.add(t, "maps", "1001")
	if res.Published || len(res.Added) != 0 || len(res.Downloads) != 0 || res.Generation != gen {
		t.Errorf("second Add = %+v", res)
	}
	if after := f.fake.Counts(); after.FileGets != before.FileGets {
		t.Errorf("file requests %d → %d on a repeated add", before.FileGets, after.FileGets)
	}
}

func TestAddCollection(t *testing.T) {
	f := newFixture(t)
	f.item(t, 11, "One", 100, "one_m1")
	f.item(t, 12, "Two", 200, "two_m1")
	f.item(t, 13, "Three", 300, "three_m1")
	f.fake.SetItem(workshoptest.Item{ID: 14, Result: 9}) // removed member
	f.fake.SetCollection(600, "Nested", 13, 11)
	f.fake.SetCollection(500, "Pack", 12, 600, 14, 11)

	res := f.add(t, "pack", "https://steamcommunity.com/workshop/filedetails/?id=500")
	if !reflect.DeepEqual(res.Resolved.Collections, []uint64{500, 600}) || !reflect.DeepEqual(res.Resolved.Skipped, []uint64{14}) {
		t.Errorf("resolved = %+v", res.Resolved)
	}
	l, err := f.st.WorkshopLayer(context.Background(), "pack")
	if err != nil {
		t.Fatal(err)
	}
	if want := []uint64{12, 11, 13}; !reflect.DeepEqual(l.Items, want) {
		t.Errorf("layer items = %v, want %v", l.Items, want)
	}
	if names := f.genVPKs(t, "pack", res.Generation); !reflect.DeepEqual(names, []string{"11.vpk", "12.vpk", "13.vpk"}) {
		t.Errorf("generation files = %v", names)
	}
	if _, err := f.st.WorkshopItem(context.Background(), 500); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("the collection itself was recorded as an item: %v", err)
	}
}

func TestParallelDownloadsBounded(t *testing.T) {
	f := newFixture(t) // Parallel: 2
	f.fake.SetFileDelay(20 * time.Millisecond)
	var refs []string
	for id := uint64(21); id <= 26; id++ {
		f.item(t, id, "Item "+strconv.FormatUint(id, 10), 5)
		refs = append(refs, strconv.FormatUint(id, 10))
	}
	f.add(t, "many", refs...)
	c := f.fake.Counts()
	if c.FileGets != 6 {
		t.Errorf("file requests = %d, want 6", c.FileGets)
	}
	if c.MaxInFlight > 2 {
		t.Errorf("%d downloads at once, bound is 2", c.MaxInFlight)
	}
}

func TestRefreshUpdateDetection(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	f.item(t, 1, "First", 1000, "first_m1")
	f.item(t, 2, "Second", 2000, "second_m1")
	alpha1 := f.add(t, "alpha", "1").Generation
	beta1 := f.add(t, "beta", "2").Generation
	oldGen := filepath.Join(f.root.Overlay("alpha", alpha1), "left4dead2", "addons", "1.vpk")
	oldBytes, _ := os.ReadFile(oldGen)

	// Nothing changed: one details call, no file requests, no generation.
	before := f.fake.Counts()
	res, err := f.svc.Refresh(ctx, &recorder{})
	if err != nil {
		t.Fatal(err)
	}
	after := f.fake.Counts()
	if len(res.Downloads) != 0 || len(res.Published) != 0 || res.Checked != 2 {
		t.Errorf("idle refresh = %+v", res)
	}
	if after.FileGets != before.FileGets || after.Details != before.Details+1 {
		t.Errorf("idle refresh requests: files %d→%d, details %d→%d", before.FileGets, after.FileGets, before.Details, after.Details)
	}

	// Item 1 is updated: only it is downloaded, only alpha republished.
	newItem := f.item(t, 1, "First", 1500, "first_m1", "first_m2")
	res, err = f.svc.Refresh(ctx, &recorder{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Downloads) != 1 || res.Downloads[0].ID != 1 || res.Downloads[0].Err != nil {
		t.Fatalf("downloads = %+v", res.Downloads)
	}
	alpha2 := res.Published["alpha"]
	if len(res.Published) != 1 || !strings.HasPrefix(alpha2, "000002-") {
		t.Errorf("published = %v", res.Published)
	}
	c := f.fake.Counts()
	if c.Files[1] != 2 || c.Files[2] != 1 {
		t.Errorf("file requests per item = %v", c.Files)
	}
	got, _ := os.ReadFile(ItemVPK(f.root, 1, "1500"))
	if !bytes.Equal(got, newItem.Data) {
		t.Error("new revision content differs")
	}
	if _, err := os.Stat(ItemVPK(f.root, 1, "1000")); err != nil {
		t.Errorf("old revision gone: %v", err)
	}
	// The old generation is untouched (rule 12); the new one has the new file.
	if b, _ := os.ReadFile(oldGen); !bytes.Equal(b, oldBytes) {
		t.Error("the first generation changed")
	}
	nb, _ := os.ReadFile(filepath.Join(f.root.Overlay("alpha", alpha2), "left4dead2", "addons", "1.vpk"))
	if !bytes.Equal(nb, newItem.Data) {
		t.Error("the second generation does not hold the new revision")
	}
	if newest, _ := layout.Newest(f.root.Overlay("beta", "")); newest != beta1 {
		t.Errorf("beta's newest generation is %q, want %q: it changed although its item did not", newest, beta1)
	}
	l, _ := f.st.WorkshopLayer(ctx, "alpha")
	if l.Generation != alpha2 || !reflect.DeepEqual(l.Content, []store.WorkshopLayerEntry{{ID: 1, Revision: "1500"}}) {
		t.Errorf("alpha = %+v", l)
	}
	it, _ := f.st.WorkshopItem(ctx, 1)
	if !reflect.DeepEqual(it.Addon.Maps, []string{"first_m1", "first_m2"}) {
		t.Errorf("addon maps not updated: %v", it.Addon.Maps)
	}

	// And quiet again.
	before = f.fake.Counts()
	res, err = f.svc.Refresh(ctx, nil)
	if err != nil || len(res.Downloads) != 0 || len(res.Published) != 0 || f.fake.Counts().FileGets != before.FileGets {
		t.Errorf("refresh after update = %+v, %v", res, err)
	}
}

func TestRefreshFlagsBannedAndRemoved(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	one := f.item(t, 1, "Banned soon", 10)
	f.item(t, 2, "Removed soon", 20)
	f.add(t, "maps", "1", "2")

	one.Banned, one.BanReason = true, "copyright"
	f.fake.SetItem(one)
	f.fake.SetItem(workshoptest.Item{ID: 2, Result: 9})
	rec := &recorder{}
	res, err := f.svc.Refresh(ctx, rec)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(res.Banned, []uint64{1}) || !reflect.DeepEqual(res.Removed, []uint64{2}) || len(res.Published) != 0 {
		t.Errorf("refresh = %+v", res)
	}
	i1, _ := f.st.WorkshopItem(ctx, 1)
	i2, _ := f.st.WorkshopItem(ctx, 2)
	if !i1.Banned || i1.BanReason != "copyright" || i1.Removed {
		t.Errorf("item 1 = %+v", i1)
	}
	if !i2.Removed || i2.Result != 9 || i2.Title != "Removed soon" || i2.Revision != "20" {
		t.Errorf("item 2 = %+v", i2)
	}
	// What was downloaded stays in the layer; the operator decides.
	l, _ := f.st.WorkshopLayer(ctx, "maps")
	if names := f.genVPKs(t, "maps", l.Generation); len(names) != 2 {
		t.Errorf("generation files = %v", names)
	}
	if !strings.Contains(strings.Join(rec.lines, "\n"), "banned") {
		t.Errorf("log does not mention the ban: %q", rec.lines)
	}
}

func TestTruncatedDownloadResumes(t *testing.T) {
	f := newFixture(t)
	it := f.item(t, 7, "Big", 70, "big_m1", "big_m2", "big_m3")
	f.fake.TruncateNext(1)
	res := f.add(t, "maps", "7")
	if res.Downloads[0].Err != nil {
		t.Fatal(res.Downloads[0].Err)
	}
	c := f.fake.Counts()
	if c.Files[7] != 2 || c.RangeGets != 1 {
		t.Errorf("requests: %d for the file, %d with Range; want 2 and 1", c.Files[7], c.RangeGets)
	}
	got, _ := os.ReadFile(ItemVPK(f.root, 7, "70"))
	if !bytes.Equal(got, it.Data) {
		t.Error("resumed file differs")
	}
}

func TestServerWithoutRangeSupport(t *testing.T) {
	f := newFixture(t)
	it := f.item(t, 8, "NoRange", 80, "nr_m1")
	f.fake.NoRange(true)
	f.fake.TruncateNext(1)
	res := f.add(t, "maps", "8")
	if res.Downloads[0].Err != nil {
		t.Fatal(res.Downloads[0].Err)
	}
	if c := f.fake.Counts(); c.Files[8] != 2 || c.RangeGets != 1 {
		t.Errorf("requests: %d for the file, %d with Range; want 2 and 1", c.Files[8], c.RangeGets)
	}
	got, _ := os.ReadFile(ItemVPK(f.root, 8, "80"))
	if !bytes.Equal(got, it.Data) {
		t.Error("restarted file differs")
	}
}

func TestSizeMismatch(t *testing.T) {
	for _, tc := range []struct {
		name      string
		delta     int64
		transient bool
	}{
		{"server sends more than file_size", -10, false},
		{"server sends less than file_size", +10, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			it := f.item(t, 9, "Sized", 90)
			it.SizeOverride = int64(len(it.Data)) + tc.delta
			f.fake.SetItem(it)
			res := f.add(t, "maps", "9")
			err := res.Downloads[0].Err
			if err == nil {
				t.Fatal("size mismatch accepted")
			}
			if IsTransient(err) != tc.transient || (!tc.transient && !errors.Is(err, ErrCorrupt)) {
				t.Errorf("err = %v (transient %v)", err, IsTransient(err))
			}
			if _, err := os.Stat(f.root.WorkshopItem("9", "90")); !os.IsNotExist(err) {
				t.Error("revision published despite size mismatch")
			}
			if names := f.genVPKs(t, "maps", res.Generation); len(names) != 0 {
				t.Errorf("layer holds %v", names)
			}
			dbItem, _ := f.st.WorkshopItem(context.Background(), 9)
			if dbItem.Error == "" || dbItem.Revision != "" {
				t.Errorf("item = %+v", dbItem)
			}
		})
	}
}

func TestCorruptVPKNotPublished(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	f.item(t, 30, "Good", 300, "good_m1")
	bad := f.item(t, 31, "Bad", 310, "bad_m1")
	bad.Data = workshoptest.Corrupt(bad.Data)
	f.fake.SetItem(bad)
	res := f.add(t, "maps", "30", "31")
	var badRes Result
	for _, r := range res.Downloads {
		if r.ID == 31 {
			badRes = r
		}
	}
	if !errors.Is(badRes.Err, ErrCorrupt) || IsTransient(badRes.Err) {
		t.Fatalf("corrupt item result: %+v", badRes)
	}
	if names := f.genVPKs(t, "maps", res.Generation); !reflect.DeepEqual(names, []string{"30.vpk"}) {
		t.Errorf("generation files = %v", names)
	}
	if _, err := os.Stat(f.root.WorkshopItem("31", "310")); !os.IsNotExist(err) {
		t.Error("corrupt revision published")
	}
	if dots := dotEntries(t, filepath.Join(f.root.Workshop(), "31")); len(dots) != 0 {
		t.Errorf("corrupt download left %v", dots)
	}
	it, _ := f.st.WorkshopItem(ctx, 31)
	if !strings.Contains(it.Error, "corrupt") || it.Revision != "" {
		t.Errorf("item 31 = %+v", it)
	}

	// The author fixes it: the next refresh downloads and publishes it.
	fixed := f.item(t, 31, "Bad", 320, "bad_m1")
	rr, err := f.svc.Refresh(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if rr.Published["maps"] == "" {
		t.Errorf("refresh = %+v", rr)
	}
	got, _ := os.ReadFile(ItemVPK(f.root, 31, "320"))
	if !bytes.Equal(got, fixed.Data) {
		t.Error("fixed revision differs")
	}
	it, _ = f.st.WorkshopItem(ctx, 31)
	if it.Error != "" || it.Revision != "320" {
		t.Errorf("item 31 after fix = %+v", it)
	}
}

func TestAddRefusals(t *testing.T) {
	f := newFixture(t)
	f.item(t, 40, "Fine", 400)
	f.fake.SetItem(workshoptest.Item{ID: 41, AppID: 730, Title: "Other game", TimeUpdated: 1, Data: []byte("x")})
	f.fake.SetItem(workshoptest.Item{ID: 42, Result: 9})
	f.fake.SetCollection(43, "Mixed", 40, 41)
	f.fake.SetCollection(44, "Empty")
	if err := os.MkdirAll(f.root.Overlay("scripted", "20260101T000000Z"), 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := f.st.CreateLayer(context.Background(), store.Layer{ID: "tickrate", Kind: store.LayerScript, Name: "tickrate"}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		layer string
		refs  []string
		want  error
	}{
		{"other app", "maps", []string{"40", "41"}, ErrWrongApp},
		{"other app in a collection", "maps", []string{"43"}, ErrWrongApp},
		{"removed item", "maps", []string{"42"}, ErrUnavailable},
		{"empty collection", "maps", []string{"44"}, ErrUnavailable},
		{"unknown item", "maps", []string{"99"}, ErrUnavailable},
		{"bad ref", "maps", []string{"40", "https://example.com/?id=40"}, ErrBadRef},
		{"bad layer id", "Maps!", []string{"40"}, ErrBadLayerID},
		{"layer on disk only", "scripted", []string{"40"}, ErrLayerTaken},
		{"script layer", "tickrate", []string{"40"}, ErrLayerTaken},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := f.svc.Add(context.Background(), tc.layer, tc.refs, nil)
			if !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
		})
	}
	// Nothing was recorded or downloaded.
	if ls, _ := f.st.WorkshopLayers(context.Background()); len(ls) != 0 {
		t.Errorf("layers = %+v", ls)
	}
	if items, _ := f.st.WorkshopItems(context.Background()); len(items) != 0 {
		t.Errorf("items = %+v", items)
	}
	if entries, _ := os.ReadDir(f.root.Workshop()); len(entries) != 0 {
		t.Errorf("workshop dir has %d entries", len(entries))
	}
	if f.fake.Counts().FileGets != 0 {
		t.Error("files downloaded for refused adds")
	}
}

func TestTransientErrorsRetried(t *testing.T) {
	f := newFixture(t)
	it := f.item(t, 50, "Flaky", 500)
	f.fake.FailNext(2) // collection call and the first retry answer 503
	res := f.add(t, "maps", "50")
	if res.Downloads[0].Err != nil {
		t.Fatal(res.Downloads[0].Err)
	}
	got, _ := os.ReadFile(ItemVPK(f.root, 50, "500"))
	if !bytes.Equal(got, it.Data) {
		t.Error("file differs")
	}

	// A file server failing more often than the retries allow: the refresh
	// reports a transient error so a job can run it again; the next run works.
	f.item(t, 50, "Flaky", 600)
	f.fake.FailNext(1 + fastRetry.Attempts) // details once, then every file attempt
	rr, err := f.svc.Refresh(context.Background(), nil)
	if !IsTransient(err) {
		t.Fatalf("refresh err = %v, want transient", err)
	}
	if len(rr.Published) != 0 {
		t.Errorf("published %v", rr.Published)
	}
	if _, err := f.svc.Refresh(context.Background(), nil); err != nil {
		t.Fatalf("second refresh: %v", err)
	}
	if _, err := os.Stat(ItemVPK(f.root, 50, "600")); err != nil {
		t.Error(err)
	}
}

func TestCancelledAdd(t *testing.T) {
	f := newFixture(t)
	f.item(t, 60, "Slow", 600)
	f.fake.SetFileDelay(time.Minute)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := f.svc.Add(ctx, "maps", []string{"60"}, nil)
		done <- err
	}()
	for f.fake.Counts().FileGets == 0 {
		time.Sleep(time.Millisecond)
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if _, err := os.Stat(f.root.WorkshopItem("60", "600")); !os.IsNotExist(err) {
		t.Error("revision published after cancel")
	}
}

func TestPublishSkipsStaleTemps(t *testing.T) {
	f := newFixture(t)
	f.item(t, 70, "Seventy", 700)
	f.add(t, "maps", "70")
	// A crash left an unfinished generation; the next publish removes it
	// and still names the generation after the newest complete one.
	stale := filepath.Join(f.root.Overlay("maps", ""), ".tmp-123")
	if err := os.MkdirAll(stale, 0o755); err != nil {
		t.Fatal(err)
	}
	f.item(t, 70, "Seventy", 701)
	res, err := f.svc.Refresh(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(res.Published["maps"], "000002-") {
		t.Errorf("published = %v", res.Published)
	}
	if _, err := os.Stat(stale); !os.IsNotExist(err) {
		t.Error("stale temp generation left")
	}
}

// TestPublishRefusesLinks: a Workshop layer holds the items' VPKs as hard
// links (regular files); a symbolic link where an item's download should
// be (planted in workshop/<id>/<revision>/) is refused when the layer is
// published, by the rule of every content layer (content.CheckLayerTree),
// and no generation is published.
func TestPublishRefusesLinks(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	f.item(t, 1, "One", 100, "one_m1")
	f.item(t, 2, "Two", 100, "two_m1")
	res := f.add(t, "maps", "1")
	vpk := ItemVPK(f.root, 1, "100")
	if err := os.Chmod(filepath.Dir(vpk), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(vpk); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/etc/passwd", vpk); err != nil {
		t.Fatal(err)
	}
	_, err := f.svc.Add(ctx, "maps", []string{"2"}, &recorder{})
	var te *content.TreeError
	if !errors.As(err, &te) || te.Path != "left4dead2/addons/1.vpk" || te.Target != "/etc/passwd" {
		t.Fatalf("Add after a planted link = %v", err)
	}
	if gens, _ := layout.Generations(f.root.Overlay("maps", "")); len(gens) != 1 || gens[0] != res.Generation {
		t.Errorf("generations %q, want only %s", gens, res.Generation)
	}
	if tmps := dotEntries(t, f.root.Overlay("maps", "")); len(tmps) != 0 {
		t.Errorf("left behind: %q", tmps)
	}
}
