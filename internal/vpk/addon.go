package vpk

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
)

// MaxTextFileSize is the largest addoninfo.txt or mission file Addon reads; bigger
// ones are skipped with a warning.
const MaxTextFileSize = 1 << 20

// MaxMissionFiles is how many missions/*.txt files Addon parses; more are skipped with
// a warning, so a hostile VPK cannot make it read the same data endlessly.
const MaxMissionFiles = 64

// Info is what an addon VPK says about itself.
type Info struct {
	// Title, Version, Author and Description come from addoninfo.txt (addontitle,
	// addonversion, addonauthor, addonDescription); empty when absent.
	Title       string
	Version     string
	Author      string
	Description string
	// Maps are the map names (without ".bsp") of the maps/*.bsp files, sorted.
	Maps []string
	// Campaigns are the campaigns described by missions/*.txt, sorted by file.
	Campaigns []Campaign
	// Warnings lists problems that do not make the addon unusable, such as a missing
	// or unparsable addoninfo.txt.
	Warnings []string
}

// Campaign is one missions/*.txt file.
type Campaign struct {
	// File is the mission file's path inside the VPK.
	File string
	// Name is the mission's "Name" key; Title its "DisplayTitle" (which may be a
	// localisation token such as "#L4D360UI_CampaignName_C1").
	Name  string
	Title string
	// Modes maps a game mode ("coop", "versus", "survival", …; lower case) to its map
	// names in chapter order.
	Modes map[string][]string
}

// Addon opens the VPK at path and returns its addon information. A corrupt VPK (bad
// directory, CRC mismatch in addoninfo.txt or a mission file) is an error; a missing
// or malformed addoninfo.txt only adds a warning.
func Addon(path string) (Info, error) {
	a, err := Open(path)
	if err != nil {
		return Info{}, err
	}
	defer a.Close()
	info, err := a.Addon()
	if err != nil {
		return Info{}, fmt.Errorf("%s: %w", path, err)
	}
	return info, nil
}

// Addon returns the archive's addon information; see the package-level Addon.
func (a *Archive) Addon() (Info, error) {
	var info Info
	if err := a.readAddonInfo(&info); err != nil {
		return Info{}, err
	}
	missions := 0
	for _, e := range a.entries {
		dir, base := path.Split(strings.ToLower(e.Path))
		switch {
		case dir == "maps/" && strings.HasSuffix(base, ".bsp") && len(base) > len(".bsp"):
			info.Maps = append(info.Maps, strings.TrimSuffix(path.Base(e.Path), path.Ext(e.Path)))
		case dir == "missions/" && strings.HasSuffix(base, ".txt"):
			missions++
			if missions > MaxMissionFiles {
				if missions == MaxMissionFiles+1 {
					info.Warnings = append(info.Warnings, fmt.Sprintf("more than %d mission files; the rest are skipped", MaxMissionFiles))
				}
				continue
			}
			c, ok, err := a.readMission(e, &info)
			if err != nil {
				return Info{}, err
			}
			if ok {
				info.Campaigns = append(info.Campaigns, c)
			}
		}
	}
	sort.Strings(info.Maps)
	return info, nil
}

// readText reads a small text file, turning "too big" and "not embedded" into warnings.
func (a *Archive) readText(e Entry, info *Info) ([]byte, bool, error) {
	if e.Size > MaxTextFileSize {
		info.Warnings = append(info.Warnings, fmt.Sprintf("%s: %d bytes, larger than %d; skipped", e.Path, e.Size, MaxTextFileSize))
		return nil, false, nil
	}
	b, err := a.ReadFile(e.Path)
	if errors.Is(err, ErrExternal) {
		info.Warnings = append(info.Warnings, fmt.Sprintf("%s: stored in an external archive; skipped", e.Path))
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	return b, true, nil
}

func (a *Archive) readAddonInfo(info *Info) error {
	e, err := a.Stat("addoninfo.txt")
	if errors.Is(err, fs.ErrNotExist) {
		info.Warnings = append(info.Warnings, "no addoninfo.txt")
		return nil
	}
	if err != nil {
		return err
	}
	b, ok, err := a.readText(e, info)
	if err != nil || !ok {
		return err
	}
	nodes, perr := ParseKeyValues(b)
	if perr != nil {
		info.Warnings = append(info.Warnings, fmt.Sprintf("%s: %v", e.Path, perr))
	}
	// The keys normally sit in an "AddonInfo" block, but some addons put them at the
	// top level or name the block differently: look at the top level, then in each
	// top-level block, first match wins.
	scopes := []Node{{Children: nodes, Block: true}}
	for _, n := range nodes {
		if n.Block {
			scopes = append(scopes, n)
		}
	}
	get := func(key string) string {
		for _, s := range scopes {
			if v := s.String(key); v != "" {
				return strings.TrimSpace(v)
			}
		}
		return ""
	}
	info.Title = get("addontitle")
	info.Version = get("addonversion")
	info.Author = get("addonauthor")
	info.Description = get("addondescription")
	return nil
}

func (a *Archive) readMission(e Entry, info *Info) (Campaign, bool, error) {
	b, ok, err := a.readText(e, info)
	if err != nil || !ok {
		return Campaign{}, false, err
	}
	nodes, perr := ParseKeyValues(b)
	if perr != nil {
		info.Warnings = append(info.Warnings, fmt.Sprintf("%s: %v", e.Path, perr))
	}
	// The root block is "mission"; fall back to the first block of any name.
	mission, found := (Node{Children: nodes}).Child("mission")
	if !found || !mission.Block {
		found = false
		for _, n := range nodes {
			if n.Block {
				mission, found = n, true
				break
			}
		}
	}
	if !found {
		info.Warnings = append(info.Warnings, fmt.Sprintf("%s: no mission block", e.Path))
		return Campaign{}, false, nil
	}
	c := Campaign{
		File:  e.Path,
		Name:  strings.TrimSpace(mission.String("Name")),
		Title: strings.TrimSpace(mission.String("DisplayTitle")),
		Modes: map[string][]string{},
	}
	modes, _ := mission.Child("modes")
	for _, mode := range modes.Children {
		if !mode.Block {
			continue
		}
		type chapter struct {
			n int
			m string
		}
		var chapters []chapter
		for _, ch := range mode.Children {
			if !ch.Block {
				continue
			}
			m := strings.TrimSpace(ch.String("Map"))
			if m == "" {
				continue
			}
			n, err := strconv.Atoi(strings.TrimSpace(ch.Key))
			if err != nil {
				n = int(^uint(0) >> 1) // unnumbered chapters go last, in file order
			}
			chapters = append(chapters, chapter{n, m})
		}
		sort.SliceStable(chapters, func(i, j int) bool { return chapters[i].n < chapters[j].n })
		key := strings.ToLower(mode.Key)
		for _, ch := range chapters {
			c.Modes[key] = append(c.Modes[key], ch.m)
		}
	}
	return c, true, nil
}
