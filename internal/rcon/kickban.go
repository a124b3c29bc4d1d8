package rcon

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
)

// Who may kick and who may ban (the roles table, internal/roles):
//   - Kicking is one of the operator's commands (kickid in OperatorCommands,
//     roles.Moderate): it ends one visit.
//   - Banning and unbanning need the whole console (roles.Console: the
//     admin share role, the owner, administrators). A ban outlives the
//     visit, is stored, and reaches every instance its author may ban on;
//     an operator may not send banid or removeid from the console either.
//
// The commands are built here, and only here, from checked parts: a
// SteamID internal/bans has normalised, a whole number of minutes, a
// reason CheckReason accepted (docs/srcds.md §7).

// MaxReason bounds a kick or ban reason, in characters.
const MaxReason = 120

// CheckReason refuses a reason the console could misread: longer than
// MaxReason, or with a double quote, a ';', "//" or a control character
// (it is sent inside double quotes on one line).
func CheckReason(reason string) error {
	switch {
	case len([]rune(reason)) > MaxReason:
		return fmt.Errorf("at most %d characters", MaxReason)
	case strings.ContainsAny(reason, `";`) || strings.Contains(reason, "//"):
		return fmt.Errorf(`may not contain double quotes, ';' or "//" (the server's console would cut it there)`)
	case strings.IndexFunc(reason, unicode.IsControl) >= 0:
		return fmt.Errorf("may not contain line breaks or other control characters")
	}
	return nil
}

// KickCommand is "kickid TARGET" with the reason, quoted, shown to the
// player. target is a userid or a normalised SteamID; reason passed
// CheckReason.
func KickCommand(target, reason string) string {
	if reason == "" {
		return "kickid " + target
	}
	return "kickid " + target + ` "` + reason + `"`
}

// BanCommand puts steamID on a server's ban list for minutes (0:
// permanently) and drops the player if connected, with the reason:
// "banid MINUTES ID; kickid ID "Banned: reason"".
func BanCommand(minutes int, steamID, reason string) string {
	msg := "Banned"
	if reason != "" {
		msg += ": " + reason
	}
	return "banid " + strconv.Itoa(minutes) + " " + steamID + "; " + KickCommand(steamID, msg)
}

// UnbanCommand takes steamID off a server's ban list: "removeid ID".
func UnbanCommand(steamID string) string { return "removeid " + steamID }
