package campaigns

// The official campaigns of Left 4 Dead 2 (c1–c14) with their chapter maps in
// order and the game modes each chapter is played in.
//
// Sources (docs/srcds.md §9): the map names and chapter order are those of
// the Valve Developer Community's L4D2 level and mission-file pages and of
// hosting providers' public map lists (BisectHosting's "List of Left 4 Dead 2
// Maps"); every chapter of every campaign is played in coop (and realism,
// which uses the coop chapters) and versus. The survival and scavenge maps
// are from memory of the game's own missions files and are UNVERIFIED: the
// picker shows them marked as such, and a change to a survival or scavenge
// map of an official campaign is not refused on their account.

// official is the table. Titles are the English campaign names.
var official = []officialCampaign{
	{name: "c1", title: "Dead Center", chapters: []string{"c1m1_hotel", "c1m2_streets", "c1m3_mall", "c1m4_atrium"},
		survival: []string{"c1m2_streets", "c1m4_atrium"}, scavenge: []string{"c1m4_atrium"}},
	{name: "c2", title: "Dark Carnival", chapters: []string{"c2m1_highway", "c2m2_fairgrounds", "c2m3_coaster", "c2m4_barns", "c2m5_concert"},
		survival: []string{"c2m1_highway", "c2m4_barns", "c2m5_concert"}, scavenge: []string{"c2m1_highway"}},
	{name: "c3", title: "Swamp Fever", chapters: []string{"c3m1_plankcountry", "c3m2_swamp", "c3m3_shantytown", "c3m4_plantation"},
		survival: []string{"c3m1_plankcountry", "c3m4_plantation"}, scavenge: []string{"c3m1_plankcountry"}},
	{name: "c4", title: "Hard Rain", chapters: []string{"c4m1_milltown_a", "c4m2_sugarmill_a", "c4m3_sugarmill_b", "c4m4_milltown_b", "c4m5_milltown_escape"},
		survival: []string{"c4m1_milltown_a", "c4m2_sugarmill_a", "c4m3_sugarmill_b"}, scavenge: []string{"c4m1_milltown_a", "c4m2_sugarmill_a"}},
	{name: "c5", title: "The Parish", chapters: []string{"c5m1_waterfront", "c5m2_park", "c5m3_cemetery", "c5m4_quarter", "c5m5_bridge"},
		survival: []string{"c5m2_park", "c5m5_bridge"}, scavenge: []string{"c5m2_park"}},
	{name: "c6", title: "The Passing", chapters: []string{"c6m1_riverbank", "c6m2_bedlam", "c6m3_port"},
		survival: []string{"c6m1_riverbank", "c6m2_bedlam", "c6m3_port"}, scavenge: []string{"c6m1_riverbank", "c6m2_bedlam", "c6m3_port"}},
	{name: "c7", title: "The Sacrifice", chapters: []string{"c7m1_docks", "c7m2_barge", "c7m3_port"},
		survival: []string{"c7m1_docks", "c7m3_port"}, scavenge: []string{"c7m1_docks", "c7m2_barge"}},
	{name: "c8", title: "No Mercy", chapters: []string{"c8m1_apartment", "c8m2_subway", "c8m3_sewers", "c8m4_interior", "c8m5_rooftop"},
		survival: []string{"c8m2_subway", "c8m3_sewers", "c8m4_interior", "c8m5_rooftop"}},
	{name: "c9", title: "Crash Course", chapters: []string{"c9m1_alleys", "c9m2_lots"},
		survival: []string{"c9m1_alleys", "c9m2_lots"}},
	{name: "c10", title: "Death Toll", chapters: []string{"c10m1_caves", "c10m2_drainage", "c10m3_ranchhouse", "c10m4_mainstreet", "c10m5_houseboat"},
		survival: []string{"c10m3_ranchhouse", "c10m4_mainstreet", "c10m5_houseboat"}},
	{name: "c11", title: "Dead Air", chapters: []string{"c11m1_greenhouse", "c11m2_offices", "c11m3_garage", "c11m4_terminal", "c11m5_runway"},
		survival: []string{"c11m2_offices", "c11m3_garage", "c11m4_terminal", "c11m5_runway"}, scavenge: []string{"c11m4_terminal"}},
	{name: "c12", title: "Blood Harvest", chapters: []string{"c12m1_hilltop", "c12m2_traintunnel", "c12m3_bridge", "c12m4_barn", "c12m5_cornfield"},
		survival: []string{"c12m2_traintunnel", "c12m3_bridge", "c12m5_cornfield"}, scavenge: []string{"c12m5_cornfield"}},
	{name: "c13", title: "Cold Stream", chapters: []string{"c13m1_alpinecreek", "c13m2_southpinestream", "c13m3_memorialbridge", "c13m4_cutthroatcreek"},
		survival: []string{"c13m1_alpinecreek", "c13m2_southpinestream", "c13m3_memorialbridge"}},
	{name: "c14", title: "The Last Stand", chapters: []string{"c14m1_junkyard", "c14m2_lighthouse"},
		survival: []string{"c14m1_junkyard", "c14m2_lighthouse"}, scavenge: []string{"c14m1_junkyard"}},
}

// officialCampaign is one row of the table.
type officialCampaign struct {
	name, title                  string
	chapters, survival, scavenge []string
}

// Official returns the official campaigns, c1 first: coop, realism and
// versus play every chapter; survival and scavenge the maps of the table,
// marked Unverified.
func Official() []Campaign {
	out := make([]Campaign, 0, len(official))
	for _, o := range official {
		c := Campaign{Name: o.name, Title: o.title, Modes: map[string][]string{
			"coop": o.chapters, "realism": o.chapters, "versus": o.chapters,
		}}
		if len(o.survival) > 0 {
			c.Modes["survival"] = o.survival
			c.Unverified = append(c.Unverified, "survival")
		}
		if len(o.scavenge) > 0 {
			c.Modes["scavenge"] = o.scavenge
			c.Unverified = append(c.Unverified, "scavenge")
		}
		out = append(out, c)
	}
	return out
}
