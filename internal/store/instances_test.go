package store

import (
	"context"
	"errors"
	"path/filepath"
	"reflect"
	"testing"
)

func openInstanceTestStore(t *testing.T) *Store {
	t.Helper()
	s, err := Open(context.Background(), filepath.Join(t.TempDir(), "left4me.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestInstances(t *testing.T) {
	ctx := context.Background()
	s := openInstanceTestStore(t)
	alice, err := s.CreateUser(ctx, "alice", "h", false)
	if err != nil {
		t.Fatal(err)
	}
	in := Instance{Name: "one", OwnerID: alice.ID, Port: 27015, Layers: []string{"a", "b"}, Args: []string{"+map", "c1m1_hotel"}, RCONPassword: "pw"}
	got, err := s.CreateInstance(ctx, in, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got.CreatedAt.IsZero() {
		t.Error("CreatedAt not set")
	}
	read, err := s.InstanceByName(ctx, "one")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(read.Layers, in.Layers) || !reflect.DeepEqual(read.Args, in.Args) || read.Port != 27015 || read.RCONPassword != "pw" || read.OwnerID != alice.ID || read.WantRunning {
		t.Errorf("InstanceByName = %+v", read)
	}

	tests := []struct {
		name string
		in   Instance
		want error
	}{
		{"duplicate name", Instance{Name: "one", OwnerID: alice.ID, Port: 27016, RCONPassword: "x"}, ErrConflict},
		{"duplicate port", Instance{Name: "two", OwnerID: alice.ID, Port: 27015, RCONPassword: "x"}, ErrPortConflict},
		{"unknown owner", Instance{Name: "three", OwnerID: alice.ID + 100, Port: 27017, RCONPassword: "x"}, ErrNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := s.CreateInstance(ctx, tt.in, nil); !errors.Is(err, tt.want) {
				t.Errorf("CreateInstance: err = %v, want %v", err, tt.want)
			}
		})
	}

	// A failing prepare leaves no row.
	boom := errors.New("boom")
	if _, err := s.CreateInstance(ctx, Instance{Name: "two", OwnerID: alice.ID, Port: 27020, RCONPassword: "x"}, func() error { return boom }); !errors.Is(err, boom) {
		t.Fatalf("CreateInstance with failing prepare: %v", err)
	}
	if _, err := s.InstanceByName(ctx, "two"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("row left after failed prepare: %v", err)
	}
	if _, err := s.CreateInstance(ctx, Instance{Name: "two", OwnerID: alice.ID, Port: 27020, RCONPassword: "x"}, func() error { return nil }); err != nil {
		t.Fatal(err)
	}

	ports, err := s.UsedPorts(ctx)
	if err != nil || len(ports) != 2 || ports[27015] != "one" || ports[27020] != "two" {
		t.Errorf("UsedPorts = %v, %v", ports, err)
	}

	read.Port = 27020
	if _, err := s.UpdateInstance(ctx, read); !errors.Is(err, ErrPortConflict) {
		t.Errorf("UpdateInstance to a used port: %v", err)
	}
	read.Port, read.Layers, read.Args = 27030, nil, []string{"-tickrate", "100"}
	upd, err := s.UpdateInstance(ctx, read)
	if err != nil {
		t.Fatal(err)
	}
	if upd.Port != 27030 || len(upd.Layers) != 0 || !reflect.DeepEqual(upd.Args, read.Args) || upd.RCONPassword != "pw" {
		t.Errorf("after update: %+v", upd)
	}
	if _, err := s.UpdateInstance(ctx, Instance{Name: "nope", OwnerID: alice.ID, Port: 1}); !errors.Is(err, ErrNotFound) {
		t.Errorf("UpdateInstance of missing: %v", err)
	}

	if err := s.SetWantRunning(ctx, "one", true); err != nil {
		t.Fatal(err)
	}
	if r, _ := s.InstanceByName(ctx, "one"); !r.WantRunning {
		t.Error("want_running not set")
	}
	if err := s.SetWantRunning(ctx, "nope", true); !errors.Is(err, ErrNotFound) {
		t.Errorf("SetWantRunning of missing: %v", err)
	}

	list, err := s.ListInstances(ctx)
	if err != nil || len(list) != 2 || list[0].Name != "one" || list[1].Name != "two" {
		t.Errorf("ListInstances = %+v, %v", list, err)
	}
	own, err := s.InstancesByOwner(ctx, alice.ID)
	if err != nil || len(own) != 2 {
		t.Errorf("InstancesByOwner = %+v, %v", own, err)
	}

	if err := s.DeleteUser(ctx, alice.ID); !errors.Is(err, ErrUserOwnsInstances) {
		t.Errorf("DeleteUser of an owner: %v", err)
	}
	if err := s.DeleteInstance(ctx, "one"); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteInstance(ctx, "one"); !errors.Is(err, ErrNotFound) {
		t.Errorf("second DeleteInstance: %v", err)
	}
	if _, err := s.InstanceByName(ctx, "one"); !errors.Is(err, ErrNotFound) {
		t.Errorf("InstanceByName after delete: %v", err)
	}
}
