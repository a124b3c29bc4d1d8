package agones

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	yaml "go.yaml.in/yaml/v4"
)

// schema compiles testdata/agones-v1.schema.json (see its README.md).
func schema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", "agones-v1.schema.json"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("agones-v1.schema.json", doc); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile("agones-v1.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	return sch
}

// instanceOf turns a YAML manifest into the JSON value the schema checks.
func instanceOf(t *testing.T, data []byte) any {
	t.Helper()
	var v any
	if err := yaml.Unmarshal(data, &v); err != nil {
		t.Fatalf("manifest is not YAML: %v\n%s", err, data)
	}
	js, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(js))
	if err != nil {
		t.Fatal(err)
	}
	return inst
}

func testSpec(policy string) Spec {
	return Spec{Name: "vs_1", Image: "registry.example/left4me/vs_1:latest", Port: 27015, ClientPort: 27016,
		Replicas: 3, PortPolicy: policy, Generations: []string{"installations/0001", "overlays/alpha/0002"}}
}

// TestManifestsValidate: the Fleet and GameServer of both port policies
// validate against the Agones schema.
func TestManifestsValidate(t *testing.T) {
	sch := schema(t)
	for _, policy := range []string{PortDynamic, PortStatic} {
		files, err := Files(testSpec(policy))
		if err != nil {
			t.Fatal(err)
		}
		for name, data := range files {
			if err := sch.Validate(instanceOf(t, data)); err != nil {
				t.Errorf("%s %s does not validate: %v\n%s", policy, name, err, data)
			}
		}
		var fleet struct {
			Metadata struct{ Name string }
			Spec     struct {
				Replicas int
				Template struct {
					Spec struct {
						Container string
						Health    struct{ Disabled bool }
						Template  struct {
							Spec struct {
								Containers []struct{ Name, Image string }
							}
						}
					}
				}
			}
		}
		if err := yaml.Unmarshal(files["fleet.yaml"], &fleet); err != nil {
			t.Fatal(err)
		}
		gs := fleet.Spec.Template.Spec
		if fleet.Metadata.Name != "vs-1" || fleet.Spec.Replicas != 3 || !gs.Health.Disabled ||
			len(gs.Template.Spec.Containers) != 1 || gs.Template.Spec.Containers[0].Name != gs.Container ||
			gs.Template.Spec.Containers[0].Image != "registry.example/left4me/vs_1:latest" {
			t.Errorf("%s fleet = %+v", policy, fleet)
		}
	}
}

// TestSchemaRefusesBadManifests: the schema is not a formality.
func TestSchemaRefusesBadManifests(t *testing.T) {
	sch := schema(t)
	good, err := Files(testSpec(PortStatic))
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct{ name, old, new string }{
		{"unknown port policy", "portPolicy: Static", "portPolicy: Random"},
		{"misspelt field", "containerPort:", "containerport:"},
		{"static port without hostPort", "hostPort:", "# hostPort:"},
		{"negative replicas", "replicas: 3", "replicas: -1"},
		{"bad quantity", "memory: 2Gi", "memory: two"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			bad := strings.Replace(string(good["fleet.yaml"]), tt.old, tt.new, 1)
			if bad == string(good["fleet.yaml"]) {
				t.Fatalf("%q is not in the manifest", tt.old)
			}
			if err := sch.Validate(instanceOf(t, []byte(bad))); err == nil {
				t.Errorf("the schema accepted:\n%s", bad)
			}
		})
	}
}

// TestResourcesMatchTheUnit: the container's memory request and limit are
// the server unit's MemoryHigh= and MemoryMax=.
func TestResourcesMatchTheUnit(t *testing.T) {
	f, err := os.Open(filepath.Join("..", "..", "deploy", "systemd", "left4me-server@.service"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	unit := map[string]int64{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(strings.TrimSpace(sc.Text()), "=")
		if ok && (k == "MemoryHigh" || k == "MemoryMax") {
			unit[k] = bytesOf(t, v, map[string]float64{"K": 1 << 10, "M": 1 << 20, "G": 1 << 30})
		}
	}
	k8s := map[string]float64{"Ki": 1 << 10, "Mi": 1 << 20, "Gi": 1 << 30}
	if got, want := bytesOf(t, MemoryRequest, k8s), unit["MemoryHigh"]; got != want {
		t.Errorf("memory request %s = %d bytes, MemoryHigh= %d", MemoryRequest, got, want)
	}
	if got, want := bytesOf(t, MemoryLimit, k8s), unit["MemoryMax"]; got != want {
		t.Errorf("memory limit %s = %d bytes, MemoryMax= %d", MemoryLimit, got, want)
	}
}

func bytesOf(t *testing.T, s string, units map[string]float64) int64 {
	t.Helper()
	for suffix, mult := range units {
		if num, ok := strings.CutSuffix(s, suffix); ok {
			v, err := strconv.ParseFloat(num, 64)
			if err != nil {
				t.Fatalf("size %q: %v", s, err)
			}
			return int64(v * mult)
		}
	}
	t.Fatalf("size %q has no unit of %v", s, units)
	return 0
}

// TestWriteRefusesAFullDirectory and leaves nothing beside it.
func TestWriteRefusesAFullDirectory(t *testing.T) {
	parent := t.TempDir()
	full := filepath.Join(parent, "full")
	os.MkdirAll(full, 0o755)
	os.WriteFile(filepath.Join(full, "x"), nil, 0o644)
	if err := Write(full, testSpec(PortDynamic)); err == nil {
		t.Error("Write into a non-empty directory succeeded")
	}
	if err := Write(filepath.Join(parent, "ok"), testSpec(PortDynamic)); err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(parent)
	if len(entries) != 2 {
		t.Errorf("%s holds %d entries, want full and ok", parent, len(entries))
	}
}
