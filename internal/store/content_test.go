package store

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"
)

func TestLayersAndContentBuilds(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, filepath.Join(t.TempDir(), "db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	u, err := s.CreateUser(ctx, "op", "h", true)
	if err != nil {
		t.Fatal(err)
	}
	l, err := s.CreateLayer(ctx, Layer{ID: "tickrate", Kind: LayerScript, Name: "Tickrate", Script: "echo hi\n", Incremental: true, Source: "tickrate.sh"})
	if err != nil {
		t.Fatal(err)
	}
	if l.CreatedAt.IsZero() || !l.Incremental || l.Source != "tickrate.sh" || l.Script != "echo hi\n" {
		t.Errorf("created layer = %+v", l)
	}
	if _, err := s.CreateLayer(ctx, Layer{ID: "tickrate", Kind: LayerScript, Name: "x"}); !errors.Is(err, ErrConflict) {
		t.Errorf("duplicate id: %v", err)
	}
	if _, err := s.CreateLayer(ctx, Layer{ID: "bad", Kind: "nonsense", Name: "x"}); err == nil {
		t.Error("unknown kind accepted")
	}
	l.Script, l.Name = "echo changed\n", "Tickrate 100"
	if l, err = s.UpdateLayer(ctx, l); err != nil || l.Script != "echo changed\n" || l.Name != "Tickrate 100" {
		t.Errorf("update: %+v %v", l, err)
	}
	if _, err := s.UpdateLayer(ctx, Layer{ID: "missing"}); !errors.Is(err, ErrNotFound) {
		t.Errorf("update missing: %v", err)
	}
	if _, err := s.CreateLayer(ctx, Layer{ID: "maps", Kind: LayerUpload, Name: "Maps"}); err != nil {
		t.Fatal(err)
	}
	list, err := s.ListLayers(ctx)
	if err != nil || len(list) != 2 || list[0].ID != "maps" || list[1].ID != "tickrate" {
		t.Errorf("list = %+v, %v", list, err)
	}

	if err := s.StartContentBuild(ctx, ContentBuild{ID: "build-1", LayerID: "tickrate", Kind: LayerScript, UserID: u.ID}); err != nil {
		t.Fatal(err)
	}
	if err := s.StartContentBuild(ctx, ContentBuild{ID: "install-1", Kind: "install"}); err != nil {
		t.Fatal(err)
	}
	if err := s.FinishContentBuild(ctx, "build-1", BuildSucceeded, "000001-x", ""); err != nil {
		t.Fatal(err)
	}
	bs, err := s.ListContentBuilds(ctx, "tickrate", 10)
	if err != nil || len(bs) != 1 || bs[0].Status != BuildSucceeded || bs[0].Generation != "000001-x" || bs[0].UserID != u.ID || bs[0].FinishedAt.IsZero() {
		t.Errorf("builds of tickrate = %+v, %v", bs, err)
	}
	bs, err = s.ListContentBuilds(ctx, "", 10)
	if err != nil || len(bs) != 1 || bs[0].ID != "install-1" || bs[0].Status != BuildRunning || !bs[0].FinishedAt.IsZero() {
		t.Errorf("install builds = %+v, %v", bs, err)
	}
	// The install still "running" from a killed process is failed.
	if n, err := s.FailRunningContentBuilds(ctx, time.Now().Add(time.Second), "interrupted"); err != nil || n != 1 {
		t.Errorf("FailRunningContentBuilds = %d, %v", n, err)
	}
	if bs, _ := s.ListContentBuilds(ctx, "", 10); bs[0].Status != BuildFailed || bs[0].Error != "interrupted" || bs[0].FinishedAt.IsZero() {
		t.Errorf("interrupted install = %+v", bs[0])
	}
	if n, _ := s.FailRunningContentBuilds(ctx, time.Now().Add(time.Second), "x"); n != 0 {
		t.Errorf("second FailRunningContentBuilds changed %d", n)
	}
	if err := s.DeleteLayer(ctx, "tickrate"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.LayerByID(ctx, "tickrate"); !errors.Is(err, ErrNotFound) {
		t.Errorf("deleted layer: %v", err)
	}
	if bs, _ := s.ListContentBuilds(ctx, "tickrate", 10); len(bs) != 0 {
		t.Errorf("builds of a deleted layer kept: %+v", bs)
	}
	if err := s.DeleteLayer(ctx, "tickrate"); !errors.Is(err, ErrNotFound) {
		t.Errorf("delete twice: %v", err)
	}
}
