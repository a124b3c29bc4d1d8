package web

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/left4me/left4me/internal/instance"
	"github.com/left4me/left4me/internal/store"
)

// TestUsedByShowsOnlyVisibleInstances: "Used by" on the layers page, a
// layer's page and both API answers names only the instances the viewer
// may see (its own and those shared with it); an administrator sees all.
func TestUsedByShowsOnlyVisibleInstances(t *testing.T) {
	ce := newContentEnv(t, false)
	ctx := context.Background()
	if err := os.MkdirAll(filepath.Join(ce.root.Overlay("example", "1"), "left4dead2", "cfg"), 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := ce.cs.CreateScript(ctx, store.Layer{ID: "example", Script: "echo hi\n"}); err != nil {
		t.Fatal(err)
	}
	alice := ce.quickUser("alice", false)
	bob := ce.quickUser("bob", false)
	root := ce.as(ce.quickUser("root", true))
	for _, in := range []struct {
		name  string
		owner store.User
	}{{"alice-secret", alice}, {"alice-shared", alice}, {"bob-own", bob}} {
		if _, err := ce.svc.Create(ctx, instance.Spec{Name: in.name, OwnerID: in.owner.ID, Layers: []string{"example"}}); err != nil {
			t.Fatal(err)
		}
	}
	if err := ce.st.SetShare(ctx, "alice-shared", bob.ID, "viewer"); err != nil {
		t.Fatal(err)
	}
	b := ce.as(bob)
	for _, path := range []string{"/layers", "/layers/example", "/api/v1/layers", "/api/v1/layers/example"} {
		_, body := b.get(path)
		if strings.Contains(body, "alice-secret") {
			t.Errorf("bob's %s names alice's instance alice-secret", path)
		}
		if !strings.Contains(body, "bob-own") || !strings.Contains(body, "alice-shared") {
			t.Errorf("bob's %s lacks his own or the shared instance:\n%s", path, body)
		}
		if _, body := root.get(path); !strings.Contains(body, "alice-secret") {
			t.Errorf("the administrator's %s lacks alice-secret", path)
		}
	}
}
