package instance

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

// writeUpper writes files (path -> content) into dir.
func writeUpper(t testing.TB, dir string, files map[string]string) {
	t.Helper()
	for p, content := range files {
		full := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(content), 0o640); err != nil {
			t.Fatal(err)
		}
	}
}

// hiddenEntries lists the dot entries of dir (temporary directories).
func hiddenEntries(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		t.Fatal(err)
	}
	var hidden []string
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".") && !strings.HasSuffix(e.Name(), ".lock") {
			hidden = append(hidden, e.Name())
		}
	}
	return hidden
}

func TestCloneCopiesStackConfigAndFiles(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	off := false
	src, err := f.svc.Create(ctx, Spec{Name: "src", OwnerID: f.owner, Layers: []string{"zonemod"}, Args: []string{"+map", "c1m1_hotel"}, ServerCfg: "hostname src\n", Autostart: &off})
	if err != nil {
		t.Fatal(err)
	}
	upper := f.root.Upper("src")
	writeUpper(t, upper, map[string]string{
		"left4dead2/addons/sourcemod/configs/admins.cfg": "admins\n",
		"left4dead2/cfg/" + LaunchCfgName:                "rcon_password secret\n",
		"left4dead2/cfg/" + BansCfgName:                  "banid 0 STEAM_1:0:5\n",
		"left4dead2/logs/L0101000.log":                   "old log\n",
	})
	if err := os.Chmod(filepath.Join(upper, "left4dead2/addons/sourcemod/configs/admins.cfg"), 0o604); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("../addons", filepath.Join(upper, "left4dead2/cfg/addons-link")); err != nil {
		t.Fatal(err)
	}
	root := os.Geteuid() == 0
	if err := unix.Mknod(filepath.Join(upper, "left4dead2/motd.txt"), unix.S_IFCHR, 0); err != nil {
		t.Fatalf("a whiteout (Linux 5.8 lets anyone make one): %v", err)
	}
	if root {
		if err := os.MkdirAll(filepath.Join(upper, "left4dead2/maps"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := unix.Setxattr(filepath.Join(upper, "left4dead2/maps"), "trusted.overlay.opaque", []byte("y"), 0); err != nil {
			t.Fatal(err)
		}
	}
	// The source runs: the copy is made while it does.
	f.sup.state["src"] = Running

	in, err := f.svc.Clone(ctx, "src", CloneSpec{Name: "dst"})
	if err != nil {
		t.Fatal(err)
	}
	if in.Port == src.Port || in.RCONPassword == src.RCONPassword || in.RCONPassword == "" {
		t.Errorf("clone shares the port %d or the RCON password of its source", in.Port)
	}
	if !slices.Equal(in.Layers, src.Layers) || !slices.Equal(in.Args, src.Args) || in.OwnerID != src.OwnerID || in.Autostart {
		t.Errorf("clone: layers %v args %v owner %d autostart %v, want the source's", in.Layers, in.Args, in.OwnerID, in.Autostart)
	}
	if in.WantRunning {
		t.Error("the clone is to be stopped")
	}
	if cfg, _ := f.svc.ServerCfg(ctx, "dst"); cfg != "hostname src\n" {
		t.Errorf("clone's server.cfg = %q", cfg)
	}
	dst := f.root.Upper("dst")
	got := filepath.Join(dst, "left4dead2/addons/sourcemod/configs/admins.cfg")
	if b, err := os.ReadFile(got); err != nil || string(b) != "admins\n" {
		t.Errorf("copied file: %q, %v", b, err)
	}
	var a, b syscall.Stat_t
	if err := syscall.Stat(got, &b); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Stat(filepath.Join(upper, "left4dead2/addons/sourcemod/configs/admins.cfg"), &a); err != nil {
		t.Fatal(err)
	}
	if a.Ino == b.Ino {
		t.Error("the clone's file shares an inode with its source's")
	}
	if b.Mode&0o777 != 0o604 {
		t.Errorf("mode %o, want 604", b.Mode&0o777)
	}
	if l, err := os.Readlink(filepath.Join(dst, "left4dead2/cfg/addons-link")); err != nil || l != "../addons" {
		t.Errorf("symlink: %q, %v", l, err)
	}
	var w unix.Stat_t
	if err := unix.Lstat(filepath.Join(dst, "left4dead2/motd.txt"), &w); err != nil || w.Mode&unix.S_IFMT != unix.S_IFCHR || w.Rdev != 0 {
		t.Errorf("whiteout not copied as one (%v)", err)
	}
	if root {
		buf := make([]byte, 4)
		if n, err := unix.Getxattr(filepath.Join(dst, "left4dead2/maps"), "trusted.overlay.opaque", buf); err != nil || string(buf[:n]) != "y" {
			t.Errorf("opaque mark not copied: %q, %v", buf[:n], err)
		}
	}
	for _, p := range []string{"left4dead2/cfg/" + LaunchCfgName, "left4dead2/cfg/" + BansCfgName, "left4dead2/logs/L0101000.log"} {
		if _, err := os.Lstat(filepath.Join(dst, p)); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s was copied (err=%v)", p, err)
		}
	}
	if h := hiddenEntries(t, f.root.Runtimes()); len(h) != 0 {
		t.Errorf("temporary directories left in runtime/: %v", h)
	}
	// The clone starts as any instance does, with its own password.
	if err := f.svc.Start(ctx, "dst"); err != nil {
		t.Fatal(err)
	}
	launch, err := os.ReadFile(filepath.Join(dst, "left4dead2/cfg", LaunchCfgName))
	if err != nil || !bytes.Contains(launch, []byte(in.RCONPassword)) || bytes.Contains(launch, []byte("secret")) {
		t.Errorf("the clone's launch cfg: %q, %v", launch, err)
	}
}

func TestCloneRefusesBadInput(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	for _, n := range []string{"src", "taken"} {
		if _, err := f.svc.Create(ctx, Spec{Name: n, OwnerID: f.owner}); err != nil {
			t.Fatal(err)
		}
	}
	writeUpper(t, f.root.Upper("src"), map[string]string{"left4dead2/a.txt": "a"})
	before, _ := f.svc.Get(ctx, "taken")
	tests := []struct {
		name, src string
		c         CloneSpec
		want      error
		field     string
	}{
		{"existing name", "src", CloneSpec{Name: "taken"}, ErrExists, FieldName},
		{"itself", "src", CloneSpec{Name: "src"}, ErrExists, FieldName},
		{"bad name", "src", CloneSpec{Name: "Bad Name"}, ErrInvalid, FieldName},
		{"bad port", "src", CloneSpec{Name: "x1", Port: 70000}, ErrInvalid, FieldPort},
		{"port of another instance", "src", CloneSpec{Name: "x2", Port: before.Port}, ErrPortUsed, FieldPort},
		{"missing source", "nosuch", CloneSpec{Name: "x3"}, ErrNotFound, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := f.svc.Clone(ctx, tt.src, tt.c)
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			var fe *FieldError
			if tt.field != "" && (!errors.As(err, &fe) || fe.Field != tt.field) {
				t.Errorf("err = %v, want a FieldError for %q", err, tt.field)
			}
			if tt.c.Name != "taken" && tt.c.Name != "src" {
				f.assertAbsent(t, tt.c.Name)
			}
			if h := hiddenEntries(t, f.root.Runtimes()); len(h) != 0 {
				t.Errorf("temporary directories left in runtime/: %v", h)
			}
		})
	}
	if after, _ := f.svc.Get(ctx, "taken"); after.Port != before.Port || after.RCONPassword != before.RCONPassword {
		t.Error("a refused clone changed the instance it was refused for")
	}
	if _, err := os.Lstat(filepath.Join(f.root.Upper("taken"), "left4dead2/a.txt")); !errors.Is(err, os.ErrNotExist) {
		t.Error("a refused clone wrote into the existing instance's upper")
	}
}

// TestCloneQuota: a clone is a create: past the account's limit it is
// refused and nothing of it stays.
func TestCloneQuota(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	u, err := f.st.CreateUser(ctx, "limited", "hash", false)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Create(ctx, Spec{Name: "mine", OwnerID: u.ID}); err != nil {
		t.Fatal(err)
	}
	one := 1
	lim, _ := f.st.UserByID(ctx, u.ID)
	lim.Limits.MaxInstances = &one
	if err := f.st.SetLimits(ctx, u.ID, lim.Limits); err != nil {
		t.Fatal(err)
	}
	writeUpper(t, f.root.Upper("mine"), map[string]string{"left4dead2/a.txt": "a"})
	if _, err := f.svc.Clone(ctx, "mine", CloneSpec{Name: "more"}); !errors.Is(err, ErrQuota) {
		t.Fatalf("err = %v, want ErrQuota", err)
	}
	f.assertAbsent(t, "more")
	if h := hiddenEntries(t, f.root.Runtimes()); len(h) != 0 {
		t.Errorf("temporary directories left in runtime/: %v", h)
	}
}

func TestTemplates(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	if _, err := f.svc.Create(ctx, Spec{Name: "base", OwnerID: f.owner, Layers: []string{"maps"}, Args: []string{"+map", "c2m1_highway"}, ServerCfg: "hostname base\n"}); err != nil {
		t.Fatal(err)
	}
	writeUpper(t, f.root.Upper("base"), map[string]string{"left4dead2/addons/x.smx": "plugin"})
	tp, err := f.svc.SaveTemplate(ctx, "base", "coop", true, 0)
	if err != nil {
		t.Fatal(err)
	}
	if tp.OwnerID != f.owner || !tp.Files || tp.Size != int64(len("plugin")) {
		t.Errorf("saved %+v", tp)
	}
	if _, err := f.svc.SaveTemplate(ctx, "base", "bare", false, 0); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.SaveTemplate(ctx, "base", "coop", false, 0); !errors.Is(err, ErrExists) {
		t.Errorf("save over an existing template: %v, want ErrExists", err)
	}
	var fe *FieldError
	if _, err := f.svc.SaveTemplate(ctx, "base", "Bad Name", false, 0); !errors.As(err, &fe) || fe.Field != FieldTemplate {
		t.Errorf("bad template name: %v", err)
	}
	if _, err := f.svc.SaveTemplate(ctx, "nosuch", "t2", false, 0); !errors.Is(err, ErrNotFound) {
		t.Errorf("template of a missing instance: %v", err)
	}
	list, err := f.svc.Templates(ctx)
	if err != nil || len(list) != 2 || list[0].Name != "bare" || list[1].Name != "coop" {
		t.Fatalf("Templates = %+v, %v", list, err)
	}
	in, err := f.svc.Create(ctx, Spec{Name: "fromtpl", OwnerID: f.owner, Template: "coop"})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(in.Layers, []string{"maps"}) || !slices.Equal(in.Args, []string{"+map", "c2m1_highway"}) {
		t.Errorf("from template: %v %v", in.Layers, in.Args)
	}
	if cfg, _ := f.svc.ServerCfg(ctx, "fromtpl"); cfg != "hostname base\n" {
		t.Errorf("cfg %q", cfg)
	}
	if b, err := os.ReadFile(filepath.Join(f.root.Upper("fromtpl"), "left4dead2/addons/x.smx")); err != nil || string(b) != "plugin" {
		t.Errorf("template files: %q, %v", b, err)
	}
	bare, err := f.svc.Create(ctx, Spec{Name: "frombare", OwnerID: f.owner, Template: "bare", Args: []string{"+map", "c3m1_plankcountry"}})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(bare.Args, []string{"+map", "c3m1_plankcountry"}) {
		t.Errorf("explicit args lost to the template's: %v", bare.Args)
	}
	if _, err := os.Lstat(filepath.Join(f.root.Upper("frombare"), "left4dead2")); !errors.Is(err, os.ErrNotExist) {
		t.Error("a template without files gave files")
	}
	if _, err := f.svc.Create(ctx, Spec{Name: "x", OwnerID: f.owner, Template: "nosuch"}); !errors.As(err, &fe) || fe.Field != FieldTemplate {
		t.Errorf("missing template: %v", err)
	}
	f.assertAbsent(t, "x")
	if err := f.svc.RemoveTemplate(ctx, "coop"); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.RemoveTemplate(ctx, "coop"); !errors.As(err, &fe) || fe.Field != FieldTemplate {
		t.Errorf("remove twice: %v", err)
	}
	if list, _ := f.svc.Templates(ctx); len(list) != 1 {
		t.Errorf("after remove: %+v", list)
	}
	if h := hiddenEntries(t, f.root.Templates()); len(h) != 0 {
		t.Errorf("temporary directories left in templates/: %v", h)
	}
	if _, err := os.Lstat(filepath.Join(f.root.Upper("fromtpl"), "left4dead2/addons/x.smx")); err != nil {
		t.Error("removing a template took the files of an instance made from it")
	}
}

// BenchmarkClone1MiB: a clone of an instance with 1 MiB in its upper (64
// files of 16 KiB in 8 directories). Target: at most 100 ms (median).
func BenchmarkClone1MiB(b *testing.B) {
	f := newFixture(b)
	f.svc.cfg.PortMax = 27999
	ctx := context.Background()
	if _, err := f.svc.Create(ctx, Spec{Name: "src", OwnerID: f.owner, ServerCfg: "hostname x\n"}); err != nil {
		b.Fatal(err)
	}
	files := map[string]string{}
	chunk := strings.Repeat("x", 16<<10)
	for i := range 64 {
		files[fmt.Sprintf("left4dead2/addons/d%d/f%d.smx", i%8, i)] = chunk
	}
	writeUpper(b, f.root.Upper("src"), files)
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		name := fmt.Sprintf("c%d", i)
		if _, err := f.svc.Clone(ctx, "src", CloneSpec{Name: name}); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		if err := f.svc.Delete(ctx, name); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
}

// TestCloneFailingCopyLeavesNothing: a copy that fails half-way (a pipe in
// the upper, which cannot be copied) leaves no record, no directory and no
// temporary copy, and says what to do.
func TestCloneFailingCopyLeavesNothing(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	if _, err := f.svc.Create(ctx, Spec{Name: "src", OwnerID: f.owner}); err != nil {
		t.Fatal(err)
	}
	writeUpper(t, f.root.Upper("src"), map[string]string{"left4dead2/a.cfg": "a", "left4dead2/z/b.cfg": "b"})
	if err := unix.Mkfifo(filepath.Join(f.root.Upper("src"), "left4dead2", "pipe"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := f.svc.Clone(ctx, "src", CloneSpec{Name: "dst"})
	if !errors.Is(err, ErrUncopyable) || !strings.Contains(err.Error(), "left4dead2/pipe") || !strings.Contains(err.Error(), "remove it first") {
		t.Fatalf("err = %v, want the pipe named", err)
	}
	f.assertAbsent(t, "dst")
	if h := hiddenEntries(t, f.root.Runtimes()); len(h) != 0 {
		t.Errorf("temporary directories left in runtime/: %v", h)
	}
}
