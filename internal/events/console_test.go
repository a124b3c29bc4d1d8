package events

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/left4me/left4me/internal/fakesrcds"
	"github.com/left4me/left4me/internal/srcds"
)

// consoleLog is an instance's console as the process supervisor keeps it:
// the server writes its stdout into it; Tail and Follow read it.
type consoleLog struct {
	mu      sync.Mutex
	partial string
	lines   []string
	subs    map[chan string]struct{}
}

func newConsoleLog(lines ...string) *consoleLog {
	return &consoleLog{lines: lines, subs: map[chan string]struct{}{}}
}

func (c *consoleLog) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.partial += string(p)
	for {
		i := strings.IndexByte(c.partial, '\n')
		if i < 0 {
			return len(p), nil
		}
		line := c.partial[:i]
		c.partial = c.partial[i+1:]
		c.lines = append(c.lines, line)
		for ch := range c.subs {
			ch <- line // the test's followers read promptly; blocking is fine
		}
	}
}

func (c *consoleLog) Tail(_ context.Context, _ string, n int) ([]string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.lines[max(0, len(c.lines)-n):]), nil
}

func (c *consoleLog) Follow(ctx context.Context, _ string, fn func(string)) error {
	ch := make(chan string, 4096)
	c.mu.Lock()
	c.subs[ch] = struct{}{}
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		delete(c.subs, ch)
		c.mu.Unlock()
	}()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case line := <-ch:
			fn(line)
		}
	}
}

// startLoggingServer runs fakesrcds with "log on" in its server.cfg, its
// console going to out.
func startLoggingServer(t *testing.T, out *consoleLog) *fakesrcds.Server {
	t.Helper()
	dir := t.TempDir()
	if err := fakesrcds.WriteInstallation(dir, ""); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "left4dead2", "cfg", "server.cfg"), []byte("rcon_password pw\nlog on\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	s, err := fakesrcds.Start(ctx, fakesrcds.Config{Dir: dir, AllowLoopbackLog: true, Stdout: out,
		Args: []string{"-game", "left4dead2", "+ip", "127.0.0.1", "+hostport", "0", "-fakemapload", "0"}})
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	t.Cleanup(func() { cancel(); s.Wait() })
	return s
}

// runRecorder runs r (and, with logs, its console followers for the
// running instances) until the test ends.
func runRecorder(t *testing.T, r *Recorder, logs LogReader, running ...string) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() {
		if err := r.Run(ctx); err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	if logs != nil {
		list := func(context.Context) ([]Running, error) {
			out := make([]Running, 0, len(running))
			for _, name := range running {
				out = append(out, Running{Name: name})
			}
			return out, nil
		}
		// Resyncs every 50 ms: reading the backlog again and again must not
		// take a line twice.
		wg.Go(func() {
			r.FollowConsoles(ctx, logs, list, ConsoleConfig{Interval: 20 * time.Millisecond, Resync: 50 * time.Millisecond})
		})
	}
	t.Cleanup(func() { cancel(); wg.Wait() })
}

// settled reports whether both sources delivered a line whose text ends
// with marker, and the console (which has every line, also those logged
// before the UDP destination was added) all lines UDP delivered.
func (d *dedup) settled(marker string) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	both := false
	for key, l := range d.seen {
		if l.count[fromUDP] > l.count[fromConsole] {
			return false
		}
		if strings.HasSuffix(key, marker) && l.count[fromUDP] > 0 {
			both = true
		}
	}
	return both
}

// TestEventsFromEitherSourceOnce plays one game on a stand-in server and
// reads its events over UDP only, from its console only (no UDP listener),
// and from both: the same events, each exactly once.
func TestEventsFromEitherSourceOnce(t *testing.T) {
	want := []string{
		"alpha connect Ellie",
		"alpha entered Ellie",
		"alpha chat Ellie hello",
		"alpha chat Ellie hello", // said twice in a second: two events
		"alpha rcon sv_cheats 0",
		"alpha map c2m1_highway",
		"alpha entered Ellie",
		"alpha disconnect Ellie Disconnect by user.",
		"alpha chat Console the end",
	}
	for _, mode := range []string{"udp", "console", "both"} {
		t.Run(mode, func(t *testing.T) {
			ctx := context.Background()
			st := openStore(t, "alpha")
			console := newConsoleLog()
			cfg := Config{}
			if mode != "console" {
				cfg.Bind = "127.0.0.1:0"
			}
			var server *fakesrcds.Server
			sources := SourcesFunc(func(_ context.Context, port int) (srcds.LogSource, bool, error) {
				return srcds.LogSource{Instance: "alpha"}, server != nil && server.Port() == port, nil
			})
			r := NewRecorder(cfg, sources, st, nil)
			if cfg.Bind != "" {
				if err := r.Listen(); err != nil {
					t.Fatal(err)
				}
			}
			server = startLoggingServer(t, console)
			if cfg.Bind != "" {
				server.Exec("logaddress_add " + r.Addr().String())
			}
			var logs LogReader
			if mode != "udp" {
				logs = console
			}
			runRecorder(t, r, logs, "alpha")

			server.Exec("fakesrcds_players 1")
			server.Exec("fakesrcds_chat 2 hello; fakesrcds_chat 2 hello")
			c, err := srcds.Dial(ctx, server.Addr(), "pw")
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			for _, cmd := range []string{"status", "sv_cheats 0", "status"} {
				if _, err := c.Exec(ctx, cmd); err != nil {
					t.Fatal(err)
				}
			}
			server.Exec("changelevel c2m1_highway")
			server.Exec("fakesrcds_players 0")
			server.Exec("say the end")
			collect(t, st, 0, func(e Event) bool { return e.Text == "the end" }, "alpha")
			if mode == "both" {
				// Wait until the slower source has delivered its copies too.
				deadline := time.After(20 * time.Second)
				for !r.dedup.settled(`say "the end"`) {
					select {
					case <-deadline:
						t.Fatal("UDP and console never delivered the same lines")
					case <-time.After(10 * time.Millisecond):
					}
				}
			}
			// Everything queued before this sentinel is stored before it.
			r.ingest("alpha", srcds.Event{Type: srcds.EventChat, Time: time.Now(), Message: "sentinel", Text: "sentinel",
				Player: srcds.LogPlayer{Name: "Test"}}, fromConsole)
			collect(t, st, 0, func(e Event) bool { return e.Text == "sentinel" }, "alpha")
			stored, err := st.ListEvents(ctx, "alpha", 0, 0)
			if len(stored) > 0 {
				stored = stored[:len(stored)-1]
			}
			if err != nil {
				t.Fatal(err)
			}
			want := want
			if mode != "udp" {
				// The console also has what the server logged before
				// logaddress_add: the first map's start.
				want = append([]string{"alpha map c1m1_hotel"}, want...)
			}
			got := summary(stored)
			if mode == "both" {
				// Two sources, each in order, but not with each other.
				got, want = slices.Sorted(slices.Values(got)), slices.Sorted(slices.Values(want))
			}
			if !slices.Equal(got, want) {
				t.Errorf("stored events:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
		})
	}
}

// TestConsoleSkipsEarlierLines: a follower reads back the console's
// recent lines, but only those of this run and this recorder; lines that
// are not log lines are ignored.
func TestConsoleSkipsEarlierLines(t *testing.T) {
	st := openStore(t, "alpha")
	r := NewRecorder(Config{}, nil, st, nil)
	stamp := func(d time.Duration) string {
		return "L " + time.Now().Add(d).Format("01/02/2006 - 15:04:05") + ": "
	}
	console := newConsoleLog(
		stamp(-time.Hour)+`"Ellie<2><STEAM_1:0:1><>" say "stored by an earlier panel"`,
		`"Ellie<2><STEAM_1:0:1><>" say "not a log line"`,
		stamp(time.Hour)+`"Ellie<2><STEAM_1:0:1><>" say "from the backlog"`,
		stamp(time.Hour)+`rcon from "127.0.0.1:5": command "status"`,
	)
	runRecorder(t, r, console, "alpha")
	fmt.Fprintf(console, "%s\"Ellie<2><STEAM_1:0:1><>\" say \"followed\"\n", stamp(time.Hour))
	got := summary(collect(t, st, 0, func(e Event) bool { return e.Text == "followed" }, "alpha"))
	if want := []string{"alpha chat Ellie from the backlog", "alpha chat Ellie followed"}; !slices.Equal(got, want) {
		t.Errorf("events %q, want %q", got, want)
	}
}

func TestDedupIsBounded(t *testing.T) {
	d := newDedup(time.Minute, 3)
	now := time.Now()
	line := func(i int) srcds.Event {
		return srcds.Event{Time: now.Truncate(time.Second), Message: fmt.Sprintf("line %d", i)}
	}
	for i := range 10 {
		if !d.first("a", line(i), fromConsole, now) {
			t.Errorf("line %d: a new line is not news", i)
		}
	}
	if n := d.size(); n > 3 {
		t.Errorf("remembers %d lines, want at most 3", n)
	}
	if d.first("a", line(9), fromUDP, now) {
		t.Error("a recent line from the other source counted twice")
	}
	if !d.first("b", line(9), fromUDP, now) {
		t.Error("the same line of another instance is not news")
	}
	// Past the window a line is forgotten: the other source's copy is news.
	if !d.first("a", line(8), fromUDP, now.Add(2*time.Minute)) {
		t.Error("a line older than the window is still remembered")
	}
	if n := d.size(); n != 1 {
		t.Errorf("after the window: %d lines remembered, want 1", n)
	}
}

func TestCatchUpDropsWhatTheBacklogHeld(t *testing.T) {
	for _, tc := range []struct {
		tail, followed, want []string
	}{
		{[]string{"a", "b", "c"}, []string{"b", "c", "d", "e"}, []string{"d", "e"}},
		{[]string{"a", "b", "c"}, []string{"c", "d"}, []string{"d"}},
		{[]string{"a", "b", "c"}, []string{"d", "c"}, []string{"d", "c"}},
		{[]string{"a", "b", "c"}, []string{"b", "c"}, nil}, // all held, then flushed
		{nil, []string{"a", "a"}, []string{"a", "a"}},
		{[]string{"x", "a"}, []string{"a", "a", "b"}, []string{"a", "b"}}, // a repeated line is news
	} {
		u := catchUp{tail: tc.tail}
		var got []string
		for _, l := range tc.followed {
			got = append(got, u.add(l)...)
		}
		got = append(got, u.flush()...)
		if !slices.Equal(got, tc.want) {
			t.Errorf("tail %q, followed %q: new %q, want %q", tc.tail, tc.followed, got, tc.want)
		}
	}
}

// deafLog is a console whose Follow never delivers a line nor ends, as a
// journal follower was seen to do.
type deafLog struct{ *consoleLog }

func (deafLog) Follow(ctx context.Context, _ string, _ func(string)) error {
	<-ctx.Done()
	return ctx.Err()
}

// TestConsoleResyncsADeafFollower: lines the reader never delivers are
// still taken, from the backlog, once each.
func TestConsoleResyncsADeafFollower(t *testing.T) {
	st := openStore(t, "alpha")
	r := NewRecorder(Config{}, nil, st, nil)
	console := newConsoleLog()
	runRecorder(t, r, deafLog{console}, "alpha")
	stamp := "L " + time.Now().Add(time.Minute).Format("01/02/2006 - 15:04:05") + ": "
	for _, text := range []string{"one", "one", "two"} {
		fmt.Fprintf(console, "%s\"Ellie<2><STEAM_1:0:1><>\" say \"%s\"\n", stamp, text)
	}
	first := collect(t, st, 0, func(e Event) bool { return e.Text == "two" }, "alpha")
	got := summary(first)
	// A few more rounds: nothing is taken again.
	time.Sleep(200 * time.Millisecond)
	fmt.Fprintf(console, "%s\"Ellie<2><STEAM_1:0:1><>\" say \"three\"\n", stamp)
	got = append(got, summary(collect(t, st, first[len(first)-1].ID, func(e Event) bool { return e.Text == "three" }, "alpha"))...)
	want := []string{"alpha chat Ellie one", "alpha chat Ellie one", "alpha chat Ellie two", "alpha chat Ellie three"}
	if !slices.Equal(got, want) {
		t.Errorf("events %q, want %q", got, want)
	}
}

// size is how many lines d remembers.
func (d *dedup) size() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return len(d.seen)
}
