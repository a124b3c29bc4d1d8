package schedule

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/left4me/left4me/internal/instance"
	"github.com/left4me/left4me/internal/store"
)

// BenchmarkTick100 is what Tick does before it queues anything, over 100
// schedules (on 100 instances) of which none is due: read them and find
// each one's due slot. The panel does it every Interval.
func BenchmarkTick100(b *testing.B) {
	ctx := context.Background()
	st, err := store.Open(ctx, b.TempDir()+"/left4me.db")
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	owner, err := st.CreateUser(ctx, "owner", "x", true)
	if err != nil {
		b.Fatal(err)
	}
	clock := newFakeClock(time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC))
	rec := newRecorder()
	svc := New(Config{Store: st, Instances: rec, Clock: clock, Location: time.UTC})
	for i := range 100 {
		name := fmt.Sprintf("i%03d", i)
		if _, err := st.CreateInstance(ctx, store.Instance{Name: name, OwnerID: owner.ID, Port: 40000 + 2*i, RCONPassword: "pw"}, nil); err != nil {
			b.Fatal(err)
		}
		rec.add(instance.Instance{Name: name}, instance.Running)
		if _, err := svc.Add(ctx, name, Spec{Action: "restart", When: fmt.Sprintf("daily %02d:%02d", i%24, i%60)}, User{ID: owner.ID}); err != nil {
			b.Fatal(err)
		}
	}
	// Queue nothing: the jobs of the slots already passed are recorded.
	for _, sc := range mustList(b, svc) {
		if _, err := st.AdvanceScheduleSlot(ctx, sc.ID, clock.Now()); err != nil {
			b.Fatal(err)
		}
	}
	svc.cfg.Jobs = nil
	b.ResetTimer()
	for b.Loop() {
		list, err := svc.List(ctx, "")
		if err != nil {
			b.Fatal(err)
		}
		now := clock.Now()
		for _, sc := range list {
			if !svc.due(sc, now).IsZero() {
				b.Fatal("due")
			}
		}
	}
}

func mustList(b *testing.B, svc *Service) []Schedule {
	list, err := svc.List(context.Background(), "")
	if err != nil {
		b.Fatal(err)
	}
	return list
}
