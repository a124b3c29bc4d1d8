// Package campaigns is the map picker: the official campaigns (official.go)
// and the campaigns and maps in the content layers an instance stacks,
// read from the missions/*.txt and maps/*.bsp of their VPKs (internal/vpk,
// docs/srcds.md §6) and from loose maps/*.bsp files, each with the layer it
// comes from; and the one rule for changing an instance's map, now over
// RCON or for its next start (change.go).
package campaigns

import (
	"cmp"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/left4me/left4me/internal/layout"
	"github.com/left4me/left4me/internal/vpk"
)

// Campaign is one campaign the picker offers.
type Campaign struct {
	// Name is the official campaign's c1…c14, or a mission file's "Name".
	Name string
	// Title is the English title of an official campaign, or the mission
	// file's DisplayTitle (which may be a localisation token).
	Title string
	// Layer is the content layer the campaign comes from; "" for an
	// official one (every installation has those).
	Layer string
	// File is the VPK inside the layer and the mission file inside it,
	// "left4dead2/addons/123.vpk: missions/x.txt"; "" for an official one.
	File string
	// Modes maps a game mode to its maps in chapter order.
	Modes map[string][]string
	// Unverified lists the modes whose map lists no public source confirms
	// (the official survival and scavenge maps).
	Unverified []string
}

// Official reports whether the campaign is one of the game's own.
func (c Campaign) Official() bool { return c.Layer == "" }

// ModeNames lists the campaign's modes, sorted.
func (c Campaign) ModeNames() []string {
	out := make([]string, 0, len(c.Modes))
	for m := range c.Modes {
		out = append(out, m)
	}
	sort.Strings(out)
	return out
}

// Maps lists the campaign's maps once each, in chapter order of its coop
// (else first) mode, then the maps only other modes play.
func (c Campaign) Maps() []string {
	var out []string
	add := func(ms []string) {
		for _, m := range ms {
			if !slices.Contains(out, m) {
				out = append(out, m)
			}
		}
	}
	add(c.Modes["coop"])
	for _, m := range c.ModeNames() {
		add(c.Modes[m])
	}
	return out
}

// playedIn reports whether the campaign plays map in mode (or in the mode
// it is built on: realism on coop, team versus and team scavenge on versus
// and scavenge).
func (c Campaign) playedIn(mapName, mode string) bool {
	for _, m := range []string{mode, baseMode(mode)} {
		for _, x := range c.Modes[m] {
			if strings.EqualFold(x, mapName) {
				return true
			}
		}
	}
	return false
}

// Map is a map of the stack that no campaign names (a loose .bsp, or a
// VPK's map without a mission file).
type Map struct {
	Name  string
	Layer string
	File  string // the VPK or .bsp inside the layer
}

// Catalog is what an instance may be switched to.
type Catalog struct {
	// Campaigns are the official ones (c1 first), then those of the
	// layers, uppermost layer first.
	Campaigns []Campaign
	// Maps are the stack's maps that no campaign names.
	Maps []Map
	// Modes are the game modes one may choose: the standard ones and those
	// the layers' mission files name.
	Modes []string
	// Warnings are problems with the layers' files (an unreadable VPK, a
	// malformed mission file) that did not stop the rest being read.
	Warnings []string
}

// Has reports whether mapName exists in the stack: an official map, a
// campaign's map or one of Maps. Map names compare without case, as the
// engine finds them on a case-insensitive search path (unverified for
// Linux; the stand-in does the same).
func (c Catalog) Has(mapName string) bool {
	_, _, ok := c.find(mapName)
	return ok
}

// find returns the campaigns that play mapName, and whether it exists.
func (c Catalog) find(mapName string) (camps []Campaign, source string, ok bool) {
	for _, cp := range c.Campaigns {
		for _, m := range cp.Maps() {
			if strings.EqualFold(m, mapName) {
				camps = append(camps, cp)
				if !ok {
					source, ok = cmp.Or(cp.Layer, "official"), true
				}
			}
		}
	}
	for _, m := range c.Maps {
		if strings.EqualFold(m.Name, mapName) && !ok {
			source, ok = m.Layer, true
		}
	}
	return camps, source, ok
}

// Dir is one layer of a stack: its id and the generation directory.
type Dir struct {
	Layer string
	Path  string
}

// Scanner reads the layers' VPKs, remembering what each file held (a
// generation never changes, docs/lifecycle.md rule 12; a file is read again
// when its size or time changes). It is safe for concurrent use.
type Scanner struct {
	mu    sync.Mutex
	cache map[string]cached
}

type cached struct {
	size int64
	mod  time.Time
	info vpk.Info
	err  error
}

// maxCached bounds the remembered VPKs; beyond it the cache starts over.
const maxCached = 4096

// NewScanner returns a Scanner with an empty cache.
func NewScanner() *Scanner { return &Scanner{cache: map[string]cached{}} }

// addon reads one VPK through the cache.
func (s *Scanner) addon(path string) (vpk.Info, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return vpk.Info{}, err
	}
	s.mu.Lock()
	c, ok := s.cache[path]
	s.mu.Unlock()
	if ok && c.size == fi.Size() && c.mod.Equal(fi.ModTime()) {
		return c.info, c.err
	}
	info, err := vpk.Addon(path)
	s.mu.Lock()
	if len(s.cache) >= maxCached {
		s.cache = map[string]cached{}
	}
	s.cache[path] = cached{size: fi.Size(), mod: fi.ModTime(), info: info, err: err}
	s.mu.Unlock()
	return info, err
}

// Catalog is the official campaigns plus what dirs hold, uppermost first.
// A VPK that cannot be read is a warning, not an error.
func (s *Scanner) Catalog(dirs []Dir) Catalog {
	cat := Catalog{Campaigns: Official()}
	named := map[string]bool{}
	for _, c := range cat.Campaigns {
		for _, m := range c.Maps() {
			named[strings.ToLower(m)] = true
		}
	}
	var loose []Map
	for _, d := range dirs {
		game := filepath.Join(d.Path, "left4dead2")
		var vpks []string
		for _, pattern := range []string{"addons/*.vpk", "addons/workshop/*.vpk"} {
			found, _ := filepath.Glob(filepath.Join(game, pattern))
			vpks = append(vpks, found...)
		}
		sort.Strings(vpks)
		for _, p := range vpks {
			rel, _ := filepath.Rel(d.Path, p)
			if isArchivePart(p) {
				continue // a data part of a multi-part VPK: its _dir.vpk is read
			}
			info, err := s.addon(p)
			if err != nil {
				cat.Warnings = append(cat.Warnings, fmt.Sprintf("layer %s: %s: %v", d.Layer, rel, err))
				continue
			}
			for _, w := range info.Warnings {
				if strings.Contains(w, "missions/") {
					cat.Warnings = append(cat.Warnings, fmt.Sprintf("layer %s: %s: %s", d.Layer, rel, w))
				}
			}
			for _, mc := range info.Campaigns {
				c := Campaign{Name: mc.Name, Title: mc.Title, Layer: d.Layer, File: rel + ": " + mc.File, Modes: map[string][]string{}}
				for mode, maps := range mc.Modes {
					switch {
					case !modeName.MatchString(mode):
						cat.Warnings = append(cat.Warnings, fmt.Sprintf("layer %s: %s: %s: mode %q is not a mode name; skipped", d.Layer, rel, mc.File, mode))
					case len(maps) > 0:
						c.Modes[mode] = validMaps(maps)
					}
				}
				if c.Name == "" {
					c.Name = strings.TrimSuffix(filepath.Base(mc.File), ".txt")
				}
				if len(c.Modes) == 0 {
					cat.Warnings = append(cat.Warnings, fmt.Sprintf("layer %s: %s: %s names no maps", d.Layer, rel, mc.File))
					continue
				}
				cat.Campaigns = append(cat.Campaigns, c)
				for _, m := range c.Maps() {
					named[strings.ToLower(m)] = true
				}
			}
			for _, m := range info.Maps {
				loose = append(loose, Map{Name: m, Layer: d.Layer, File: rel})
			}
		}
		bsps, _ := filepath.Glob(filepath.Join(game, "maps", "*.bsp"))
		sort.Strings(bsps)
		for _, p := range bsps {
			rel, _ := filepath.Rel(d.Path, p)
			loose = append(loose, Map{Name: strings.TrimSuffix(filepath.Base(p), ".bsp"), Layer: d.Layer, File: rel})
		}
	}
	for _, m := range loose {
		if !named[strings.ToLower(m.Name)] {
			named[strings.ToLower(m.Name)] = true
			cat.Maps = append(cat.Maps, m)
		}
	}
	cat.Modes = slices.Clone(StandardModes)
	for _, c := range cat.Campaigns {
		for m := range c.Modes {
			if !slices.Contains(cat.Modes, m) {
				cat.Modes = append(cat.Modes, m)
			}
		}
	}
	return cat
}

// validMaps keeps the map names a changelevel can carry (mapName).
func validMaps(maps []string) []string {
	var out []string
	for _, m := range maps {
		if mapName.MatchString(m) {
			out = append(out, m)
		}
	}
	return out
}

// isArchivePart reports whether p is a data part of a multi-part VPK
// (NAME_000.vpk), which has no directory of its own.
func isArchivePart(p string) bool {
	base := strings.TrimSuffix(filepath.Base(p), ".vpk")
	i := strings.LastIndexByte(base, '_')
	if i < 0 || len(base)-i-1 != 3 {
		return false
	}
	for _, r := range base[i+1:] {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// NewestDirs is the stack's layers at their newest generations: what the
// instance mounts when it next starts. A layer without a generation is
// left out.
func NewestDirs(root layout.Root, layers []string) []Dir {
	var out []Dir
	for _, id := range layers {
		gen, err := layout.Newest(filepath.Join(root.Overlays(), id))
		if err != nil || gen == "" {
			continue
		}
		out = append(out, Dir{Layer: id, Path: root.Overlay(id, gen)})
	}
	return out
}

// MountedDirs is the stack a running instance was started with, from the
// lower directories of its staged instance.env (the installation is left
// out); false when there is none.
func MountedDirs(root layout.Root, lowerDirs []string) []Dir {
	var out []Dir
	prefix := root.Overlays() + string(filepath.Separator)
	for _, d := range lowerDirs {
		rest, ok := strings.CutPrefix(d, prefix)
		if !ok {
			continue
		}
		id, _, _ := strings.Cut(rest, string(filepath.Separator))
		out = append(out, Dir{Layer: id, Path: d})
	}
	return out
}
