package watchdog_test

import (
	"context"
	"encoding/binary"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/left4me/left4me/internal/instance"
	"github.com/left4me/left4me/internal/watchdog"
)

// short is the watchdog of the unit tests: a grace of 2 s, judged from 1 s
// after a start.
var short = watchdog.Config{Grace: 2 * time.Second, StartGrace: time.Second, Interval: 100 * time.Millisecond}

func isFrozen(v watchdog.Verdict) bool {
	return v.Judgement == watchdog.JudgeRestarted || v.Judgement == watchdog.JudgeUnhealthy ||
		v.Judgement == watchdog.JudgeStillFrozen
}

// TestFrozenServerIsRestarted: a server stopped with SIGSTOP answers no
// probe and prints nothing; after the grace period the watchdog records
// the diagnosis, restarts it through the instance service, notifies
// instance.frozen and audits the restart as the watchdog.
func TestFrozenServerIsRestarted(t *testing.T) {
	e := newEnv(t, short)
	in := e.start("frozen")
	before := e.status("frozen")
	time.Sleep(short.StartGrace) // out of the start's grace, and still answering
	if vs := e.wd.Check(e.ctx); len(vs) != 1 || vs[0].Judgement != watchdog.JudgeAnswering {
		t.Fatalf("verdicts of a healthy server: %+v", vs)
	}
	pid := freeze(t, in.Port)
	stopped := time.Now()
	seen := e.checkUntil("frozen", 2*time.Minute, isFrozen)
	v := seen[len(seen)-1]
	decided := time.Since(stopped)
	if v.Judgement != watchdog.JudgeRestarted || v.Err != nil {
		lines, _ := e.sup.Tail(e.ctx, "frozen", 30)
		t.Fatalf("verdict %+v (after %s)\nconsole:\n%s", v, summary(seen), strings.Join(lines, "\n"))
	}
	after := e.status("frozen")
	t.Logf("SIGSTOP to restart decided: %s; to running again: %s (grace %s, stop timeout 2s)",
		decided.Round(100*time.Millisecond), time.Since(stopped).Round(100*time.Millisecond), short.Grace)
	if after.State != instance.Running || !after.Since.After(before.Since) {
		t.Errorf("after the restart: %+v, before %+v", after, before)
	}
	e.waitAnswering("frozen")
	if newPID := enginePID(t, in.Port); newPID == pid {
		t.Errorf("the frozen engine %d still serves the port", pid)
	}

	evs, err := e.st.ListEvents(e.ctx, "frozen", 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	var diag string
	for _, ev := range evs {
		if ev.Kind == watchdog.EventKind {
			diag = ev.Text
		}
	}
	for _, want := range []string{"frozen: answered neither RCON status nor A2S", "restarting it (restart 1 of at most 3",
		"last good poll: ", "map c1m1_hotel", "probes at ", "rcon: ", "a2s: ", "console (last ", "Connection to Steam servers successful."} {
		if !strings.Contains(diag, want) {
			t.Errorf("diagnosis lacks %q:\n%s", want, diag)
		}
	}
	if n, err := e.st.WatchdogRestartsSince(e.ctx, "frozen", stopped.Add(-time.Minute)); err != nil || n != 1 {
		t.Errorf("recorded restarts: %d %v, want 1", n, err)
	}
	notes, audited := e.rec.notices()
	if len(notes) != 1 || notes[0].event != watchdog.EventFrozen || notes[0].instance != "frozen" {
		t.Fatalf("notifications: %+v", notes)
	}
	d := notes[0].detail
	if d["restarted"] != true || d["last_good_poll"] == nil || d["probes"] == nil {
		t.Errorf("notification detail: %+v", d)
	}
	if lines, _ := d["console"].([]string); len(lines) == 0 || len(lines) > watchdog.DiagnosisLines {
		t.Errorf("notification console lines: %d", len(lines))
	}
	if len(audited) != 1 || audited[0].actor != "watchdog" || audited[0].action != watchdog.ActionRestart || audited[0].result != nil {
		t.Errorf("audit entries: %+v", audited)
	}
}

// TestRestartLimitMarksUnhealthy: with three watchdog restarts in the last
// hour, a frozen server is left running, marked unhealthy once (the
// instance's view says so) and notified as not restarted; when it answers
// again the mark goes.
func TestRestartLimitMarksUnhealthy(t *testing.T) {
	e := newEnv(t, short)
	in := e.start("limit")
	for i := range 3 {
		if err := e.st.AddWatchdogRestart(e.ctx, "limit", time.Now().Add(-time.Duration(10+i)*time.Minute)); err != nil {
			t.Fatal(err)
		}
	}
	// One older than the hour does not count.
	if err := e.st.AddWatchdogRestart(e.ctx, "limit", time.Now().Add(-2*time.Hour)); err != nil {
		t.Fatal(err)
	}
	before := e.status("limit")
	time.Sleep(short.StartGrace)
	pid := freeze(t, in.Port)
	seen := e.checkUntil("limit", 2*time.Minute, isFrozen)
	if v := seen[len(seen)-1]; v.Judgement != watchdog.JudgeUnhealthy || v.Err != nil {
		t.Fatalf("verdict %+v (after %s)", v, summary(seen))
	}
	// Judged again: still frozen, nothing more sent.
	e.checkUntil("limit", time.Minute, func(v watchdog.Verdict) bool { return v.Judgement == watchdog.JudgeStillFrozen })
	if after := e.status("limit"); !after.Since.Equal(before.Since) || enginePID(t, in.Port) != pid {
		t.Errorf("the server was restarted: %+v, before %+v", after, before)
	}
	got, err := e.svc.Get(e.ctx, "limit")
	if err != nil {
		t.Fatal(err)
	}
	if !got.UnhealthyIn(e.status("limit")) || !strings.Contains(got.UnhealthyReason, "restarted it 3 times in the last hour") {
		t.Errorf("instance not marked unhealthy: at %v reason %q", got.UnhealthyAt, got.UnhealthyReason)
	}
	notes, audited := e.rec.notices()
	if len(notes) != 1 || notes[0].event != watchdog.EventFrozen || notes[0].detail["restarted"] != false ||
		!strings.Contains(notes[0].detail["not_restarted"].(string), "not restarted") {
		t.Errorf("notifications: %+v", notes)
	}
	if len(audited) != 1 || audited[0].action != watchdog.ActionUnhealthy || audited[0].actor != "watchdog" {
		t.Errorf("audit entries: %+v", audited)
	}

	// It comes back by itself: answering, healthy again.
	if err := syscallCont(pid); err != nil {
		t.Fatal(err)
	}
	e.checkUntil("limit", time.Minute, func(v watchdog.Verdict) bool {
		if v.Judgement != watchdog.JudgeAnswering {
			return false
		}
		got, _ := e.svc.Get(e.ctx, "limit")
		return got.UnhealthyAt.IsZero()
	})
}

// TestStartIsExempt: in the first StartGrace after a start a silent server
// is not frozen, however long the grace period has passed.
func TestStartIsExempt(t *testing.T) {
	cfg := short
	cfg.StartGrace = time.Hour
	e := newEnv(t, cfg)
	in := e.start("young")
	pid := freeze(t, in.Port)
	stopped := time.Now()
	// Judge until the server has been silent for three grace periods and
	// the poller has seen it fail.
	seen := e.checkUntil("young", 2*time.Minute, func(v watchdog.Verdict) bool {
		snap, _ := e.poller.Snapshot("young")
		return time.Since(stopped) > 3*cfg.Grace && snap.NotAnswering
	})
	for _, v := range seen {
		if isFrozen(v) {
			t.Errorf("verdict %+v in the start's grace", v)
		}
	}
	if last := seen[len(seen)-1]; last.Judgement != watchdog.JudgeStarting {
		t.Errorf("last verdict %+v, want %q", last, watchdog.JudgeStarting)
	}
	if enginePID(t, in.Port) != pid {
		t.Error("restarted")
	}
	// The default is 120 s.
	if d := watchdog.New(watchdog.Config{}, watchdog.Deps{}).Config(); d.StartGrace != 120*time.Second || d.Grace != time.Minute {
		t.Errorf("defaults: %+v", d)
	}
}

// TestWatchdogOff: an instance whose watchdog is off is never restarted.
func TestWatchdogOff(t *testing.T) {
	e := newEnv(t, short)
	in := e.start("off")
	off := false
	if _, err := e.svc.Update(e.ctx, "off", instance.Update{Watchdog: &off}); err != nil {
		t.Fatal(err)
	}
	time.Sleep(short.StartGrace)
	pid := freeze(t, in.Port)
	stopped := time.Now()
	seen := e.checkUntil("off", 2*time.Minute, func(v watchdog.Verdict) bool {
		snap, _ := e.poller.Snapshot("off")
		return time.Since(stopped) > 3*short.Grace && snap.NotAnswering
	})
	for _, v := range seen {
		if v.Judgement != watchdog.JudgeOff {
			t.Errorf("verdict %+v, want %q", v, watchdog.JudgeOff)
		}
	}
	if enginePID(t, in.Port) != pid {
		t.Error("restarted")
	}
}

// TestMapLoadIsNotFrozen: a changelevel that stalls the server four times
// longer than the grace period (no RCON, no A2S, no console line) is not
// a freeze: the console showed the map change starting.
func TestMapLoadIsNotFrozen(t *testing.T) {
	e := newEnv(t, short)
	in := e.start("mapload", "-fakemapload", "8")
	time.Sleep(short.StartGrace)
	if _, err := e.rcon(in, "changelevel c2m1_highway"); err != nil {
		t.Fatal(err)
	}
	began := time.Now()
	sawLoad := false
	seen := e.checkUntil("mapload", 2*time.Minute, func(v watchdog.Verdict) bool {
		if v.Judgement == watchdog.JudgeMapLoad {
			sawLoad = true
		}
		snap, _ := e.poller.Snapshot("mapload")
		return isFrozen(v) || (time.Since(began) > 8*time.Second && !snap.NotAnswering && snap.Map == "c2m1_highway")
	})
	for _, v := range seen {
		if isFrozen(v) {
			t.Fatalf("judged frozen during a map load: %s", summary(seen))
		}
	}
	if !sawLoad {
		t.Errorf("the load was never judged a map load (so this test proves nothing): %s", summary(seen))
	}
}

// TestRealisticMapLoad: the default grace (60 s) and a 30 s changelevel
// stall, as on real hardware (docs/srcds.md §8).
func TestRealisticMapLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("takes 40 s")
	}
	cfg := watchdog.Config{StartGrace: time.Second, Interval: 100 * time.Millisecond}
	e := newEnv(t, cfg)
	in := e.start("realmap", "-fakemapload", "30")
	time.Sleep(cfg.StartGrace)
	if _, err := e.rcon(in, "changelevel c2m1_highway"); err != nil {
		t.Fatal(err)
	}
	began := time.Now()
	seen := e.checkUntil("realmap", 3*time.Minute, func(v watchdog.Verdict) bool {
		snap, _ := e.poller.Snapshot("realmap")
		return isFrozen(v) || (time.Since(began) > 30*time.Second && !snap.NotAnswering && snap.Map == "c2m1_highway")
	})
	for _, v := range seen {
		if isFrozen(v) {
			t.Fatalf("judged frozen during a map load: %s", summary(seen))
		}
	}
	t.Logf("verdicts during a 30 s load: %s", summary(seen))
}

// TestQueryFloodIsNotFrozen: 2000 A2S packets a second, half from
// loopback and half from the host's address, for 60 s (30 grace periods):
// A2S may be slow, RCON answers, the server is not restarted.
func TestQueryFloodIsNotFrozen(t *testing.T) {
	e := newEnv(t, short)
	in := e.start("flood")
	before := e.status("flood")
	time.Sleep(short.StartGrace)
	ctx, stop := context.WithCancel(e.ctx)
	var sent atomic.Int64
	var wg sync.WaitGroup
	for _, from := range []string{"127.0.0.1", e.host.String()} {
		to := net.JoinHostPort(from, strconv.Itoa(in.Port))
		conn, err := net.Dial("udp", to)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		wg.Go(func() { flood(ctx, conn, 1000, &sent) })
	}
	// The 60 s; -short: five grace periods.
	floodFor := time.Minute
	if testing.Short() {
		floodFor = 5 * short.Grace
	}
	began := time.Now()
	a2sMissed := 0
	seen := e.checkUntil("flood", 2*time.Minute, func(v watchdog.Verdict) bool {
		if snap, _ := e.poller.Snapshot("flood"); snap.A2SErr != "" {
			a2sMissed++
		}
		return isFrozen(v) || time.Since(began) > floodFor
	})
	stop()
	wg.Wait()
	for _, v := range seen {
		if isFrozen(v) {
			t.Fatalf("judged frozen under a query flood: %s", summary(seen))
		}
	}
	if after := e.status("flood"); !after.Since.Equal(before.Since) {
		t.Errorf("restarted under a flood: %+v, before %+v", after, before)
	}
	rate := float64(sent.Load()) / time.Since(began).Seconds()
	t.Logf("flood: %.0f packets/s for %s; checks with A2S failing: %d of %d", rate, time.Since(began).Round(time.Second), a2sMissed, len(seen))
	if rate < 1500 {
		t.Errorf("the flood reached only %.0f packets/s", rate)
	}
	if a2sMissed == 0 {
		t.Error("A2S answered the poller throughout the flood: the test proves nothing about a flood that starves A2S")
	}
}

// flood sends A2S_INFO requests on conn at perSecond until ctx ends.
func flood(ctx context.Context, conn net.Conn, perSecond int, sent *atomic.Int64) {
	pkt := append(binary.LittleEndian.AppendUint32(nil, 0xFFFFFFFF), append([]byte{0x54}, []byte("Source Engine Query\x00")...)...)
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	began, n := time.Now(), 0
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		// Catch up with the rate, however late the tick.
		for due := int(time.Since(began).Seconds() * float64(perSecond)); n < due; n++ {
			if _, err := conn.Write(pkt); err == nil {
				sent.Add(1)
			}
		}
	}
}

// TestEndlessMapLoadIsFrozen: a map load silent for longer than
// MapLoadLimit is a freeze after all.
func TestEndlessMapLoadIsFrozen(t *testing.T) {
	cfg := short
	cfg.MapLoadLimit = 4 * time.Second
	e := newEnv(t, cfg)
	in := e.start("endless", "-fakemapload", "600")
	time.Sleep(cfg.StartGrace)
	if _, err := e.rcon(in, "changelevel c2m1_highway"); err != nil {
		t.Fatal(err)
	}
	seen := e.checkUntil("endless", 2*time.Minute, isFrozen)
	if v := seen[len(seen)-1]; v.Judgement != watchdog.JudgeRestarted || v.Err != nil {
		t.Fatalf("verdict %+v (after %s)", v, summary(seen))
	}
	sawLoad := false
	for _, v := range seen {
		sawLoad = sawLoad || v.Judgement == watchdog.JudgeMapLoad
	}
	if !sawLoad {
		t.Errorf("never judged a map load before the limit: %s", summary(seen))
	}
}
