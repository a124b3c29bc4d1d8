// Package agones writes the Kubernetes manifests that run an exported
// instance image on an Agones cluster: a Fleet and an example GameServer
// (docs/scale-out.md §3).
package agones

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	yaml "go.yaml.in/yaml/v4"
)

// APIVersion is the Agones API group and version of the manifests.
const APIVersion = "agones.dev/v1"

// The port policies left4me writes (Agones also has Passthrough, which
// needs the SDK to tell srcds its port: docs/scale-out.md §3).
const (
	PortDynamic = "Dynamic"
	PortStatic  = "Static"
)

// Resources of the game container: those of left4me-server@.service
// (docs/architecture.md §5). MemoryHigh= is where systemd starts reclaiming,
// the request; MemoryMax= kills, the limit. The unit sets no CPU quota, so
// neither do the manifests (TestResourcesMatchTheUnit reads the unit).
const (
	MemoryRequest = "1536Mi" // MemoryHigh=1.5G
	MemoryLimit   = "2Gi"    // MemoryMax=2G
)

// ErrSpec is wrapped by every error about a Spec.
var ErrSpec = errors.New("invalid Agones export")

// Spec is what the manifests are made from.
type Spec struct {
	// Name is the instance's name, the Fleet's and GameServer's name.
	Name string
	// Image is the image reference the game container runs.
	Image string
	// Port and ClientPort are the instance's block: the game port (UDP
	// queries and TCP RCON) and the client port (UDP).
	Port, ClientPort int
	// Replicas of the Fleet (0 or more).
	Replicas int
	// PortPolicy is PortDynamic or PortStatic.
	PortPolicy string
	// Generations are the image's layers (labels of the GameServers).
	Generations []string
}

// Validate checks s.
func (s Spec) Validate() error {
	switch {
	case ObjectName(s.Name) == "":
		return fmt.Errorf("%w: name %q: no Kubernetes name can be made of it", ErrSpec, s.Name)
	case s.Image == "":
		return fmt.Errorf("%w: image: name the image reference the cluster pulls", ErrSpec)
	case s.Replicas < 0:
		return fmt.Errorf("%w: replicas %d: must be 0 or more", ErrSpec, s.Replicas)
	case s.PortPolicy != PortDynamic && s.PortPolicy != PortStatic:
		return fmt.Errorf("%w: port policy %q: must be %s or %s", ErrSpec, s.PortPolicy, PortDynamic, PortStatic)
	case s.Port < 1 || s.Port > 65535 || s.ClientPort < 1 || s.ClientPort > 65535:
		return fmt.Errorf("%w: ports %d and %d: must be between 1 and 65535", ErrSpec, s.Port, s.ClientPort)
	}
	return nil
}

// gameServerSpec is the spec of a GameServer (and of a Fleet's template).
//
// NOTE: health.disabled — srcds does not link the Agones SDK, so it sends
// no health pings; with health checking on, Agones would mark every server
// Unhealthy after initialDelaySeconds + failureThreshold × periodSeconds and
// replace it. Without the SDK nothing calls Ready either: that sidecar is
// not built (docs/scale-out.md §5).
func gameServerSpec(s Spec) map[string]any {
	game := map[string]any{"name": "game", "portPolicy": s.PortPolicy, "containerPort": s.Port, "protocol": "TCPUDP"}
	client := map[string]any{"name": "client", "portPolicy": s.PortPolicy, "containerPort": s.ClientPort, "protocol": "UDP"}
	if s.PortPolicy == PortStatic {
		game["hostPort"] = s.Port
		client["hostPort"] = s.ClientPort
	}
	return map[string]any{
		"container": "l4d2",
		"ports":     []any{game, client},
		"health":    map[string]any{"disabled": true},
		"template": map[string]any{
			"spec": map[string]any{
				"containers": []any{map[string]any{
					"name":  "l4d2",
					"image": s.Image,
					"resources": map[string]any{
						"requests": map[string]any{"memory": MemoryRequest},
						"limits":   map[string]any{"memory": MemoryLimit},
					},
					"securityContext": map[string]any{
						"runAsNonRoot": true, "runAsUser": 1000, "runAsGroup": 1000,
						"allowPrivilegeEscalation": false,
						"capabilities":             map[string]any{"drop": []any{"ALL"}},
					},
				}},
			},
		},
	}
}

func labels(s Spec) map[string]any {
	return map[string]any{"app.kubernetes.io/managed-by": "left4me", "left4me.org/instance": ObjectName(s.Name)}
}

// ObjectName is the Kubernetes name of instance name's objects: an RFC 1123
// label, so '_' (allowed in instance names) becomes '-' and the name is cut
// to 63 characters; the instance's own name is kept in the
// left4me.org/instance-name annotation.
func ObjectName(name string) string {
	n := strings.ReplaceAll(name, "_", "-")
	if len(n) > 63 {
		n = n[:63]
	}
	return strings.TrimRight(n, "-")
}

// metadata names a manifest and carries the image's generations.
func metadata(s Spec, name bool) map[string]any {
	m := map[string]any{"labels": labels(s), "annotations": map[string]any{
		"left4me.org/instance-name": s.Name,
		"left4me.org/generations":   strings.Join(s.Generations, ","),
	}}
	if name {
		m["name"] = ObjectName(s.Name)
	}
	return m
}

// Fleet is the Fleet manifest.
func Fleet(s Spec) map[string]any {
	return map[string]any{
		"apiVersion": APIVersion,
		"kind":       "Fleet",
		"metadata":   metadata(s, true),
		"spec": map[string]any{
			"replicas":   s.Replicas,
			"scheduling": "Packed",
			"strategy":   map[string]any{"type": "RollingUpdate"},
			"template": map[string]any{
				"metadata": metadata(s, false),
				"spec":     gameServerSpec(s),
			},
		},
	}
}

// GameServer is the example GameServer manifest: one server outside a
// Fleet, as an Agones supervisor would create it (docs/scale-out.md §4).
func GameServer(s Spec) map[string]any {
	return map[string]any{
		"apiVersion": APIVersion,
		"kind":       "GameServer",
		"metadata":   metadata(s, true),
		"spec":       gameServerSpec(s),
	}
}

// Files are the files Write writes, by name.
func Files(s Spec) (map[string][]byte, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	out := map[string][]byte{}
	for name, m := range map[string]map[string]any{"fleet.yaml": Fleet(s), "gameserver.yaml": GameServer(s)} {
		data, err := yaml.Marshal(m)
		if err != nil {
			return nil, fmt.Errorf("write %s: %w", name, err)
		}
		out[name] = append([]byte("# written by left4me export --agones (docs/scale-out.md)\n"), data...)
	}
	return out, nil
}

// Write writes fleet.yaml and gameserver.yaml into dir, which must not
// exist or be empty: into a directory beside it, renamed into place.
func Write(dir string, s Spec) (err error) {
	files, err := Files(s)
	if err != nil {
		return err
	}
	if fi, err := os.Lstat(dir); err == nil {
		entries, _ := os.ReadDir(dir)
		if !fi.IsDir() || len(entries) > 0 {
			return fmt.Errorf("%w: %s exists and is not an empty directory: name a new or empty directory", ErrSpec, dir)
		}
	}
	tmp, err := os.MkdirTemp(filepath.Dir(filepath.Clean(dir)), "."+filepath.Base(dir)+".tmp-")
	if err != nil {
		return fmt.Errorf("write Agones manifests: %w", err)
	}
	defer func() {
		if err != nil {
			os.RemoveAll(tmp)
		}
	}()
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(tmp, name), data, 0o644); err != nil {
			return fmt.Errorf("write Agones manifests: %w", err)
		}
	}
	if err := os.Chmod(tmp, 0o755); err != nil {
		return fmt.Errorf("write Agones manifests: %w", err)
	}
	if err := os.Rename(tmp, dir); err != nil {
		return fmt.Errorf("write Agones manifests into %s: %w", dir, err)
	}
	return nil
}
