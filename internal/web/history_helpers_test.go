package web

import (
	"context"
	"testing"
	"time"

	"github.com/left4me/left4me/internal/store"
)

// addHistory records an hour of samples of instance name (running on
// c2m1_highway with 2 humans, 50% CPU, 256 MiB) and of the host (load
// 1.5), every 30 s up to now.
func addHistory(t testing.TB, st *store.Store, name string, now time.Time) {
	t.Helper()
	for at := now.Add(-time.Hour); !at.After(now); at = at.Add(30 * time.Second) {
		host := store.HostSample{At: at, Span: 30 * time.Second, Humans: 2, Bots: 1, Running: 1, CPUMilli: 500,
			MemBytes: 256 << 20, LoadCenti: 150, HostUsed: 3 << 30, HostTotal: 8 << 30}
		in := store.InstanceSample{Instance: name, At: at, Span: 30 * time.Second, State: "running", Map: "c2m1_highway",
			Humans: 2, Bots: 1, CPUMilli: 500, MemBytes: 256 << 20}
		if err := st.AddSamples(context.Background(), host, []store.InstanceSample{in}); err != nil {
			t.Fatal(err)
		}
	}
}
