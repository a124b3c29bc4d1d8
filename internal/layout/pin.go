package layout

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// DefaultMarker, inside installations/ (or an overlays/<id>/), names the
// generation new starts pick when it is not the newest: written by a
// rollback and while a canary tries a new generation (docs/operations.md
// §6). Without it, or when it names a
// generation that is gone, the newest one is the default.
const DefaultMarker = ".default"

// PinInstallation is the key of a pin of the game installation; every other
// key of Pins is a content layer's id.
const PinInstallation = "installation"

// ErrNoGeneration is wrapped when a named generation does not exist.
var ErrNoGeneration = errors.New("no such generation")

// Pins are an instance's pinned generations: PinInstallation or a layer id
// to a generation name. A pinned layer is staged on that generation at
// every start, whatever is newer or the default.
type Pins map[string]string

// Pins is the file of an instance's pinned generations, next to its
// server.cfg: one "KEY=GENERATION" a line.
func (r Root) Pins(name string) string { return r.join("instances", name, "pins") }

// ReadPins reads a pins file; a missing one holds no pins.
func ReadPins(path string) (Pins, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return Pins{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read pins: %w", err)
	}
	p := Pins{}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok || k == "" || v == "" || strings.ContainsAny(v, "/") || strings.HasPrefix(v, ".") {
			return nil, fmt.Errorf("read pins %s: line %d: want KEY=GENERATION, got %q", path, n, line)
		}
		p[k] = v
	}
	return p, sc.Err()
}

// Format is the pins file's text, keys in order.
func (p Pins) Format() []byte {
	keys := make([]string, 0, len(p))
	for k := range p {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var b bytes.Buffer
	for _, k := range keys {
		fmt.Fprintf(&b, "%s=%s\n", k, p[k])
	}
	return b.Bytes()
}

// Default returns the default generation of parent: the one DefaultMarker
// names when it still exists, else the newest; "" when there is none.
func Default(parent string) (string, error) {
	gens, err := Generations(parent)
	if err != nil || len(gens) == 0 {
		return "", err
	}
	if b, err := os.ReadFile(filepath.Join(parent, DefaultMarker)); err == nil {
		if g := strings.TrimSpace(string(b)); slices.Contains(gens, g) {
			return g, nil
		}
	}
	return gens[len(gens)-1], nil
}

// Pick is the generation of parent an instance is staged on when it
// starts: pinned when set (ErrNoGeneration when it is gone), else
// Default. It is the one rule of which generation a start uses
// (docs/lifecycle.md rule 12): staging, the stale lists and GC ask it.
func Pick(parent, pinned string) (string, error) {
	if pinned == "" {
		return Default(parent)
	}
	if !HasGeneration(parent, pinned) {
		return "", fmt.Errorf("%w: %s has no generation %q", ErrNoGeneration, parent, pinned)
	}
	return pinned, nil
}

// HasGeneration reports whether gen is a published generation in parent.
func HasGeneration(parent, gen string) bool {
	if gen == "" || strings.HasPrefix(gen, ".") || strings.ContainsRune(gen, '/') {
		return false
	}
	fi, err := os.Stat(filepath.Join(parent, gen))
	return err == nil && fi.IsDir()
}

// SetDefault makes gen the default generation of parent (DefaultMarker);
// the newest generation, or "", removes the marker, so that the next
// published generation is the default again. The marker is replaced in one
// rename: a start reads the old or the new default, never a mix.
func SetDefault(parent, gen string) error {
	marker := filepath.Join(parent, DefaultMarker)
	newest, err := Newest(parent)
	if err != nil {
		return err
	}
	if gen == "" || gen == newest {
		if err := os.Remove(marker); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("clear the default generation of %s: %w", parent, err)
		}
		return nil
	}
	return HoldDefault(parent, gen)
}

// HoldDefault writes DefaultMarker naming gen, even when gen is the newest:
// a canary's install holds the current default this way before it
// publishes the generation the canary tries, so no other start picks that
// one first.
func HoldDefault(parent, gen string) error {
	marker := filepath.Join(parent, DefaultMarker)
	if !HasGeneration(parent, gen) {
		return fmt.Errorf("%w: %s has no generation %q", ErrNoGeneration, parent, gen)
	}
	tmp := marker + ".tmp"
	if err := os.WriteFile(tmp, []byte(gen+"\n"), 0o644); err != nil {
		return fmt.Errorf("set the default generation of %s: %w", parent, err)
	}
	if err := os.Rename(tmp, marker); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("set the default generation of %s: %w", parent, err)
	}
	return nil
}

// HeldDefault returns the generation DefaultMarker names when it still
// exists, "" when the default is simply the newest.
func HeldDefault(parent string) string {
	b, err := os.ReadFile(filepath.Join(parent, DefaultMarker))
	if err != nil {
		return ""
	}
	g := strings.TrimSpace(string(b))
	if !HasGeneration(parent, g) {
		return ""
	}
	return g
}
