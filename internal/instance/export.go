package instance

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/left4me/left4me/internal/layout"
	"github.com/left4me/left4me/internal/overlay"
)

// ErrCollected: a generation an instance's stack names is no longer on
// disk (generation clean-up removed it, or an operator did).
var ErrCollected = errors.New("generation was removed")

// Kinds of an exported layer (ExportLayer.Kind).
const (
	LayerInstallation = "installation"
	LayerContent      = "layer"
	LayerWorkshop     = "workshop"
)

// ExportLayer is one read-only layer of an instance's stack.
type ExportLayer struct {
	// Kind is LayerInstallation, LayerContent or LayerWorkshop.
	Kind string
	// ID is the layer's or Workshop item's id; empty for the installation.
	ID string
	// Generation is the generation (a Workshop item's revision).
	Generation string
	// Dir is the generation's directory.
	Dir string
	// Key is Dir relative to the state root ("overlays/ID/GEN"), which
	// names the generation for as long as it exists (rule 12).
	Key string
}

// ExportSource is what an export of an instance packs: its stack, bottom
// (the installation) first, the ports and arguments it runs with, and the
// cfgs it is staged with (docs/scale-out.md §2).
type ExportSource struct {
	// Root is the state root the instance lives in.
	Root       layout.Root
	Name       string
	Port       int
	ClientPort int
	Args       []string
	Layers     []ExportLayer
	// Upper is the instance's writable layer (runtime/NAME/upper).
	Upper string
	// ServerCfg and LaunchCfg are the texts staged as
	// left4dead2/cfg/server.cfg and left4dead2/cfg/LaunchCfgName.
	ServerCfg string
	LaunchCfg string
}

// ExportSource returns what an export of instance name packs. An instance
// that has been started is exported as it was staged (its instance.env:
// the generations, port and arguments it runs or last ran with); one that
// never started as its next start would stage it (the newest generations).
// A generation that is no longer there is ErrCollected.
func (s *Service) ExportSource(ctx context.Context, name string) (ExportSource, error) {
	in, err := s.Get(ctx, name)
	if err != nil {
		return ExportSource{}, err
	}
	src := ExportSource{Root: s.root, Name: in.Name, Port: in.Port, ClientPort: ClientPort(in.Port), Args: in.Args, Upper: s.root.Upper(name)}
	var dirs []string // uppermost first, as instance.env
	env, err := overlay.ReadEnvFile(s.root.InstanceEnv(name))
	switch {
	case err == nil:
		dirs, src.Port, src.ClientPort, src.Args = env.LowerDirs, env.Port, env.ClientPort, env.Args
		if src.ClientPort == 0 {
			src.ClientPort = ClientPort(src.Port)
		}
	case errors.Is(err, os.ErrNotExist):
		if dirs, err = s.newestStack(in); err != nil {
			return ExportSource{}, fmt.Errorf("export %s: %w", name, err)
		}
	default:
		return ExportSource{}, fmt.Errorf("export %s: %w", name, err)
	}
	for _, d := range slices.Backward(dirs) {
		l, err := s.exportLayer(d)
		if err != nil {
			return ExportSource{}, fmt.Errorf("export %s: %w", name, err)
		}
		if fi, err := os.Stat(d); err != nil || !fi.IsDir() {
			return ExportSource{}, fmt.Errorf("export %s: %w: %s (%s); start or restart the instance so that it runs on the current generations, then export again", name, ErrCollected, l.describe(), d)
		}
		src.Layers = append(src.Layers, l)
	}
	cfg, err := os.ReadFile(s.root.ServerCfg(name))
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return ExportSource{}, fmt.Errorf("export %s: %w", name, err)
	}
	src.ServerCfg = neutraliseRCONPassword(string(cfg))
	src.LaunchCfg = s.exportLaunchCfg(in.RCONPassword)
	return src, nil
}

// exportLaunchCfg is the launch cfg without the panel's log address, which
// a server elsewhere cannot reach.
func (s *Service) exportLaunchCfg(rconPassword string) string {
	c := *s
	c.cfg.LogAddress = ""
	return c.launchCfg(rconPassword)
}

// newestStack is the stack stage would write now, uppermost first.
func (s *Service) newestStack(in Instance) ([]string, error) {
	var dirs []string
	for _, id := range in.Layers {
		gen, err := newestGeneration(s.root.Overlays(), id)
		if err != nil {
			return nil, err
		}
		dirs = append(dirs, s.root.Overlay(id, gen))
	}
	inst, err := s.newestInstallation()
	if err != nil {
		return nil, err
	}
	return append(dirs, s.root.Installation(inst)), nil
}

func (s *Service) newestInstallation() (string, error) {
	gen, err := layout.Newest(s.root.Installations())
	if err != nil {
		return "", err
	}
	if gen == "" {
		return "", fmt.Errorf("%w under %s", ErrNoInstallation, s.root.Installations())
	}
	return gen, nil
}

// exportLayer names the generation at dir from where it lies.
func (s *Service) exportLayer(dir string) (ExportLayer, error) {
	rel, err := filepath.Rel(s.root.String(), dir)
	if err != nil {
		return ExportLayer{}, fmt.Errorf("layer %s: %w", dir, err)
	}
	parts := strings.Split(filepath.ToSlash(rel), "/")
	l := ExportLayer{Dir: dir, Key: filepath.ToSlash(rel)}
	switch {
	case len(parts) == 2 && parts[0] == "installations":
		l.Kind, l.Generation = LayerInstallation, parts[1]
	case len(parts) == 3 && parts[0] == "overlays":
		l.Kind, l.ID, l.Generation = LayerContent, parts[1], parts[2]
	case len(parts) == 3 && parts[0] == "workshop":
		l.Kind, l.ID, l.Generation = LayerWorkshop, parts[1], parts[2]
	default:
		return ExportLayer{}, fmt.Errorf("layer %s is not a generation under the state root's installations/, overlays/ or workshop/", dir)
	}
	return l, nil
}

func (l ExportLayer) describe() string {
	if l.Kind == LayerInstallation {
		return "installation generation " + l.Generation
	}
	return fmt.Sprintf("%s %s generation %s", l.Kind, l.ID, l.Generation)
}
