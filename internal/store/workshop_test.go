package store

import (
	"context"
	"errors"
	"path/filepath"
	"reflect"
	"testing"
)

func openWorkshopTestStore(t *testing.T) *Store {
	t.Helper()
	s, err := Open(context.Background(), filepath.Join(t.TempDir(), "db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestWorkshopItemsAndLayers(t *testing.T) {
	ctx := context.Background()
	s := openWorkshopTestStore(t)

	metas := []WorkshopMeta{
		{ID: 300, Result: 1, Title: "Map C", FileURL: "http://x/c", FileSize: 30, TimeUpdated: 3},
		{ID: 100, Result: 1, Title: "Map A", FileURL: "http://x/a", FileSize: 10, TimeUpdated: 1, Banned: true, BanReason: "nope"},
	}
	added, created, err := s.AddWorkshopItems(ctx, "maps", metas)
	if err != nil {
		t.Fatalf("AddWorkshopItems: %v", err)
	}
	if !created || !reflect.DeepEqual(added, []uint64{300, 100}) {
		t.Errorf("added %v created %v", added, created)
	}
	// Adding again: nothing new, order kept, one more appended.
	added, created, err = s.AddWorkshopItems(ctx, "maps", append(metas, WorkshopMeta{ID: 200, Result: 1, Title: "Map B", TimeUpdated: 2}))
	if err != nil {
		t.Fatal(err)
	}
	if created || !reflect.DeepEqual(added, []uint64{200}) {
		t.Errorf("second add: added %v created %v", added, created)
	}
	l, err := s.WorkshopLayer(ctx, "maps")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(l.Items, []uint64{300, 100, 200}) || l.Generation != "" {
		t.Errorf("layer = %+v", l)
	}

	it, err := s.WorkshopItem(ctx, 100)
	if err != nil {
		t.Fatal(err)
	}
	if it.Title != "Map A" || !it.Banned || it.BanReason != "nope" || it.Removed || it.Revision != "" || it.CheckedAt.IsZero() {
		t.Errorf("item 100 = %+v", it)
	}

	addon := WorkshopAddon{Title: "A", Maps: []string{"a1", "a2"}, Campaigns: []WorkshopCampaign{{Name: "a", Modes: map[string][]string{"coop": {"a1", "a2"}}}}}
	if err := s.SetWorkshopError(ctx, 100, "boom"); err != nil {
		t.Fatal(err)
	}
	if err := s.SetWorkshopDownload(ctx, 100, "1", 10, addon); err != nil {
		t.Fatal(err)
	}
	it, _ = s.WorkshopItem(ctx, 100)
	if it.Revision != "1" || it.VPKSize != 10 || it.Error != "" || !reflect.DeepEqual(it.Addon, addon) {
		t.Errorf("after download: %+v", it)
	}

	// Removed: result changes, what was known stays.
	if err := s.SaveWorkshopMeta(ctx, []WorkshopMeta{{ID: 100, Result: 9}}); err != nil {
		t.Fatal(err)
	}
	it, _ = s.WorkshopItem(ctx, 100)
	if !it.Removed || it.Result != 9 || it.Title != "Map A" || it.Revision != "1" {
		t.Errorf("after removal: %+v", it)
	}
	// Back again.
	if err := s.SaveWorkshopMeta(ctx, []WorkshopMeta{{ID: 100, Result: 1, Title: "Map A2", TimeUpdated: 5}}); err != nil {
		t.Fatal(err)
	}
	it, _ = s.WorkshopItem(ctx, 100)
	if it.Removed || it.Banned || it.Title != "Map A2" || it.TimeUpdated != 5 {
		t.Errorf("after return: %+v", it)
	}

	content := []WorkshopLayerEntry{{ID: 300, Revision: "3"}, {ID: 100, Revision: "1"}}
	if err := s.SetWorkshopLayerPublished(ctx, "maps", "000001", content); err != nil {
		t.Fatal(err)
	}
	ls, err := s.WorkshopLayers(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(ls) != 1 || ls[0].Generation != "000001" || !reflect.DeepEqual(ls[0].Content, content) || ls[0].PublishedAt.IsZero() ||
		!reflect.DeepEqual(ls[0].Items, []uint64{300, 100, 200}) {
		t.Errorf("layers = %+v", ls)
	}

	n, err := s.RemoveWorkshopItems(ctx, "maps", []uint64{100, 999})
	if err != nil || n != 1 {
		t.Errorf("RemoveWorkshopItems = %d, %v", n, err)
	}
	// Re-adding appends at the end.
	if _, _, err := s.AddWorkshopItems(ctx, "maps", []WorkshopMeta{{ID: 100, Result: 1, Title: "Map A2", TimeUpdated: 5}}); err != nil {
		t.Fatal(err)
	}
	l, _ = s.WorkshopLayer(ctx, "maps")
	if !reflect.DeepEqual(l.Items, []uint64{300, 200, 100}) {
		t.Errorf("items after remove+add = %v", l.Items)
	}

	items, err := s.WorkshopItems(ctx)
	if err != nil || len(items) != 3 || items[0].ID != 100 || items[2].ID != 300 {
		t.Errorf("WorkshopItems = %+v, %v", items, err)
	}

	if err := s.DeleteWorkshopLayer(ctx, "maps"); err != nil {
		t.Fatal(err)
	}
	for name, err := range map[string]error{
		"layer":        func() error { _, err := s.WorkshopLayer(ctx, "maps"); return err }(),
		"delete again": s.DeleteWorkshopLayer(ctx, "maps"),
		"item":         func() error { _, err := s.WorkshopItem(ctx, 42); return err }(),
		"remove":       func() error { _, err := s.RemoveWorkshopItems(ctx, "maps", []uint64{1}); return err }(),
		"error":        s.SetWorkshopError(ctx, 42, "x"),
		"download":     s.SetWorkshopDownload(ctx, 42, "1", 1, WorkshopAddon{}),
		"publish":      s.SetWorkshopLayerPublished(ctx, "maps", "1", nil),
	} {
		if !errors.Is(err, ErrNotFound) {
			t.Errorf("%s: err = %v, want ErrNotFound", name, err)
		}
	}
	if _, err := s.WorkshopItem(ctx, 1<<63); err == nil {
		t.Error("id 2^63 accepted")
	}
}

func TestWorkshopLayerSharesLayerIDs(t *testing.T) {
	ctx := context.Background()
	s := openWorkshopTestStore(t)
	if _, err := s.CreateLayer(ctx, Layer{ID: "scripted", Kind: LayerScript, Name: "scripted"}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.AddWorkshopItems(ctx, "scripted", []WorkshopMeta{{ID: 1, Result: 1}}); !errors.Is(err, ErrConflict) {
		t.Errorf("workshop items into a script layer: err = %v, want ErrConflict", err)
	}
	if _, _, err := s.AddWorkshopItems(ctx, "maps", []WorkshopMeta{{ID: 1, Result: 1}}); err != nil {
		t.Fatal(err)
	}
	l, err := s.LayerByID(ctx, "maps")
	if err != nil || l.Kind != LayerWorkshop {
		t.Errorf("layers row = %+v, %v", l, err)
	}
	if _, err := s.CreateLayer(ctx, Layer{ID: "maps", Kind: LayerScript, Name: "maps"}); !errors.Is(err, ErrConflict) {
		t.Errorf("script layer over a workshop layer: err = %v, want ErrConflict", err)
	}
	// Deleting the layer through the content layers' table removes the
	// workshop rows too.
	if err := s.DeleteLayer(ctx, "maps"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.WorkshopLayer(ctx, "maps"); !errors.Is(err, ErrNotFound) {
		t.Errorf("workshop layer after DeleteLayer: %v", err)
	}
	if _, err := s.WorkshopItem(ctx, 1); err != nil {
		t.Errorf("item gone with the layer: %v", err)
	}
}

func TestAddWorkshopItemsAtomic(t *testing.T) {
	ctx := context.Background()
	s := openWorkshopTestStore(t)
	// The second meta has an id out of range: nothing may be created.
	_, _, err := s.AddWorkshopItems(ctx, "maps", []WorkshopMeta{{ID: 1, Result: 1}, {ID: 1 << 63, Result: 1}})
	if err == nil {
		t.Fatal("want an error")
	}
	if _, err := s.WorkshopLayer(ctx, "maps"); !errors.Is(err, ErrNotFound) {
		t.Errorf("layer exists after failed add: %v", err)
	}
	if _, err := s.WorkshopItem(ctx, 1); !errors.Is(err, ErrNotFound) {
		t.Errorf("item exists after failed add: %v", err)
	}
}
