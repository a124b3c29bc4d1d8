package campaigns

import (
	"regexp"
	"strings"
)

// StandardModes are the game modes of mp_gamemode every installation has
// (the stand-in's cvar help and docs/srcds.md §9).
var StandardModes = []string{"coop", "realism", "versus", "survival", "scavenge"}

// mutation matches the names of the game's mutations ("mutation1" …
// "mutation20", "community1" … "community6"), accepted as modes without a
// map check (the list is unverified: docs/srcds.md §9).
var mutation = regexp.MustCompile(`^(mutation([1-9]|1[0-9]|20)|community[1-6])$`)

// modeName is what a game mode may look like. A mission file names its
// modes freely; only names of this shape are offered or sent, so that no
// VPK can smuggle a second console command into "mp_gamemode MODE".
var modeName = regexp.MustCompile(`^[a-z0-9_]{1,32}$`)

// baseMode is the mode whose chapters mode plays: realism plays the coop
// chapters; team versus and team scavenge those of versus and scavenge.
func baseMode(mode string) string {
	switch mode {
	case "realism":
		return "coop"
	case "teamversus":
		return "versus"
	case "teamscavenge":
		return "scavenge"
	}
	return mode
}

// knownMode reports whether mode may be set: one of modes, or a mutation.
func knownMode(mode string, modes []string) bool {
	for _, m := range modes {
		if m == mode {
			return true
		}
	}
	return mutation.MatchString(mode)
}

// normMode is a mode as people type it.
func normMode(mode string) string { return strings.ToLower(strings.TrimSpace(mode)) }
