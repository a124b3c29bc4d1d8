package workshop

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/left4me/left4me/internal/jobs"
)

// newJobManager returns a job manager over the fixture's database with the
// workshop kinds registered; it is not started.
func newJobManager(t *testing.T, f *fixture) *jobs.Manager {
	t.Helper()
	m, err := jobs.New(context.Background(), f.st.DB(), jobs.Config{
		Workers: 2, MaxAttempts: 3,
		RetryBase: 10 * time.Millisecond, RetryMax: 50 * time.Millisecond,
		Heartbeat: 100 * time.Millisecond, OrphanAfter: time.Second, RescueGrace: 2 * time.Second,
		FlushInterval: 20 * time.Millisecond, PollInterval: 50 * time.Millisecond,
	}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	if err := RegisterJobs(m, f.svc); err != nil {
		t.Fatal(err)
	}
	return m
}

func startJobs(t *testing.T, m *jobs.Manager) {
	t.Helper()
	if err := m.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		m.Stop(ctx)
	})
}

// waitJob polls until job id is finished (a guard against hanging, not a
// timing assertion).
func waitJob(t *testing.T, m *jobs.Manager, id int64) jobs.Job {
	t.Helper()
	deadline := time.Now().Add(45 * time.Second)
	for time.Now().Before(deadline) {
		j, err := m.Get(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		if j.State.Finished() {
			return j
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("job %d did not finish", id)
	return jobs.Job{}
}

func TestJobs(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	f.item(t, 1, "One", 100, "one_m1")
	other := f.item(t, 2, "Other game", 100)
	other.AppID = 730
	f.fake.SetItem(other)
	m := newJobManager(t, f)

	// Bad input is refused before anything is queued.
	if _, err := EnqueueAdd(ctx, m, "Bad!", []string{"1"}, 0); err == nil {
		t.Error("bad layer id queued")
	}
	if _, err := EnqueueAdd(ctx, m, "maps", []string{"nope"}, 0); err == nil {
		t.Error("bad ref queued")
	}

	// Two refreshes asked for before the workers run: the second is a no-op.
	r1, dup1, err := EnqueueRefresh(ctx, m, 0)
	if err != nil || dup1 {
		t.Fatalf("first refresh: %d %v %v", r1, dup1, err)
	}
	r2, dup2, err := EnqueueRefresh(ctx, m, 0)
	if err != nil || !dup2 || r2 != r1 {
		t.Errorf("second refresh: id %d (first %d), duplicate %v, %v", r2, r1, dup2, err)
	}

	add, err := EnqueueAdd(ctx, m, "maps", []string{"https://steamcommunity.com/sharedfiles/filedetails/?id=1"}, 0)
	if err != nil {
		t.Fatal(err)
	}
	wrong, err := EnqueueAdd(ctx, m, "other", []string{"2"}, 0)
	if err != nil {
		t.Fatal(err)
	}
	startJobs(t, m)

	j := waitJob(t, m, add)
	// The refresh queued before it may have fetched item 1 first ("already
	// downloaded" then): the two jobs run on different workers.
	if j.State != jobs.StateSucceeded || j.Progress != 1 || !strings.Contains(j.Log, "item 1 revision 100") || !strings.Contains(j.Log, "downloaded") {
		t.Errorf("add job: %s progress %v log:\n%s", j.State, j.Progress, j.Log)
	}
	if _, err := os.Stat(ItemVPK(f.root, 1, "100")); err != nil {
		t.Error(err)
	}
	j = waitJob(t, m, wrong)
	if j.State != jobs.StateFailed || j.Attempt != 1 || len(j.Errors) == 0 || !strings.Contains(j.Errors[0].Error, "not a Left 4 Dead 2") {
		t.Errorf("wrong-app job: %s after %d attempt(s), errors %+v", j.State, j.Attempt, j.Errors)
	}
	if j := waitJob(t, m, r1); j.State != jobs.StateSucceeded {
		t.Errorf("refresh job: %s %+v", j.State, j.Errors)
	}

	// A refresh whose downloads fail for longer than the downloader's own
	// retries is retried by the job system and then succeeds.
	f.item(t, 1, "One", 200, "one_m1")
	f.fake.FailNext(1 + fastRetry.Attempts) // details once, then every file attempt
	r3, _, err := EnqueueRefresh(ctx, m, 0)
	if err != nil {
		t.Fatal(err)
	}
	j = waitJob(t, m, r3)
	if j.State != jobs.StateSucceeded || j.Attempt < 2 {
		t.Errorf("retried refresh: %s after %d attempt(s), errors %+v", j.State, j.Attempt, j.Errors)
	}
	if _, err := os.Stat(ItemVPK(f.root, 1, "200")); err != nil {
		t.Error(err)
	}
}

// TestBadFileURLRefusesOnlyThatItem: Steam's details of one item carry a
// file:// or gopher:// file_url. Only that item is refused: the add job
// publishes the layer with the good item, flags the bad ones with the
// reason (what the API, the CLI and the panel list) and fails for good
// after one attempt instead of retrying; a refresh that finds a bad
// file_url on a known item keeps its revision, flags it and succeeds at
// once; once Steam's details are usable again the flag goes.
func TestBadFileURLRefusesOnlyThatItem(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	f.item(t, 1, "Good", 100, "good_m1")
	for id, u := range map[uint64]string{2: "file:///etc/passwd", 3: "gopher://example.com/1/x.vpk"} {
		it := f.item(t, id, fmt.Sprintf("Bad %d", id), 100)
		it.FileURL = u
		f.fake.SetItem(it)
	}
	f.item(t, 4, "Later bad", 100, "later_m1")
	m := newJobManager(t, f)
	startJobs(t, m)

	add, err := EnqueueAdd(ctx, m, "maps", []string{"1", "2", "3", "4"}, 0)
	if err != nil {
		t.Fatal(err)
	}
	j := waitJob(t, m, add)
	if j.State != jobs.StateFailed || j.Attempt != 1 || len(j.Errors) != 1 || !strings.Contains(j.Errors[0].Error, "2 item(s) could not be used") {
		t.Fatalf("add job: %s after %d attempt(s), errors %+v\n%s", j.State, j.Attempt, j.Errors, j.Log)
	}
	v, err := f.svc.Layer(ctx, "maps")
	if err != nil {
		t.Fatal(err)
	}
	if v.Generation == "" || !reflect.DeepEqual(v.Items, []uint64{1, 2, 3, 4}) {
		t.Fatalf("layer: generation %q, items %v", v.Generation, v.Items)
	}
	if got := f.genVPKs(t, "maps", v.Generation); !reflect.DeepEqual(got, []string{"1.vpk", "4.vpk"}) {
		t.Errorf("published %q, want the good items only", got)
	}
	for _, it := range v.ItemRecords {
		switch it.ID {
		case 1, 4:
			if it.Error != "" || it.Revision != "100" {
				t.Errorf("good item %d: revision %q, error %q", it.ID, it.Revision, it.Error)
			}
		case 2, 3:
			want := map[uint64]string{2: `file_url "file:///etc/passwd" is not an http(s) URL`, 3: `file_url "gopher://example.com/1/x.vpk" is not an http(s) URL`}[it.ID]
			if !strings.Contains(it.Error, want) || !strings.HasPrefix(it.Error, ErrRefusedItem.Error()) || it.Revision != "" || it.FileURL != "" {
				t.Errorf("bad item %d: %+v", it.ID, it)
			}
		}
	}
	if n := f.fake.Counts().Files[2] + f.fake.Counts().Files[3]; n != 0 {
		t.Errorf("the refused items' files were asked for %d time(s)", n)
	}

	// In the foreground (the CLI's Add) the refused item is reported
	// among the downloads, failed with the reason.
	res, err := f.svc.Add(ctx, "other", []string{"1", "2"}, &recorder{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Downloads) != 1 || res.Downloads[0].ID != 2 || !errors.Is(res.Downloads[0].Err, ErrRefusedItem) || !reflect.DeepEqual(res.Added, []uint64{1, 2}) {
		t.Errorf("Add with a refused item: added %v, downloads %+v", res.Added, res.Downloads)
	}

	// Item 4 turns bad and item 1 is updated: the refresh updates 1, keeps
	// 4's revision with the reason, and succeeds in one attempt.
	bad := f.fake.Item(4)
	bad.FileURL = "file:///etc/shadow"
	bad.TimeUpdated = 200
	f.fake.SetItem(bad)
	f.item(t, 1, "Good", 200, "good_m1")
	r, _, err := EnqueueRefresh(ctx, m, 0)
	if err != nil {
		t.Fatal(err)
	}
	if j := waitJob(t, m, r); j.State != jobs.StateSucceeded || j.Attempt != 1 {
		t.Fatalf("refresh: %s after %d attempt(s), errors %+v\n%s", j.State, j.Attempt, j.Errors, j.Log)
	}
	it4, _ := f.st.WorkshopItem(ctx, 4)
	if it4.Revision != "100" || it4.TimeUpdated != 100 || !strings.Contains(it4.Error, "file:///etc/shadow") {
		t.Errorf("item 4 after a refused refresh: %+v", it4)
	}
	it1, _ := f.st.WorkshopItem(ctx, 1)
	if it1.Revision != "200" {
		t.Errorf("item 1 not updated: %+v", it1)
	}
	v, _ = f.svc.Layer(ctx, "maps")
	if got := f.genVPKs(t, "maps", v.Generation); !reflect.DeepEqual(got, []string{"1.vpk", "4.vpk"}) {
		t.Errorf("after the refresh: published %q", got)
	}

	// Steam's details are usable again (same revision on disk): the flag goes.
	bad.FileURL = ""
	bad.TimeUpdated = 100
	f.fake.SetItem(bad)
	if _, err := f.svc.Refresh(ctx, &recorder{}); err != nil {
		t.Fatal(err)
	}
	if it4, _ := f.st.WorkshopItem(ctx, 4); it4.Error != "" || it4.Revision != "100" {
		t.Errorf("item 4 once usable again: %+v", it4)
	}
}

// TestMalformedReplyNotRetried: a details reply that is not of the
// documented shape fails a refresh for good at once (the daily refresh asks
// again) rather than retrying it.
func TestMalformedReplyNotRetried(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	f.item(t, 1, "One", 100)
	f.add(t, "maps", "1")
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(`{"response":{"publishedfiledetails":[{"publishedfileid":"x1","result":1}]}}`))
	}))
	t.Cleanup(api.Close)
	f.svc = NewService(Config{Root: f.root, API: NewClient(api.URL, api.Client()), Retry: fastRetry}, f.st)
	m := newJobManager(t, f)
	startJobs(t, m)
	r, _, err := EnqueueRefresh(ctx, m, 0)
	if err != nil {
		t.Fatal(err)
	}
	if j := waitJob(t, m, r); j.State != jobs.StateFailed || j.Attempt != 1 || len(j.Errors) == 0 || !strings.Contains(j.Errors[0].Error, "malformed") {
		t.Errorf("refresh on a malformed reply: %s after %d attempt(s), errors %+v", j.State, j.Attempt, j.Errors)
	}
}
