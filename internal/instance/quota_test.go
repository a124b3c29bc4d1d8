package instance

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/left4me/left4me/internal/store"
)

func intp(n int) *int { return &n }

// TestLimitsOf: an account's own limits win; without them an administrator
// has none and anyone else the defaults.
func TestLimitsOf(t *testing.T) {
	for _, tc := range []struct {
		u    store.User
		want Limits
	}{
		{store.User{}, Limits{DefaultMaxInstances, DefaultMaxRunning}},
		{store.User{IsAdmin: true}, Limits{Unlimited, Unlimited}},
		{store.User{Limits: store.Limits{MaxInstances: intp(7)}}, Limits{7, DefaultMaxRunning}},
		{store.User{IsAdmin: true, Limits: store.Limits{MaxRunning: intp(1)}}, Limits{Unlimited, 1}},
		{store.User{Limits: store.Limits{MaxInstances: intp(Unlimited), MaxRunning: intp(0)}}, Limits{Unlimited, 0}},
	} {
		if got := LimitsOf(tc.u); got != tc.want {
			t.Errorf("LimitsOf(%+v) = %+v, want %+v", tc.u, got, tc.want)
		}
	}
}

func TestParseLimit(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want *int
	}{{"", nil}, {"default", nil}, {" Unlimited ", intp(Unlimited)}, {"0", intp(0)}, {"12", intp(12)}} {
		got, err := ParseLimit(FieldMaxRunning, tc.in)
		if err != nil || (got == nil) != (tc.want == nil) || (got != nil && *got != *tc.want) {
			t.Errorf("ParseLimit(%q) = %v, %v", tc.in, got, err)
		}
	}
	for _, bad := range []string{"-1", "x", "1.5", "10001", "3 instances"} {
		_, err := ParseLimit(FieldMaxRunning, bad)
		var fe *FieldError
		if !errors.As(err, &fe) || fe.Field != FieldMaxRunning {
			t.Errorf("ParseLimit(%q): err %v, want a field error of %s", bad, err, FieldMaxRunning)
		}
	}
}

// TestQuotaRefusesCreateAndStartPastTheLimit: an account at its limit can
// neither create nor start one more; nothing is left of the refused create;
// an administrator's raise lets both through; the default limits apply to
// an account without its own.
func TestQuotaRefusesCreateAndStartPastTheLimit(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	u, err := f.st.CreateUser(ctx, "bob", "hash", false)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.st.SetLimits(ctx, u.ID, store.Limits{MaxInstances: intp(2), MaxRunning: intp(1)}); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"b1", "b2"} {
		if _, err := f.svc.Create(ctx, Spec{Name: name, OwnerID: u.ID}); err != nil {
			t.Fatalf("create %s: %v", name, err)
		}
	}
	_, err = f.svc.Create(ctx, Spec{Name: "b3", OwnerID: u.ID})
	if !errors.Is(err, ErrQuota) || !strings.Contains(err.Error(), "at most 2 instances (max instances)") {
		t.Fatalf("third create: err %v, want ErrQuota naming max instances 2", err)
	}
	f.assertAbsent(t, "b3")

	if err := f.svc.Start(ctx, "b1"); err != nil {
		t.Fatal(err)
	}
	// Starting the running one again, or restarting it, is not one more.
	if err := f.svc.Start(ctx, "b1"); err != nil {
		t.Fatalf("start of a running instance: %v", err)
	}
	if err := f.svc.Restart(ctx, "b1"); err != nil {
		t.Fatalf("restart at the limit: %v", err)
	}
	f.sup.takeCalls()
	err = f.svc.Start(ctx, "b2")
	if !errors.Is(err, ErrQuota) || !strings.Contains(err.Error(), "at most 1 servers at once (max running)") || !strings.Contains(err.Error(), "b1") {
		t.Fatalf("second start: err %v, want ErrQuota naming max running 1 and b1", err)
	}
	if calls := f.sup.takeCalls(); len(calls) != 0 {
		t.Errorf("the refused start reached the supervisor: %v", calls)
	}
	if in, _ := f.svc.Get(ctx, "b2"); in.WantRunning {
		t.Error("the refused start recorded want_running")
	}
	// An instance of another account does not count.
	if _, err := f.svc.Create(ctx, Spec{Name: "other", OwnerID: f.owner}); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.Start(ctx, "other"); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.Delete(ctx, "other"); err != nil { // the range has 3 blocks
		t.Fatal(err)
	}

	// The administrator raises both limits.
	if err := f.st.SetLimits(ctx, u.ID, store.Limits{MaxInstances: intp(3), MaxRunning: intp(Unlimited)}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Create(ctx, Spec{Name: "b3", OwnerID: u.ID}); err != nil {
		t.Fatalf("create after the raise: %v", err)
	}
	for _, name := range []string{"b2", "b3"} {
		if err := f.svc.Start(ctx, name); err != nil {
			t.Fatalf("start %s after the raise: %v", name, err)
		}
	}

	// Back to the defaults: 3 instances, 2 running; b1-b3 run already.
	if err := f.st.SetLimits(ctx, u.ID, store.Limits{}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Create(ctx, Spec{Name: "b4", OwnerID: u.ID}); !errors.Is(err, ErrQuota) {
		t.Fatalf("create past the default: err %v, want ErrQuota", err)
	}
	if err := f.svc.Stop(ctx, "b3"); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.Start(ctx, "b3"); !errors.Is(err, ErrQuota) {
		t.Fatalf("start past the default: err %v, want ErrQuota", err)
	}
}

// TestQuotaAdminsUnlimitedByDefault: an administrator without limits of
// its own creates and runs more than the defaults.
func TestQuotaAdminsUnlimitedByDefault(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	admin, err := f.st.CreateUser(ctx, "root", "hash", true)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"a1", "a2", "a3"} {
		if _, err := f.svc.Create(ctx, Spec{Name: name, OwnerID: admin.ID}); err != nil {
			t.Fatal(err)
		}
		if err := f.svc.Start(ctx, name); err != nil {
			t.Fatal(err)
		}
	}
}

// TestQuotaHoldsUnderConcurrentRequests: creates and starts of one account
// racing each other never take it past its limits (the owner's lock
// serialises the count and the operation).
func TestQuotaHoldsUnderConcurrentRequests(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	u, err := f.st.CreateUser(ctx, "bob", "hash", false)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.st.SetLimits(ctx, u.ID, store.Limits{MaxInstances: intp(2), MaxRunning: intp(1)}); err != nil {
		t.Fatal(err)
	}
	names := []string{"c1", "c2", "c3", "c4", "c5", "c6"}
	errs := make(chan error, len(names))
	for _, name := range names {
		go func() {
			_, err := f.svc.Create(ctx, Spec{Name: name, OwnerID: u.ID})
			errs <- err
		}()
	}
	created, refused := 0, 0
	for range names {
		switch err := <-errs; {
		case err == nil:
			created++
		case errors.Is(err, ErrQuota):
			refused++
		default:
			t.Errorf("create: %v", err)
		}
	}
	if created != 2 || refused != len(names)-2 {
		t.Fatalf("%d created, %d refused; want 2 and %d", created, refused, len(names)-2)
	}
	owned, err := f.st.InstancesByOwner(ctx, u.ID)
	if err != nil || len(owned) != 2 {
		t.Fatalf("bob owns %d instances (%v)", len(owned), err)
	}
	for _, in := range owned {
		go func() { errs <- f.svc.Start(ctx, in.Name) }()
	}
	started := 0
	for range owned {
		if err := <-errs; err == nil {
			started++
		} else if !errors.Is(err, ErrQuota) {
			t.Errorf("start: %v", err)
		}
	}
	running := 0
	for _, in := range owned {
		if st, _ := f.sup.Status(ctx, in.Name); active(st.State) {
			running++
		}
	}
	if started != 1 || running != 1 {
		t.Errorf("%d starts succeeded, %d running; want 1 and 1", started, running)
	}
}
