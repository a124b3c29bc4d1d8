package views

import (
	"sort"

	"github.com/left4me/left4me/internal/campaigns"
)

// Maps is an instance's map picker: GET /api/v1/instances/NAME/maps and
// left4me instance maps NAME --json.
type Maps struct {
	Instance string `json:"instance"`
	// StartMap and StartMode are what the next start loads (its +map and
	// +mp_gamemode arguments); absent when not set.
	StartMap  string `json:"start_map,omitempty"`
	StartMode string `json:"start_mode,omitempty"`
	// Modes are the game modes one may choose.
	Modes     []string      `json:"modes"`
	Campaigns []MapCampaign `json:"campaigns"`
	// Maps are the stack's maps that no campaign names.
	Maps     []MapFile `json:"maps"`
	Warnings []string  `json:"warnings"`
}

// MapCampaign is one campaign of the picker.
type MapCampaign struct {
	Name  string `json:"name"`
	Title string `json:"title,omitempty"`
	// Source is "official" or "layer"; Layer and File say where a layer's
	// campaign comes from.
	Source string `json:"source"`
	Layer  string `json:"layer,omitempty"`
	File   string `json:"file,omitempty"`
	// Maps are its maps in chapter order.
	Maps []string `json:"maps"`
	// Modes maps each game mode to its maps in chapter order.
	Modes map[string][]string `json:"modes"`
	// Unverified are the modes whose map lists no public source confirms.
	Unverified []string `json:"unverified"`
}

// MapFile is a map of the stack outside every campaign.
type MapFile struct {
	Name  string `json:"name"`
	Layer string `json:"layer"`
	File  string `json:"file"`
}

// NewMaps is the view of an instance's catalog.
func NewMaps(name string, args []string, cat campaigns.Catalog) Maps {
	out := Maps{Instance: name, Modes: nonNil(cat.Modes), Campaigns: []MapCampaign{}, Maps: []MapFile{}, Warnings: nonNil(cat.Warnings)}
	out.StartMap, out.StartMode = campaigns.StartMap(args)
	for _, c := range cat.Campaigns {
		v := MapCampaign{Name: c.Name, Title: c.Title, Source: "official", Layer: c.Layer, File: c.File,
			Maps: nonNil(c.Maps()), Modes: map[string][]string{}, Unverified: nonNil(c.Unverified)}
		if !c.Official() {
			v.Source = "layer"
		}
		for m, maps := range c.Modes {
			v.Modes[m] = nonNil(maps)
		}
		sort.Strings(v.Unverified)
		out.Campaigns = append(out.Campaigns, v)
	}
	for _, m := range cat.Maps {
		out.Maps = append(out.Maps, MapFile{Name: m.Name, Layer: m.Layer, File: m.File})
	}
	return out
}
