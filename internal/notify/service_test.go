package notify

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/left4me/left4me/internal/instance"
	"github.com/left4me/left4me/internal/jobs"
	"github.com/left4me/left4me/internal/store"
)

type testEnv struct {
	st  *store.Store
	m   *jobs.Manager
	svc *Service
}

// newTestEnv opens a real database and job queue with fast retries; the
// webhooks may reach loopback (the test receivers).
func newTestEnv(t *testing.T, cfg Config) *testEnv {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "left4me.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	m, err := jobs.New(ctx, st.DB(), jobs.Config{Workers: 1, Queues: map[string]int{DeliveryQueue: QueueWorkers}, RetryBase: 10 * time.Millisecond, RetryMax: 50 * time.Millisecond,
		Heartbeat: 100 * time.Millisecond, OrphanAfter: 2 * time.Second, RescueGrace: 2 * time.Second,
		FlushInterval: 20 * time.Millisecond, PollInterval: 20 * time.Millisecond}, nil)
	if err != nil {
		t.Fatal(err)
	}
	cfg.AllowLoopback = true
	svc := New(cfg, st, m)
	if err := svc.RegisterJobs(m); err != nil {
		t.Fatal(err)
	}
	if err := m.Register("other", func(context.Context, *jobs.Run) error { return nil }, jobs.KindOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := m.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		m.Stop(sctx)
	})
	return &testEnv{st: st, m: m, svc: svc}
}

func (e *testEnv) add(t *testing.T, url, format string, events ...string) store.Webhook {
	t.Helper()
	w, err := e.svc.Add(context.Background(), Spec{URL: url, Format: format, Events: events})
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// waitDeliveries waits until webhook id has recorded n deliveries.
func (e *testEnv) waitDeliveries(t *testing.T, id int64, n int) []store.Delivery {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		ds, err := e.st.Deliveries(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		if len(ds) >= n {
			return ds
		}
		if time.Now().After(deadline) {
			js, _ := e.m.List(context.Background(), jobs.Filter{})
			for _, j := range js {
				t.Logf("job %d %s %s attempt %d/%d errors %+v", j.ID, j.Kind, j.State, j.Attempt, j.MaxAttempts, j.Errors)
			}
			t.Fatalf("webhook %d: %d deliveries recorded, want %d: %+v", id, len(ds), n, ds)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestSignatureVerifiedByReceiver: a receiver holding the secret shown at
// creation verifies the signature of the JSON body, which has the
// documented shape.
func TestSignatureVerifiedByReceiver(t *testing.T) {
	e := newTestEnv(t, Config{})
	var secret atomic.Value
	got := make(chan Payload, 1)
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if !Verify(secret.Load().(string), body, r.Header.Get(SignatureHeader)) {
			http.Error(w, "bad signature", http.StatusUnauthorized)
			return
		}
		var p Payload
		if err := json.Unmarshal(body, &p); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		got <- p
	}))
	defer recv.Close()
	h := e.add(t, recv.URL+"/hook", "json", EventCrashed)
	if h.Secret == "" {
		t.Fatal("no secret returned at creation")
	}
	secret.Store(h.Secret)
	e.svc.Notify(context.Background(), EventStarted, "vs1", nil) // not subscribed
	e.svc.Notify(context.Background(), EventCrashed, "vs1", map[string]any{"result": "signal"})
	ds := e.waitDeliveries(t, h.ID, 1)
	if ds[0].StatusCode != 200 || ds[0].Event != EventCrashed {
		t.Fatalf("delivery %+v, want instance.crashed answered 200", ds[0])
	}
	p := <-got
	if p.Event != EventCrashed || p.Instance != "vs1" || p.Detail["result"] != "signal" || p.Time.IsZero() {
		t.Errorf("payload %+v", p)
	}
	// A tampered body fails verification.
	if Verify(h.Secret, []byte(`{"event":"x"}`), Sign(h.Secret, []byte(`{"event":"y"}`))) {
		t.Error("Verify accepted another body's signature")
	}
}

// TestRetriesOn500: a receiver answering 500 twice gets a third attempt,
// and every attempt is recorded with its status.
func TestRetriesOn500(t *testing.T) {
	e := newTestEnv(t, Config{})
	var calls atomic.Int64
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) <= 2 {
			http.Error(w, "busy", http.StatusInternalServerError)
		}
	}))
	defer recv.Close()
	h := e.add(t, recv.URL, "slack")
	e.svc.Notify(context.Background(), EventStopped, "vs1", nil)
	ds := e.waitDeliveries(t, h.ID, 3)
	// Newest first.
	if ds[0].StatusCode != 200 || ds[1].StatusCode != 500 || ds[2].StatusCode != 500 {
		t.Fatalf("deliveries %+v; want 500, 500, then 200", ds)
	}
	if ds[0].Attempt != 3 || ds[2].Attempt != 1 || ds[2].Error == "" {
		t.Errorf("attempts %+v", ds)
	}
}

// TestHungReceiverDelaysNoOtherWebhook: a receiver that never answers holds
// its own delivery only; another webhook's delivery of the same event
// arrives while the first still hangs.
func TestHungReceiverDelaysNoOtherWebhook(t *testing.T) {
	e := newTestEnv(t, Config{Timeout: time.Minute})
	release := make(chan struct{})
	var hungEntered, hungReturned atomic.Bool
	hung := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hungEntered.Store(true)
		select {
		case <-release:
		case <-r.Context().Done():
		}
		hungReturned.Store(true)
	}))
	defer hung.Close()
	defer close(release)
	ok := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer ok.Close()
	// The hung webhook is made first, so that its job is enqueued first.
	hh := e.add(t, hung.URL, "json")
	oh := e.add(t, ok.URL, "discord")
	e.svc.Notify(context.Background(), EventFrozen, "vs1", map[string]any{"last_lines": []string{"a", "b"}})
	ds := e.waitDeliveries(t, oh.ID, 1)
	if ds[0].StatusCode != 200 {
		t.Fatalf("the healthy webhook's delivery: %+v", ds[0])
	}
	if hungReturned.Load() {
		t.Fatal("the hung receiver returned before the other delivery: the test proves nothing")
	}
	if n, _ := e.st.Deliveries(context.Background(), hh.ID); len(n) != 0 {
		t.Errorf("the hung webhook has deliveries recorded: %+v", n)
	}
	_ = hungEntered.Load()
}

// TestDeadEndpointHoldsNoOtherJob: deliveries to a receiver that never
// answers fill every delivery worker, and a job of another kind (an
// install, a build) still runs at once: deliveries have a queue of their
// own.
func TestDeadEndpointHoldsNoOtherJob(t *testing.T) {
	e := newTestEnv(t, Config{Timeout: time.Minute})
	release := make(chan struct{})
	var inside atomic.Int64
	hung := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		inside.Add(1)
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer hung.Close()
	defer close(release)
	e.add(t, hung.URL, "json")
	for range 2 * QueueWorkers {
		e.svc.Notify(context.Background(), EventCrashed, "vs1", nil)
	}
	deadline := time.Now().Add(30 * time.Second)
	for inside.Load() < QueueWorkers {
		if time.Now().After(deadline) {
			t.Fatalf("%d deliveries reached the receiver, want %d hanging", inside.Load(), QueueWorkers)
		}
		time.Sleep(20 * time.Millisecond)
	}
	id, _, err := e.m.Enqueue(context.Background(), "other", nil, jobs.EnqueueOpts{})
	if err != nil {
		t.Fatal(err)
	}
	for {
		j, err := e.m.Get(context.Background(), id)
		if err == nil && j.State == jobs.StateSucceeded {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the other job is %s while deliveries hang", j.State)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestTimeoutIsRecorded: a receiver that never answers ends as a recorded
// delivery without a status, naming the timeout, and is tried again.
func TestTimeoutIsRecorded(t *testing.T) {
	e := newTestEnv(t, Config{Timeout: 200 * time.Millisecond, MaxAttempts: 2})
	release := make(chan struct{})
	var answered atomic.Int64
	hung := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-release
		answered.Add(1)
	}))
	defer hung.Close()
	defer close(release)
	h := e.add(t, hung.URL, "json")
	e.svc.Notify(context.Background(), EventCrashed, "vs1", nil)
	ds := e.waitDeliveries(t, h.ID, 2)
	for _, d := range ds {
		if d.StatusCode != 0 || !strings.Contains(d.Error, "no answer within") {
			t.Errorf("delivery %+v; want no status and the timeout named", d)
		}
	}
	if n := answered.Load(); n != 0 {
		t.Errorf("the receiver answered %d times", n)
	}
}

// TestKeepsFiftyDeliveries: older deliveries beyond 50 are dropped.
func TestKeepsFiftyDeliveries(t *testing.T) {
	e := newTestEnv(t, Config{})
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer recv.Close()
	h := e.add(t, recv.URL, "json")
	for range 55 {
		if _, err := e.svc.Test(context.Background(), h.ID); err != nil {
			t.Fatal(err)
		}
	}
	ds, err := e.svc.Deliveries(context.Background(), h.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(ds) != store.DeliveriesKept || ds[0].StatusCode != 200 {
		t.Errorf("%d deliveries kept (newest %+v), want %d", len(ds), ds[0], store.DeliveriesKept)
	}
}

// TestBadInputCreatesNothing: an unknown event, a non-public URL and an
// unknown format are refused naming the field, and nothing is stored.
func TestBadInputCreatesNothing(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "left4me.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	svc := New(Config{}, st, nil)
	for _, tc := range []struct {
		spec  Spec
		field string
		says  string
	}{
		{Spec{URL: "https://203.0.113.9/hook", Events: []string{"instance.exploded"}}, "events", "instance.exploded"},
		{Spec{URL: "http://127.0.0.1:9000/hook"}, "url", "LEFT4ME_WEBHOOK_ALLOW_LOOPBACK"},
		{Spec{URL: "http://localhost/hook"}, "url", "not a public address"},
		{Spec{URL: "http://10.1.2.3/hook"}, "url", "not a public address"},
		{Spec{URL: "http://169.254.169.254/latest"}, "url", "not a public address"},
		{Spec{URL: "ftp://203.0.113.9/"}, "url", "http"},
		{Spec{URL: ""}, "url", "http"},
		{Spec{URL: "https://203.0.113.9/hook", Format: "teams"}, "format", "teams"},
	} {
		_, err := svc.Add(ctx, tc.spec)
		var fe *FieldError
		if !errors.As(err, &fe) || fe.Field != tc.field || !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tc.says) {
			t.Errorf("%+v: err %v; want a %s error saying %q", tc.spec, err, tc.field, tc.says)
		}
	}
	if hooks, _ := svc.List(ctx); len(hooks) != 0 {
		t.Errorf("bad input stored webhooks: %+v", hooks)
	}
	// Loopback with the setting, and a public address, are accepted.
	if _, err := New(Config{AllowLoopback: true}, st, nil).Add(ctx, Spec{URL: "http://127.0.0.1:9000/hook"}); err != nil {
		t.Errorf("loopback with the setting: %v", err)
	}
	if _, err := svc.Add(ctx, Spec{URL: "https://203.0.113.9/hook", Events: []string{EventCrashed, EventFrozen}, Format: "discord"}); err != nil {
		t.Errorf("a public address: %v", err)
	}
}

// TestNonPublicDeliveryRefused: a webhook stored while loopback was
// allowed is refused at the dialler once the setting is off.
func TestNonPublicDeliveryRefused(t *testing.T) {
	e := newTestEnv(t, Config{})
	var hits atomic.Int64
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1) }))
	defer recv.Close()
	h := e.add(t, recv.URL, "json")
	strict := New(Config{}, e.st, nil)
	d, err := strict.Test(context.Background(), h.ID)
	if err != nil {
		t.Fatal(err)
	}
	if d.StatusCode != 0 || !strings.Contains(d.Error, "not a public address") || hits.Load() != 0 {
		t.Errorf("delivery %+v, %d hits; want refused before any request", d, hits.Load())
	}
}

// TestFormats: Discord gets content and an embed, Slack a text, within
// their limits.
func TestFormats(t *testing.T) {
	p := Payload{Event: EventFrozen, Instance: "vs1", Time: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC),
		Detail: map[string]any{"last_lines": strings.Repeat("x", 5000), "probe": "rcon timeout"}}
	var d struct {
		Content string `json:"content"`
		Embeds  []struct {
			Title  string `json:"title"`
			Fields []struct{ Name, Value string }
		} `json:"embeds"`
	}
	b, err := Body(FormatDiscord, p)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatal(err)
	}
	if d.Content != "left4me: instance.frozen on vs1" || len(d.Embeds) != 1 || len(d.Embeds[0].Fields) != 2 ||
		len(d.Embeds[0].Fields[0].Value) > discordFieldMax {
		t.Errorf("discord body %s", b)
	}
	var s struct{ Text string }
	b, _ = Body(FormatSlack, p)
	if err := json.Unmarshal(b, &s); err != nil || !strings.HasPrefix(s.Text, "left4me: instance.frozen on vs1") || len(s.Text) > slackTextMax {
		t.Errorf("slack body %s", b)
	}
}

// fakeStates is a scripted supervisor state for the crash watch.
type fakeStates struct {
	mu       sync.Mutex
	state    map[string]instance.State
	restarts map[string]uint32
}

func (f *fakeStates) Status(_ context.Context, name string) (instance.Status, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return instance.Status{State: f.state[name], Result: "signal"}, nil
}

func (f *fakeStates) Restarts(_ context.Context, name string) (uint32, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.restarts[name], nil
}

type recorder struct {
	mu     sync.Mutex
	events []string
}

func (r *recorder) Notify(_ context.Context, event, inst string, _ map[string]any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, event+" "+inst)
}

// TestCrashWatch: a unit turning failed and a unit systemd restarted on its
// own are crashes; a unit that stays failed is reported once.
func TestCrashWatch(t *testing.T) {
	fs := &fakeStates{state: map[string]instance.State{"a": instance.Running, "b": instance.Running}, restarts: map[string]uint32{}}
	rec := &recorder{}
	w := &CrashWatch{Names: func(context.Context) ([]string, error) { return []string{"a", "b"}, nil }, States: fs, Notifier: rec}
	ctx := context.Background()
	fs.state["a"] = instance.Failed // failed before the first look: not news
	w.Check(ctx)
	fs.state["a"] = instance.Running
	w.Check(ctx)
	fs.state["a"] = instance.Failed
	fs.restarts["b"] = 1
	w.Names = func(context.Context) ([]string, error) { return []string{"a", "b", "c"}, nil }
	fs.restarts["c"] = 2 // made and crashed between two looks
	w.Check(ctx)
	w.Check(ctx)
	if got := strings.Join(rec.events, ","); got != "instance.crashed a,instance.crashed b,instance.crashed c" {
		t.Errorf("events %q", got)
	}
}
