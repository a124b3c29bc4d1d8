package instance

import (
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"unicode"

	"github.com/left4me/left4me/internal/layout"
)

// The fields of a pin change (Update.Pin, Update.Unpin).
const (
	FieldPin   = "pin"
	FieldUnpin = "unpin"
)

// UnpinAll, as an Update.Unpin entry, removes every pin.
const UnpinAll = "all"

// readPins reads an instance's pins (layout.Root.Pins); an unreadable file
// counts as none here, and stack reports it.
func (s *Service) readPins(name string) layout.Pins {
	p, err := layout.ReadPins(s.root.Pins(name))
	if err != nil {
		return layout.Pins{}
	}
	return p
}

// stack returns the lower directories an instance starts on, uppermost
// first, the installation last: each layer's pinned generation, else its
// default (layout.Pick).
//
// NOTE: docs/lifecycle.md rule 12 — this is where a start chooses
// generations; content.Stacks and content.GC ask layout.Pick the same way,
// so what is stale and what is kept agree with what a start mounts.
func (s *Service) stack(in Instance) ([]string, error) {
	pins, err := layout.ReadPins(s.root.Pins(in.Name))
	if err != nil {
		return nil, err
	}
	var lowers []string
	for _, id := range in.Layers {
		parent := filepath.Join(s.root.Overlays(), id)
		gen, err := layout.Pick(parent, pins[id])
		if errors.Is(err, layout.ErrNoGeneration) {
			return nil, fmt.Errorf("%w: layer %q is pinned to generation %q, which is gone; unpin it (left4me instance update %s --unpin %s)", ErrNoLayer, id, pins[id], in.Name, id)
		}
		if err != nil {
			return nil, fmt.Errorf("layer %q: %w", id, err)
		}
		if gen == "" {
			return nil, fmt.Errorf("%w: layer %q has no generation under %s", ErrNoLayer, id, parent)
		}
		lowers = append(lowers, s.root.Overlay(id, gen))
	}
	pinned := pins[layout.PinInstallation]
	inst, err := layout.Pick(s.root.Installations(), pinned)
	if errors.Is(err, layout.ErrNoGeneration) {
		return nil, fmt.Errorf("%w: the installation is pinned to generation %q, which is gone; unpin it (left4me instance update %s --unpin installation)", ErrNoInstallation, pinned, in.Name)
	}
	if err != nil {
		return nil, err
	}
	if inst == "" {
		return nil, fmt.Errorf("%w under %s", ErrNoInstallation, s.root.Installations())
	}
	return append(lowers, s.root.Installation(inst)), nil
}

// newPins applies an Update's pin changes to the current pins of an
// instance whose layers are (after the update) layers. It returns the new
// pins, or a FieldError naming pin or unpin; nothing is written.
func (s *Service) newPins(name string, layers []string, u Update) (layout.Pins, bool, error) {
	cur, err := layout.ReadPins(s.root.Pins(name))
	if err != nil {
		return nil, false, err
	}
	next := layout.Pins{}
	for k, v := range cur {
		// A layer the update removes loses its pin.
		if k == layout.PinInstallation || slices.Contains(layers, k) {
			next[k] = v
		}
	}
	for _, k := range u.Unpin {
		switch {
		case k == UnpinAll:
			clear(next)
		case k == layout.PinInstallation || slices.Contains(layers, k):
			delete(next, k)
		default:
			return nil, false, fieldErr(FieldUnpin, "%q is neither %q nor a layer of %s (its layers: %v)", k, layout.PinInstallation, name, layers)
		}
	}
	keys := make([]string, 0, len(u.Pin))
	for k := range u.Pin {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		gen := u.Pin[k]
		var parent string
		switch {
		case k == layout.PinInstallation:
			parent = s.root.Installations()
		case slices.Contains(layers, k):
			parent = filepath.Join(s.root.Overlays(), k)
		default:
			return nil, false, fieldErr(FieldPin, "%q is neither %q nor a layer of %s (its layers: %v); write installation=GEN or LAYER=GEN", k, layout.PinInstallation, name, layers)
		}
		if !layout.HasGeneration(parent, gen) {
			gens, _ := layout.Generations(parent)
			what := "the installation"
			if k != layout.PinInstallation {
				what = "layer " + k
			}
			return nil, false, fieldKind(FieldPin, layout.ErrNoGeneration, "%s has no generation %q (it has %v)", what, gen, gens)
		}
		next[k] = gen
	}
	changed := len(next) != len(cur)
	for k, v := range next {
		if cur[k] != v {
			changed = true
		}
	}
	return next, changed, nil
}

// writePins stores an instance's pins (no file when there are none).
func (s *Service) writePins(name string, p layout.Pins) error {
	if err := s.writeFile(s.root.Pins(name), p.Format(), 0o640); err != nil {
		return fmt.Errorf("set the pins of %s: %w", name, err)
	}
	return nil
}

// ParsePins reads pins written "KEY=GENERATION", separated by spaces,
// commas or newlines (the CLI's --pin, the edit form's field), KEY being
// "installation" or a layer id. Bad input is a FieldError naming pin.
func ParsePins(text string) (map[string]string, error) {
	out := map[string]string{}
	for _, w := range strings.FieldsFunc(text, func(r rune) bool { return r == ',' || unicode.IsSpace(r) }) {
		k, v, ok := strings.Cut(w, "=")
		if !ok || k == "" || v == "" {
			return nil, fieldErr(FieldPin, "%q: write installation=GENERATION or LAYER=GENERATION", w)
		}
		if old, dup := out[k]; dup && old != v {
			return nil, fieldErr(FieldPin, "%s is pinned twice (%s and %s)", k, old, v)
		}
		out[k] = v
	}
	return out, nil
}

// FormatPins writes pins as ParsePins reads them, keys in order.
func FormatPins(p map[string]string) string {
	return strings.TrimSpace(strings.ReplaceAll(string(layout.Pins(p).Format()), "\n", " "))
}
