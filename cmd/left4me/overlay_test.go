package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/left4me/left4me/internal/content"
	"github.com/left4me/left4me/internal/layout"
	"github.com/left4me/left4me/internal/overlay"
	"github.com/left4me/left4me/internal/steamcmd"
)

func TestOverlayCommands(t *testing.T) {
	f := newCLIFixture(t)
	f.env["LEFT4ME_BUILD_SANDBOX"] = "none"
	out := f.must(t, "", "overlay", "seed", filepath.Join("..", "..", "examples", "overlays"))
	if strings.Count(out, "created") < 4 {
		t.Errorf("seed:\n%s", out)
	}
	out = f.must(t, "", "overlay", "seed", filepath.Join("..", "..", "examples", "overlays"))
	if strings.Contains(out, "created") {
		t.Errorf("second seed created layers:\n%s", out)
	}
	script := "mkdir -p left4dead2/cfg\necho 'sv_x 1' > left4dead2/cfg/x.cfg\necho built-it\n"
	f.must(t, script, "overlay", "create-script", "mine", "--script", "-", "--name", "Mine")
	out = f.must(t, "", "overlay", "build", "mine")
	if !strings.Contains(out, "built-it") || !strings.Contains(out, "published mine generation 000001-") {
		t.Errorf("build output:\n%s", out)
	}
	f.must(t, "exit 4\n", "overlay", "set-script", "mine", "--script", "-")
	if code, _, errOut := f.run(t, "", "overlay", "build", "mine"); code != 1 || !strings.Contains(errOut, "exit status 4") {
		t.Errorf("failing build: exit %d\n%s", code, errOut)
	}
	vpk := filepath.Join(t.TempDir(), "map.vpk")
	os.WriteFile(vpk, []byte("VPK"), 0o644)
	f.must(t, "", "overlay", "upload", "maps", "--path", "left4dead2/addons", vpk)
	out = f.must(t, "", "overlay", "show", "maps", "--tree")
	if !strings.Contains(out, "left4dead2/addons/map.vpk") {
		t.Errorf("show --tree:\n%s", out)
	}
	if code, _, _ := f.run(t, "", "overlay", "upload", "maps", "--path", "../etc", vpk); code != 1 {
		t.Errorf("upload outside left4dead2: exit %d", code)
	}
	out = f.must(t, "", "overlay", "list")
	for _, want := range []string{"mine", "maps", "tickrate", "upload", "script"} {
		if !strings.Contains(out, want) {
			t.Errorf("list lacks %q:\n%s", want, out)
		}
	}
	f.must(t, "", "overlay", "delete", "mine")
	if code, _, _ := f.run(t, "", "overlay", "show", "mine"); code != 1 {
		t.Errorf("show of a deleted layer: exit %d", code)
	}
	if code, _, _ := f.run(t, "", "overlay", "create-script", "Bad!", "--script", "-"); code == 0 {
		t.Error("bad id accepted")
	}
	if code, _, _ := f.run(t, "", "overlay", "frobnicate"); code != 2 {
		t.Errorf("unknown subcommand: exit %d", code)
	}
	// A negative grace is refused, not taken as "everything is due".
	for _, args := range [][]string{{"overlay", "gc", "--grace", "-5m"}, {"install", "--gc", "--grace", "-1s"}} {
		if code, _, errOut := f.run(t, "", args...); code != 2 || !strings.Contains(errOut, "--grace") {
			t.Errorf("%s: exit %d, %q; want 2 naming --grace", strings.Join(args, " "), code, errOut)
		}
	}
	f.env["LEFT4ME_GENERATION_GRACE"] = "-1h"
	if code, _, errOut := f.run(t, "", "overlay", "gc"); code != 1 || !strings.Contains(errOut, "LEFT4ME_GENERATION_GRACE") {
		t.Errorf("negative LEFT4ME_GENERATION_GRACE: exit %d, %q", code, errOut)
	}
}

func TestInstallCommand(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "steamcmd.sh")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	if err := steamcmd.BuildFake(ctx, bin); err != nil {
		t.Fatal(err)
	}
	f := newCLIFixture(t)
	f.env["LEFT4ME_BUILD_SANDBOX"] = "none"
	f.env["LEFT4ME_STEAMCMD"] = bin
	out := f.must(t, "", "install")
	if !strings.Contains(out, "installed build 1000 as generation 000001-") {
		t.Errorf("install:\n%s", out)
	}
	out = f.must(t, "", "install")
	if !strings.Contains(out, "already installed") {
		t.Errorf("second install:\n%s", out)
	}
	out = f.must(t, "", "install", "--validate")
	if !strings.Contains(out, "as generation 000002-") {
		t.Errorf("validate:\n%s", out)
	}
	// An instance last started on the newest generation is listed as
	// running it (content.InstallGenerations).
	gens, err := layout.Generations(f.root.Installations())
	if err != nil || len(gens) != 2 {
		t.Fatalf("generations %q, %v", gens, err)
	}
	os.MkdirAll(f.root.Instance("vs"), 0o755)
	if err := overlay.WriteEnvFile(f.root.InstanceEnv("vs"), overlay.Env{Port: 23015, LowerDirs: []string{f.root.Installation(gens[1])}}, -1, -1); err != nil {
		t.Fatal(err)
	}
	out = f.must(t, "", "install", "--list")
	if strings.Count(out, "\n") != 3 || !regexp.MustCompile(`(?m)^`+gens[1]+` +1000 +yes +yes +vs *$`).MatchString(out) {
		t.Errorf("list:\n%s", out)
	}
	out = f.must(t, "", "install", "--gc", "--grace", "1ns")
	if !strings.Contains(out, "removed") || !strings.Contains(out, "000001-") {
		t.Errorf("gc:\n%s", out)
	}
	// --queue hands the install to the panel's workers, one at a time
	// (content.EnqueueInstall, as the panel's button).
	out = f.must(t, "", "install", "--queue")
	m := regexp.MustCompile(`^queued job (\d+) \(install\)\n$`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("install --queue: %q", out)
	}
	if out := f.must(t, "", "install", "--queue"); out != "an install is already queued or running: job "+m[1]+"\n" {
		t.Errorf("second install --queue: %q", out)
	}
	if out := f.must(t, "", "job", "list"); !strings.Contains(out, "install") {
		t.Errorf("job list after install --queue:\n%s", out)
	}
	if code, _, errOut := f.run(t, "", "install", "--queue", "--steamcmd", bin); code != 2 || !strings.Contains(errOut, "--queue and --steamcmd") {
		t.Errorf("--queue with --steamcmd: exit %d %q", code, errOut)
	}
	f.env["LEFT4ME_STEAMCMD"] = filepath.Join(t.TempDir(), "missing.sh")
	if code, _, errOut := f.run(t, "", "install"); code != 1 || !strings.Contains(errOut, "LEFT4ME_STEAMCMD") {
		t.Errorf("missing steamcmd: exit %d\n%s", code, errOut)
	}
}

// TestPanelGCGrace: the panel's daily GC (the content service's) keeps
// superseded generations for LEFT4ME_GENERATION_GRACE, as the README says,
// not always for the default day.
func TestPanelGCGrace(t *testing.T) {
	for _, tc := range []struct {
		grace string
		kept  bool
	}{{"", true}, {"30m", false}, {"2h", true}} {
		root, err := layout.New(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		parent := filepath.Join(root.Overlays(), "maps")
		var gens []string
		for i, age := range []time.Duration{3 * time.Hour, time.Hour} {
			src := filepath.Join(root.Builds(), fmt.Sprint("b", i), "output")
			if err := os.MkdirAll(src, 0o755); err != nil {
				t.Fatal(err)
			}
			g, err := content.Publish(parent, src, "", time.Now().Add(-age))
			if err != nil {
				t.Fatal(err)
			}
			gens = append(gens, g)
		}
		cfg, err := loadConfig(envFunc(map[string]string{"LEFT4ME_ROOT": root.String(),
			"LEFT4ME_GENERATION_GRACE": tc.grace, "LEFT4ME_BUILD_SANDBOX": "none"}))
		if err != nil {
			t.Fatal(err)
		}
		svc, closeFn := contentService(&app{cfg: cfg, log: slog.New(slog.DiscardHandler)})
		if _, err := svc.GC(context.Background()); err != nil {
			t.Fatal(err)
		}
		closeFn()
		_, err = os.Stat(filepath.Join(parent, gens[0]))
		if kept := err == nil; kept != tc.kept {
			t.Errorf("grace %q: generation superseded an hour ago kept = %v, want %v", tc.grace, kept, tc.kept)
		}
	}
}
