package instance

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/left4me/left4me/internal/overlay"
	"github.com/left4me/left4me/internal/store"
)

// TestExplicitPortIsValidatedAsABlock: an explicit port must bring its
// whole block (port, port+1) inside the range, clear of other instances'
// blocks and free on the host; each refusal names the port field and
// creates nothing.
func TestExplicitPortIsValidatedAsABlock(t *testing.T) {
	f := newFixture(t) // range 27015-27020
	ctx := context.Background()
	if _, err := f.svc.Create(ctx, Spec{Name: "b", OwnerID: f.owner, Port: 27017}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		port int
		busy int // a port in use on the host, 0 for none
		want error
		msg  string
	}{
		{"block past the range", 27020, 0, ErrInvalid, "port: the instance's block 27020-27021 does not fit the port range 27015-27020"},
		{"block below the range", 27014, 0, ErrInvalid, "port: the instance's block 27014-27015 does not fit the port range 27015-27020"},
		{"game port in another block", 27018, 0, ErrPortUsed, `port: the instance's block 27018-27019 overlaps instance "b"'s block 27017-27018`},
		{"client port is another's game port", 27016, 0, ErrPortUsed, `port: the instance's block 27016-27017 overlaps instance "b"'s block 27017-27018`},
		{"game port busy on the host", 27019, 27019, ErrPortUsed, "port: the game port 27019 is in use on this host"},
		{"client port busy on the host", 27019, 27020, ErrPortUsed, "port: the client port 27020 (of the block 27019-27020) is in use on this host"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f.busy = map[int]bool{tt.busy: tt.busy != 0}
			_, err := f.svc.Create(ctx, Spec{Name: "x", OwnerID: f.owner, Port: tt.port})
			if !errors.Is(err, tt.want) || err == nil || !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("Create on port %d: %v, want %v containing %q", tt.port, err, tt.want, tt.msg)
			}
			f.assertAbsent(t, "x")
		})
	}
}

// TestPortBlockMessageOfTheDefaultRange pins the message for the default
// range's last port.
func TestPortBlockMessageOfTheDefaultRange(t *testing.T) {
	f := newFixture(t)
	svc := NewService(Config{Root: f.root}, f.st, f.sup)
	_, err := svc.Create(context.Background(), Spec{Name: "x", OwnerID: f.owner, Port: 27999})
	want := "port: the instance's block 27999-28000 does not fit the port range 27015-27999"
	if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), want) {
		t.Errorf("Create on port 27999: %v, want %q", err, want)
	}
	f.assertAbsent(t, "x")
}

// TestPickFindsLowestFreeBlock: automatic ports fill the gaps between
// blocks, never overlap one, and stop at the range's end.
func TestPickFindsLowestFreeBlock(t *testing.T) {
	f := newFixture(t) // range 27015-27020
	ctx := context.Background()
	if _, err := f.svc.Create(ctx, Spec{Name: "mid", OwnerID: f.owner, Port: 27017}); err != nil {
		t.Fatal(err)
	}
	for _, want := range []int{27015, 27019} {
		in, err := f.svc.Create(ctx, Spec{Name: fmt.Sprintf("p%d", want), OwnerID: f.owner})
		if err != nil {
			t.Fatal(err)
		}
		if in.Port != want {
			t.Errorf("picked %d, want %d", in.Port, want)
		}
	}
	if _, err := f.svc.Create(ctx, Spec{Name: "full", OwnerID: f.owner}); !errors.Is(err, ErrPortUsed) || !strings.Contains(err.Error(), "no free block of 2 ports in 27015-27020") {
		t.Errorf("full range: %v", err)
	}
	f.assertAbsent(t, "full")
}

// TestStartRefusesOverlapWithRunningNeighbour: two instances created before
// port blocks on adjacent ports can each run, but not at once; the refusal
// names the running one.
func TestStartRefusesOverlapWithRunningNeighbour(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	if _, err := f.svc.Create(ctx, Spec{Name: "old", OwnerID: f.owner, Port: 27015}); err != nil {
		t.Fatal(err)
	}
	// A record from before port blocks: game port 27016, old's client port.
	if _, err := f.st.CreateInstance(ctx, store.Instance{Name: "legacy", OwnerID: f.owner, Port: 27016, Layers: []string{}, Args: []string{}, RCONPassword: "pw"},
		func() error { return nil }); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.Start(ctx, "legacy"); err != nil {
		t.Fatalf("start legacy while old is stopped: %v", err)
	}
	f.sup.takeCalls()
	err := f.svc.Start(ctx, "old")
	if !errors.Is(err, ErrPortUsed) || !strings.Contains(err.Error(), `overlaps the block 27016-27017 of instance "legacy", which is running`) {
		t.Fatalf("start old next to running legacy: %v", err)
	}
	if c := f.sup.takeCalls(); len(c) != 0 {
		t.Errorf("supervisor called despite the refusal: %v", c)
	}
	if err := f.svc.Stop(ctx, "legacy"); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.Start(ctx, "old"); err != nil {
		t.Errorf("start old after legacy stopped: %v", err)
	}
}

// TestStartRefusesTakenClientPort: a client port another program took after
// the instance was created stops the start with a clear error, instead of
// the engine moving to any port outside the block.
func TestStartRefusesTakenClientPort(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	in, err := f.svc.Create(ctx, Spec{Name: "a", OwnerID: f.owner})
	if err != nil {
		t.Fatal(err)
	}
	f.sup.takeCalls()
	f.busy[in.Port+1] = true
	err = f.svc.Start(ctx, "a")
	if want := fmt.Sprintf("its client port %d (port block %d-%d) is in use on this host", in.Port+1, in.Port, in.Port+1); !errors.Is(err, ErrPortUsed) || !strings.Contains(err.Error(), want) {
		t.Fatalf("start with a taken client port: %v, want %q", err, want)
	}
	if c := f.sup.takeCalls(); len(c) != 0 {
		t.Errorf("supervisor called despite the refusal: %v", c)
	}
	delete(f.busy, in.Port+1)
	if err := f.svc.Start(ctx, "a"); err != nil {
		t.Errorf("start once the port is free: %v", err)
	}
}

// TestPortChangeWhileRunningAppliesAtNextStart (issue 15, finding 11): a
// running server keeps the port it was launched with until it starts
// again, that port is reported as its LaunchPort, and its own server's
// ports are no conflict when the port is set back; another instance is
// told which server holds them.
func TestPortChangeWhileRunningAppliesAtNextStart(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	if _, err := f.svc.Create(ctx, Spec{Name: "vs", OwnerID: f.owner, Port: 27015}); err != nil {
		t.Fatal(err)
	}
	if in, _ := f.svc.Get(ctx, "vs"); in.LaunchPort != 0 || in.ServerPort() != 27015 {
		t.Fatalf("before the first start: LaunchPort %d, ServerPort %d", in.LaunchPort, in.ServerPort())
	}
	if err := f.svc.Start(ctx, "vs"); err != nil {
		t.Fatal(err)
	}
	// The running server holds its block on the host.
	f.busy[27015], f.busy[27016] = true, true

	moved := 27017
	in, err := f.svc.Update(ctx, "vs", Update{Port: &moved})
	if err != nil {
		t.Fatal(err)
	}
	if in.Port != 27017 || in.LaunchPort != 27015 || in.ServerPort() != 27015 || in.PendingPort(true) != 27017 {
		t.Fatalf("after the change: Port %d LaunchPort %d ServerPort %d PendingPort %d, want 27017 27015 27015 27017",
			in.Port, in.LaunchPort, in.ServerPort(), in.PendingPort(true))
	}
	env, err := overlay.ReadEnvFile(f.root.InstanceEnv("vs"))
	if err != nil || env.Port != 27015 {
		t.Fatalf("instance.env of the running server: port %d (err %v), want 27015 until the next start", env.Port, err)
	}

	// Another instance may not take the running server's ports; the
	// refusal names it.
	taken := 27015
	if _, err := f.svc.Create(ctx, Spec{Name: "other", OwnerID: f.owner, Port: taken}); !errors.Is(err, ErrPortUsed) || !strings.Contains(err.Error(), `instance "vs"`) {
		t.Fatalf("another instance on the running block: err %v, want ErrPortUsed naming vs", err)
	}

	// Back to its own running port: not "in use by another program".
	back := 27015
	in, err = f.svc.Update(ctx, "vs", Update{Port: &back})
	if err != nil {
		t.Fatalf("setting the running port back: %v", err)
	}
	if in.Port != 27015 || in.PendingPort(true) != 0 {
		t.Fatalf("after setting it back: Port %d PendingPort %d", in.Port, in.PendingPort(true))
	}
	// Overlapping its own block (27016 is its client port) is no conflict either.
	half := 27016
	if _, err := f.svc.Update(ctx, "vs", Update{Port: &half}); err != nil {
		t.Fatalf("a block overlapping its own running block: %v", err)
	}

	// The next start applies the change.
	if err := f.svc.Stop(ctx, "vs"); err != nil {
		t.Fatal(err)
	}
	f.busy[27015], f.busy[27016] = false, false
	if err := f.svc.Start(ctx, "vs"); err != nil {
		t.Fatal(err)
	}
	if in, _ := f.svc.Get(ctx, "vs"); in.LaunchPort != 27016 || in.PendingPort(true) != 0 {
		t.Fatalf("after the restart: LaunchPort %d PendingPort %d, want 27016 0", in.LaunchPort, in.PendingPort(true))
	}
}
