package history

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/left4me/left4me/internal/instance"
	"github.com/left4me/left4me/internal/live"
	"github.com/left4me/left4me/internal/store"
)

// openStore opens a real database in a temporary directory with an owner
// and the named instances.
func openStore(t testing.TB, names ...string) (*store.Store, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "left4me.db")
	st, err := store.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	addInstances(t, st, names...)
	return st, path
}

func addInstances(t testing.TB, st *store.Store, names ...string) {
	t.Helper()
	ctx := context.Background()
	u, err := st.UserByName(ctx, "op")
	if err != nil {
		if u, err = st.CreateUser(ctx, "op", "h", true); err != nil {
			t.Fatal(err)
		}
	}
	for i, n := range names {
		if _, err := st.CreateInstance(ctx, store.Instance{Name: n, OwnerID: u.ID, Port: 27015 + i, RCONPassword: "pw"}, nil); err != nil {
			t.Fatal(err)
		}
	}
}

type fakeInstances []string

func (f fakeInstances) List(ctx context.Context) ([]instance.Instance, error) {
	var out []instance.Instance
	for _, n := range f {
		out = append(out, instance.Instance{Name: n})
	}
	return out, nil
}

type fakeStates map[string]instance.State

func (f fakeStates) Status(ctx context.Context, name string) (instance.Status, error) {
	st, ok := f[name]
	if !ok {
		return instance.Status{}, errors.New("no such unit")
	}
	return instance.Status{State: st}, nil
}

type fakeUsage map[string]instance.Usage

func (f fakeUsage) Usage(ctx context.Context, name string) (instance.Usage, error) {
	if u, ok := f[name]; ok {
		return u, nil
	}
	return instance.UnknownUsage, nil
}

type fakeLive map[string]live.Snapshot

func (f fakeLive) Snapshot(name string) (live.Snapshot, bool) {
	s, ok := f[name]
	return s, ok
}

func writeProc(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "loadavg"), []byte("1.25 0.50 0.10 2/300 4242\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	meminfo := "MemTotal:        8000000 kB\nMemFree:          100000 kB\nMemAvailable:    6000000 kB\n"
	if err := os.WriteFile(filepath.Join(dir, "meminfo"), []byte(meminfo), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestSampler: two rounds record each instance's state, players, map, CPU
// (as a rate between the rounds) and memory, and the host's totals, load
// and memory; a stopped instance has no players or usage.
func TestSampler(t *testing.T) {
	st, _ := openStore(t, "alpha", "beta")
	ctx := context.Background()
	t0 := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	now := t0
	usage := fakeUsage{"alpha": {CPU: 10 * time.Second, Memory: 200 << 20}}
	s := NewSampler(Config{
		Store: st, Instances: fakeInstances{"alpha", "beta"},
		States: fakeStates{"alpha": instance.Running, "beta": instance.Stopped},
		Usage:  usage,
		Live: fakeLive{
			"alpha": {Online: true, Humans: 3, Bots: 4, Map: "c2m1_highway"},
			"beta":  {Online: true, Humans: 9, Map: "stale"}, // a stopped server's snapshot is not counted
		},
		ProcRoot: writeProc(t), Now: func() time.Time { return now },
	})
	if err := s.Sample(ctx); err != nil {
		t.Fatal(err)
	}
	now = t0.Add(30 * time.Second)
	usage["alpha"] = instance.Usage{CPU: 25 * time.Second, Memory: 300 << 20} // 15 s of CPU in 30 s: 50%
	if err := s.Sample(ctx); err != nil {
		t.Fatal(err)
	}
	a, err := st.InstanceSamples(ctx, "alpha", t0, t0.Add(time.Hour))
	if err != nil || len(a) != 2 {
		t.Fatalf("alpha's samples = %+v, %v; want 2", a, err)
	}
	if a[0].CPUMilli != -1 || a[1].CPUMilli != 500 || a[1].MemBytes != 300<<20 || a[1].Humans != 3 || a[1].Bots != 4 ||
		a[1].Map != "c2m1_highway" || a[1].State != "running" {
		t.Errorf("alpha's samples = %+v; want unknown CPU first, then 500 thousandths, 300 MiB, 3+4 players on c2m1_highway", a)
	}
	b, err := st.InstanceSamples(ctx, "beta", t0, t0.Add(time.Hour))
	if err != nil || len(b) != 2 || b[1].State != "stopped" || b[1].Humans != 0 || b[1].CPUMilli != -1 || b[1].MemBytes != -1 {
		t.Errorf("beta's samples = %+v, %v; want stopped, nobody, usage unknown", b, err)
	}
	h, err := st.HostSamples(ctx, t0, t0.Add(time.Hour))
	if err != nil || len(h) != 2 {
		t.Fatalf("host samples = %+v, %v", h, err)
	}
	want := store.HostSample{At: now, Span: Interval, Humans: 3, Bots: 4, Running: 1, CPUMilli: 500, MemBytes: 300 << 20,
		LoadCenti: 125, HostUsed: 2000000 * 1024, HostTotal: 8000000 * 1024}
	if h[1] != want {
		t.Errorf("host sample = %+v\nwant %+v", h[1], want)
	}

	r, err := SinceRange(now.Add(time.Second), time.Hour, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	ser, err := InstanceHistory(ctx, st, "alpha", r)
	if err != nil || len(ser.Points) != 1 {
		t.Fatalf("alpha's history = %+v, %v; want one point a minute long", ser, err)
	}
	if p := ser.Points[0]; p.CPUPercent != 50 || p.Memory != 250<<20 || p.Humans != 3 {
		t.Errorf("alpha's point = %+v; want 50%% CPU (the known one), 250 MiB mean, 3 humans", p)
	}
	hs, err := HostHistory(ctx, st, r)
	if err != nil || len(hs.Points) != 1 || hs.Points[0].Load1 != 1.25 || hs.Points[0].Running != 1 {
		t.Errorf("host history = %+v, %v", hs, err)
	}
}

// TestMaintain: samples older than 48 hours become one row per five
// minutes (peak players, mean memory, last map); those older than 30 days
// go; the last 48 hours stay as taken.
func TestMaintain(t *testing.T) {
	st, _ := openStore(t, "alpha")
	ctx := context.Background()
	now := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	add := func(at time.Time, humans int, mem int64, m string) {
		t.Helper()
		if err := st.AddSamples(ctx, store.HostSample{At: at, Span: Interval, Humans: humans, CPUMilli: -1, MemBytes: mem, LoadCenti: 100, HostUsed: -1, HostTotal: -1},
			[]store.InstanceSample{{Instance: "alpha", At: at, Span: Interval, State: "running", Map: m, Humans: humans, CPUMilli: -1, MemBytes: mem}}); err != nil {
			t.Fatal(err)
		}
	}
	old := now.Add(-72 * time.Hour).Truncate(Bucket)
	for i := range 10 { // five minutes' worth, then five more
		add(old.Add(time.Duration(i)*Interval), i, int64(100+i), "c1m"+string(rune('0'+i)))
	}
	add(now.Add(-31*24*time.Hour), 1, 1, "gone")
	recent := now.Add(-time.Hour)
	add(recent, 2, 2, "recent")
	add(recent.Add(Interval), 2, 2, "recent")

	s := NewSampler(Config{Store: st, Instances: fakeInstances{}, States: fakeStates{}})
	if err := s.Maintain(ctx, now); err != nil {
		t.Fatal(err)
	}
	rows, err := st.InstanceSamples(ctx, "alpha", time.Unix(0, 0), now)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 3 {
		t.Fatalf("after upkeep: %d rows %+v; want one merged and two recent", len(rows), rows)
	}
	m := rows[0]
	if !m.At.Equal(old) || m.Span != Bucket || m.Humans != 9 || m.MemBytes != 104 || m.Map != "c1m9" {
		t.Errorf("merged row = %+v; want at %s, 5m, peak 9 humans, mean memory 104, last map c1m9", m, old)
	}
	if rows[1].Span != Interval || rows[2].Span != Interval {
		t.Errorf("recent rows were merged: %+v", rows[1:])
	}
	hs, err := st.HostSamples(ctx, time.Unix(0, 0), now)
	if err != nil || len(hs) != 3 || hs[0].Span != Bucket || hs[0].Humans != 9 || hs[0].LoadCenti != 100 {
		t.Errorf("host rows after upkeep = %+v, %v", hs, err)
	}
	// Again: nothing more to merge, nothing lost.
	if err := s.Maintain(ctx, now); err != nil {
		t.Fatal(err)
	}
	if again, _ := st.InstanceSamples(ctx, "alpha", time.Unix(0, 0), now); len(again) != 3 || again[0] != m {
		t.Errorf("a second upkeep changed the rows: %+v", again)
	}
}

// TestParseRange: bad input is refused naming the field; good input gets a
// step for about DefaultPoints points.
func TestParseRange(t *testing.T) {
	now := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		from, to, step, field string
	}{
		{"2020-01-01T00:00:00Z", "", "", FieldFrom},    // years
		{"2026-11-30T13:00:00Z", "", "", FieldFrom},    // after to
		{"yesterday", "", "", FieldFrom},               // not a time
		{"", "soon", "", FieldTo},                      // not a time
		{"", "", "fast", FieldStep},                    // not a duration
		{"", "", "1s", FieldStep},                      // shorter than a sample
		{"", "", "-5m", FieldStep},                     // negative
		{"2026-11-01T00:00:00Z", "", "30s", FieldStep}, // too many points
		{"", "2026-11-30T11:00:00Z", "", FieldFrom},    // default from, fine
	} {
		_, err := ParseRange(now, c.from, c.to, c.step)
		if c.from == "" && c.to == "2026-11-30T11:00:00Z" {
			if err != nil {
				t.Errorf("ParseRange(to %s) = %v; want the day before it", c.to, err)
			}
			continue
		}
		var fe *instance.FieldError
		if !errors.As(err, &fe) || fe.Field != c.field || !errors.Is(err, instance.ErrInvalid) {
			t.Errorf("ParseRange(%q, %q, %q) = %v; want a field error on %s", c.from, c.to, c.step, err, c.field)
		}
	}
	r, err := ParseRange(now, "", "", "")
	if err != nil || !r.To.Equal(now) || r.To.Sub(r.From) != 24*time.Hour || r.Step != 6*time.Minute {
		t.Errorf("default range = %+v, %v; want the last day in 6-minute steps", r, err)
	}
	r, err = ParseRange(now, "1795953600", "2026-11-30T12:00:00Z", "300")
	if err != nil || r.Step != 5*time.Minute || r.From.Unix() != 1795953600 {
		t.Errorf("Unix seconds and a step in seconds: %+v, %v", r, err)
	}
	if _, err := SinceRange(now, -time.Hour, 0); err == nil {
		t.Error("a negative --since: no error")
	}
}

// TestHistorySurvivesReopen: what was sampled is read back from a new
// process's database handle (the panel restarted).
func TestHistorySurvivesReopen(t *testing.T) {
	st, path := openStore(t, "alpha")
	ctx := context.Background()
	now := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	s := NewSampler(Config{Store: st, Instances: fakeInstances{"alpha"}, States: fakeStates{"alpha": instance.Running},
		Live: fakeLive{"alpha": {Online: true, Humans: 5, Map: "c5m1_waterfront"}}, Now: func() time.Time { return now }})
	if err := s.Sample(ctx); err != nil {
		t.Fatal(err)
	}
	st.Close()
	st2, err := store.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer st2.Close()
	r, _ := SinceRange(now.Add(time.Minute), time.Hour, 0)
	ser, err := InstanceHistory(ctx, st2, "alpha", r)
	if err != nil || len(ser.Points) != 1 || ser.Points[0].Humans != 5 || ser.Points[0].Map != "c5m1_waterfront" {
		t.Errorf("history after reopening = %+v, %v", ser, err)
	}
}
