package content

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/left4me/left4me/internal/instance"
	"github.com/left4me/left4me/internal/layout"
	"github.com/left4me/left4me/internal/overlay"
	"github.com/left4me/left4me/internal/steamcmd"
)

// StaleLayer is a layer (or the installation) an instance is staged on
// while a newer generation of it exists.
type StaleLayer struct {
	// Parent is installations/ or overlays/<id>/ (workshop/<id>/ likewise).
	Parent string
	// Layer is the layer's id, "" for the installation.
	Layer string
	// Current is the generation named in instance.env, Newest the one the
	// next start would pick (layout.Pick: pinned, else the default, which
	// a rollback or a canary may hold below the newest).
	Current, Newest string
}

// String describes the layer for people: "installation A → B" or
// "layer maps A → B".
func (l StaleLayer) String() string {
	what := "installation"
	if l.Layer != "" {
		what = "layer " + l.Layer
	}
	return what + " " + l.Current + " → " + l.Newest
}

// Stack is what one instance was last staged on: the generations its
// instance.env names. It is what the instance runs on, or will run on at
// its next start without a restart.
type Stack struct {
	Name string
	// Install is the installation generation it names ("" when none).
	Install string
	// Stale lists, in instance.env order, the layers (and the installation)
	// whose next start would pick another generation than the one named
	// (layout.Pick: the pinned one, else the default): a restart moves it.
	Stale []StaleLayer
	// Pinned lists its pins that apply, "KEY=GENERATION" in instance.env
	// order (layout.Pins).
	Pinned []string
}

// Stacks reads every instance's instance.env (written when it last
// started), in name order, and compares each generation it names with the
// one its next start picks (layout.Pick: its pin, else the default).
// Instances that never started have none and are not listed.
func Stacks(root layout.Root) ([]Stack, error) {
	defaults := map[string]string{} // by parent: each is read once
	var out []Stack
	err := eachInstanceEnv(root, func(name string, env overlay.Env) error {
		st, err := stackOf(root, name, env, defaults)
		if err != nil {
			return err
		}
		out = append(out, st)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// stackOf compares what env names with what the next start of instance
// name picks (layout.Pick: its pin, else the default); defaults caches
// the default of each parent.
func stackOf(root layout.Root, name string, env overlay.Env, defaults map[string]string) (Stack, error) {
	installs := realPath(root.Installations())
	st := Stack{Name: name}
	pins, err := layout.ReadPins(root.Pins(name))
	if err != nil {
		return st, fmt.Errorf("instance %s: %w", name, err)
	}
	for _, dir := range env.LowerDirs {
		parent, gen := filepath.Dir(filepath.Clean(dir)), filepath.Base(dir)
		isInstall := realPath(parent) == installs
		key := filepath.Base(parent)
		if isInstall {
			st.Install = gen
			key = layout.PinInstallation
		}
		var n string
		if pin := pins[key]; pin != "" {
			// The rule of a start (layout.Pick); a pin of a generation
			// that is gone fails the next start, which moves nothing.
			if n, err = layout.Pick(parent, pin); errors.Is(err, layout.ErrNoGeneration) {
				continue
			} else if err != nil {
				return st, err
			}
			st.Pinned = append(st.Pinned, key+"="+n)
		} else {
			var ok bool
			if n, ok = defaults[parent]; !ok {
				if n, err = layout.Pick(parent, ""); err != nil {
					return st, err
				}
				defaults[parent] = n
			}
		}
		if n != "" && n != gen {
			l := StaleLayer{Parent: parent, Current: gen, Newest: n}
			if !isInstall {
				l.Layer = filepath.Base(parent)
			}
			st.Stale = append(st.Stale, l)
		}
	}
	return st, nil
}

// Stale lists the instances whose instance.env names a generation that is
// not the one its next start picks (its pin, else the default, normally
// the newest), in name order: the ones a restart would move.
func Stale(root layout.Root) ([]Stack, error) {
	all, err := Stacks(root)
	if err != nil {
		return nil, err
	}
	var out []Stack
	for _, st := range all {
		if len(st.Stale) > 0 {
			out = append(out, st)
		}
	}
	return out, nil
}

// InstallGeneration is one generation of the game installation and the
// instances staged on it.
type InstallGeneration struct {
	Name string
	// BuildID is Steam's build of the game in it; "" when unreadable.
	BuildID string
	// Newest is the last published one; Default is the one new starts
	// use (layout.Default: the newest unless a rollback or a canary holds
	// an older one).
	Newest  bool
	Default bool
	// UsedBy are the instances whose instance.env names it, in name order.
	UsedBy []string
	// PinnedBy are the instances pinned to it (layout.Pins), in name order.
	PinnedBy []string
}

// InstallGenerations lists the installation generations, oldest first,
// each with who runs it (Stacks).
func InstallGenerations(root layout.Root) ([]InstallGeneration, error) {
	gens, err := layout.Generations(root.Installations())
	if err != nil {
		return nil, err
	}
	stacks, err := Stacks(root)
	if err != nil {
		return nil, err
	}
	def, err := layout.Default(root.Installations())
	if err != nil {
		return nil, err
	}
	pinnedBy, err := installPins(root)
	if err != nil {
		return nil, err
	}
	out := make([]InstallGeneration, len(gens))
	for i, g := range gens {
		out[i] = InstallGeneration{Name: g, Newest: i == len(gens)-1, Default: g == def, PinnedBy: pinnedBy[g]}
		out[i].BuildID, _ = steamcmd.ReadBuildID(root.Installation(g))
		for _, st := range stacks {
			if st.Install == g {
				out[i].UsedBy = append(out[i].UsedBy, st.Name)
			}
		}
	}
	return out, nil
}

// installPins maps installation generations to the instances pinned to
// them, in name order.
func installPins(root layout.Root) (map[string][]string, error) {
	entries, err := os.ReadDir(root.Instances())
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list instances: %w", err)
	}
	out := map[string][]string{}
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		pins, err := layout.ReadPins(root.Pins(e.Name()))
		if err != nil {
			return nil, fmt.Errorf("instance %s: %w", e.Name(), err)
		}
		if g := pins[layout.PinInstallation]; g != "" {
			out[g] = append(out[g], e.Name())
		}
	}
	return out, nil
}

// Restarter restarts one instance (*instance.Service).
type Restarter interface {
	Restart(ctx context.Context, name string) error
}

// RollingRestart restarts the named instances one after another, so that
// they move to the newest generations while the others keep serving. It
// stops at the first failure and returns it, with the names restarted
// before it.
func RollingRestart(ctx context.Context, r Restarter, names []string, p Progress) (done []string, err error) {
	for i, name := range names {
		if err := ctx.Err(); err != nil {
			return done, err
		}
		p.Progress(float64(i)/float64(len(names)), "restarting "+name)
		if err := r.Restart(ctx, name); err != nil {
			return done, fmt.Errorf("rolling restart stopped at %s (%d of %d): %w", name, i+1, len(names), err)
		}
		done = append(done, name)
		p.Logf("restarted %s", name)
	}
	p.Progress(1, fmt.Sprintf("restarted %d instances", len(names)))
	return done, nil
}

// InstanceStates is what StaleRunning needs of the instance service
// (*instance.Service).
type InstanceStates interface {
	List(ctx context.Context) ([]instance.Instance, error)
	Status(ctx context.Context, name string) (instance.Status, error)
}

// Instances is what RestartStale needs of the instance service.
type Instances interface {
	InstanceStates
	Restarter
}

// StaleRunning lists, in name order, the running instances staged on a
// generation their next start would not pick (Stale): the ones RestartStale
// moves. Stopped instances are left out: they pick their generations
// when they start. So is an instance.env left without a record.
func StaleRunning(ctx context.Context, root layout.Root, in InstanceStates) ([]string, error) {
	stacks, err := Stale(root)
	if err != nil {
		return nil, err
	}
	list, err := in.List(ctx)
	if err != nil {
		return nil, err
	}
	known := make(map[string]bool, len(list))
	for _, i := range list {
		known[i.Name] = true
	}
	var out []string
	for _, st := range stacks {
		if !known[st.Name] {
			continue
		}
		if s, err := in.Status(ctx, st.Name); err == nil && s.State == instance.Running {
			out = append(out, st.Name)
		}
	}
	return out, nil
}

// RestartStale is the rolling restart of the panel, the API and the CLI:
// it restarts the instances StaleRunning lists one after another, so they
// move to the newest generations (docs/lifecycle.md rule 12) while the
// others keep serving. It returns the instances it meant to restart and
// those it did; on a failure it stops there (RollingRestart).
func RestartStale(ctx context.Context, root layout.Root, in Instances, p Progress) (stale, done []string, err error) {
	stale, err = StaleRunning(ctx, root, in)
	if err != nil || len(stale) == 0 {
		return nil, nil, err
	}
	done, err = RollingRestart(ctx, in, stale, p)
	return stale, done, err
}
