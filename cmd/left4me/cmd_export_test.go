package main

import (
	"crypto/rand"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/left4me/left4me/internal/fakesrcds"
	"github.com/left4me/left4me/internal/overlay"
)

// exportFixture is a state root with a stand-in installation (generation
// 0001), layers "alpha" (generation 0001, sets alpha_cvar) and "beta"
// (0001), and an account alice. bin is the stand-in engine copied into the
// installation ("" for none).
func exportFixture(t *testing.T, bin string) *cliFixture {
	t.Helper()
	f := newCLIFixture(t)
	f.env[adminPasswordEnv] = "password-one"
	f.must(t, "", "user", "create", "alice", "--admin")
	if err := fakesrcds.WriteInstallation(f.root.Installation("0001"), bin); err != nil {
		t.Fatal(err)
	}
	for id, cfg := range map[string]string{"alpha": "sv_alpha_layer 1\n", "beta": "sv_beta_layer 1\n"} {
		dir := filepath.Join(f.root.Overlay(id, "0001"), "left4dead2", "cfg")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, id+".cfg"), []byte(cfg), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return f
}

var exportLine = regexp.MustCompile(`(?m)^(sha256:[0-9a-f]{64})  (written|reused)\s+(\S+)$`)

// exportedLayers parses export's output into the generation layers'
// digests by name and how many were reused.
func exportedLayers(t *testing.T, out string) (digests map[string]string, reused int) {
	t.Helper()
	digests = map[string]string{}
	for _, m := range exportLine.FindAllStringSubmatch(out, -1) {
		digests[m[3]] = m[1]
		if m[2] == "reused" {
			reused++
		}
	}
	if len(digests) == 0 {
		t.Fatalf("export printed no layers:\n%s", out)
	}
	return digests, reused
}

// TestExportSharesGenerationLayers: two instances on the same installation
// and layer share those layers' blobs; a re-export reuses every generation
// layer from the cache (the times are printed, not asserted).
func TestExportSharesGenerationLayers(t *testing.T) {
	f := exportFixture(t, "")
	// 32 MiB of game, so that the times below say something.
	big := make([]byte, 32<<20)
	rand.Read(big)
	if err := os.WriteFile(filepath.Join(f.root.Installation("0001"), "left4dead2", "pak01_000.vpk"), big, 0o644); err != nil {
		t.Fatal(err)
	}
	f.must(t, "", "instance", "create", "one", "--owner", "alice", "--layer", "alpha", "--layer", "beta")
	f.must(t, "", "instance", "create", "two", "--owner", "alice", "--layer", "alpha")
	out := t.TempDir()

	start := time.Now()
	first := f.must(t, "", "export", "one", "--oci", filepath.Join(out, "one"))
	firstTook := time.Since(start)
	d1, reused := exportedLayers(t, first)
	if reused != 0 {
		t.Errorf("first export reused %d layers from an empty cache:\n%s", reused, first)
	}
	for _, name := range []string{"installations/0001", "overlays/alpha/0001", "overlays/beta/0001", "config"} {
		if d1[name] == "" {
			t.Errorf("export of one has no layer %s:\n%s", name, first)
		}
	}
	second := f.must(t, "", "export", "two", "--oci", filepath.Join(out, "two"))
	d2, reused := exportedLayers(t, second)
	for _, name := range []string{"installations/0001", "overlays/alpha/0001"} {
		if d1[name] != d2[name] {
			t.Errorf("layer %s: %s in one, %s in two; want one blob", name, d1[name], d2[name])
		}
	}
	if reused != 2 {
		t.Errorf("export of two reused %d layers, want 2 (installation and alpha):\n%s", reused, second)
	}

	start = time.Now()
	again := f.must(t, "", "export", "one", "--oci", filepath.Join(out, "one-again"))
	againTook := time.Since(start)
	d3, reused := exportedLayers(t, again)
	if reused != 3 {
		t.Errorf("re-export reused %d generation layers, want all 3:\n%s", reused, again)
	}
	for name, d := range d1 {
		if d3[name] != d {
			t.Errorf("re-export: layer %s is %s, was %s", name, d3[name], d)
		}
	}
	t.Logf("export of one: first %v (layers written), second %v (every generation layer reused)", firstTook, againTook)

	// The layout: index → manifest → config with the entrypoint, the
	// labels, the user and the layers in stack order.
	cfg := readImageConfig(t, filepath.Join(out, "one"))
	ep := strings.Join(cfg.Config.Entrypoint, " ")
	if !strings.HasPrefix(ep, "/l4d2/srcds_run -game left4dead2 -norestart -strictportbind") {
		t.Errorf("entrypoint %q", ep)
	}
	if cfg.Config.User != "1000:1000" || cfg.Config.Labels["org.left4me.instance"] != "one" ||
		cfg.Config.Labels["org.left4me.generations"] != "installations/0001,overlays/beta/0001,overlays/alpha/0001" ||
		cfg.Config.Labels["org.left4me.version"] == "" {
		t.Errorf("config = %+v", cfg.Config)
	}
	if len(cfg.RootFS.DiffIDs) != 4 || cfg.RootFS.DiffIDs[0] != d1["installations/0001"] || cfg.RootFS.DiffIDs[1] != d1["overlays/beta/0001"] || cfg.RootFS.DiffIDs[2] != d1["overlays/alpha/0001"] {
		t.Errorf("layers %v, want installation, beta, alpha, config", cfg.RootFS.DiffIDs)
	}
}

type imageConfig struct {
	Config struct {
		User         string
		Entrypoint   []string
		ExposedPorts map[string]struct{}
		Labels       map[string]string
	} `json:"config"`
	RootFS struct {
		DiffIDs []string `json:"diff_ids"`
	} `json:"rootfs"`
}

func readJSONBlob(t *testing.T, dir, digest string, v any) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, "blobs", "sha256", strings.TrimPrefix(digest, "sha256:")))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, v); err != nil {
		t.Fatal(err)
	}
}

func readImageConfig(t *testing.T, dir string) imageConfig {
	t.Helper()
	var index struct {
		Manifests []struct{ Digest string } `json:"manifests"`
	}
	data, err := os.ReadFile(filepath.Join(dir, "index.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &index); err != nil || len(index.Manifests) != 1 {
		t.Fatalf("index.json %s: %v", data, err)
	}
	var manifest struct {
		Config struct{ Digest string } `json:"config"`
	}
	readJSONBlob(t, dir, index.Manifests[0].Digest, &manifest)
	var cfg imageConfig
	readJSONBlob(t, dir, manifest.Config.Digest, &cfg)
	return cfg
}

// TestExportRefusesBadInput: a missing instance, a destination that is not
// empty, a generation that was removed: a clear error, exit 1, and nothing
// written beside the destination.
func TestExportRefusesBadInput(t *testing.T) {
	f := exportFixture(t, "")
	f.must(t, "", "instance", "create", "one", "--owner", "alice", "--layer", "alpha")
	out := t.TempDir()
	full := filepath.Join(out, "full")
	if err := os.MkdirAll(full, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(full, "keep"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(out, "taken.tar"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	// one's staged stack names alpha generation 0000, which is gone.
	env := overlay.Env{Port: 23015, ClientPort: 23016, LowerDirs: []string{f.root.Overlay("alpha", "0000"), f.root.Installation("0001")}}
	tests := []struct {
		name  string
		setup func()
		args  []string
		want  string
	}{
		{"missing instance", nil, []string{"export", "nosuch", "--oci", filepath.Join(out, "a")}, `instance not found: "nosuch"`},
		{"directory not empty", nil, []string{"export", "one", "--oci", full}, "is not empty"},
		{"archive exists", nil, []string{"export", "one", "--oci-archive", filepath.Join(out, "taken.tar")}, "already exists"},
		{"agones directory not empty", nil, []string{"export", "one", "--agones", full}, "not an empty directory"},
		{"no destination", nil, []string{"export", "one"}, "exactly one of"},
		{"bad port policy", nil, []string{"export", "one", "--agones", filepath.Join(out, "b"), "--port-policy", "Random"}, `port policy "Random"`},
		{"generation removed", func() {
			if err := overlay.WriteEnvFile(f.root.InstanceEnv("one"), env, -1, -1); err != nil {
				t.Fatal(err)
			}
		}, []string{"export", "one", "--oci", filepath.Join(out, "c")}, "layer alpha generation 0000"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.setup != nil {
				tt.setup()
			}
			code, _, errOut := f.run(t, "", tt.args...)
			if code == 0 || !strings.Contains(errOut, tt.want) {
				t.Errorf("exit %d, stderr %q; want non-zero and %q", code, errOut, tt.want)
			}
		})
	}
	entries, err := os.ReadDir(out)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if strings.Join(names, " ") != "full taken.tar" {
		t.Errorf("after the refused exports %s holds %v; want only full and taken.tar", out, names)
	}
	if keep, _ := os.ReadDir(full); len(keep) != 1 {
		t.Errorf("the non-empty directory was changed: %v", keep)
	}
}
