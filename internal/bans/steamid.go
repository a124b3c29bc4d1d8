package bans

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

var (
	steam2  = regexp.MustCompile(`^STEAM_([0-5]):([01]):([0-9]{1,10})$`)
	steam3  = regexp.MustCompile(`^\[U:1:([0-9]{1,10})\]$`)
	steam64 = regexp.MustCompile(`^7656119[0-9]{10}$`)
)

// steam64Base is the 64-bit ID of account 0 (docs/srcds.md §5).
const steam64Base = 76561197960265728

// ParseSteamID reads a player's SteamID as people copy it — STEAM_X:Y:Z,
// [U:1:N] or the 17-digit 7656119... — and returns it as L4D2's status
// prints it, STEAM_1:Y:Z (N = 2Z + Y; docs/srcds.md §5 and §7).
func ParseSteamID(text string) (string, error) {
	t := strings.TrimSpace(text)
	var account uint64
	switch {
	case steam2.MatchString(strings.ToUpper(t)):
		m := steam2.FindStringSubmatch(strings.ToUpper(t))
		y, _ := strconv.ParseUint(m[2], 10, 64)
		z, err := strconv.ParseUint(m[3], 10, 64)
		if err != nil || z > 1<<31-1 {
			return "", fmt.Errorf("%q is out of range", text)
		}
		account = 2*z + y
	case steam3.MatchString(strings.ToUpper(t)):
		n, err := strconv.ParseUint(steam3.FindStringSubmatch(strings.ToUpper(t))[1], 10, 64)
		if err != nil || n > 1<<32-1 {
			return "", fmt.Errorf("%q is out of range", text)
		}
		account = n
	case steam64.MatchString(t):
		n, err := strconv.ParseUint(t, 10, 64)
		if err != nil || n < steam64Base || n-steam64Base > 1<<32-1 {
			return "", fmt.Errorf("%q is out of range", text)
		}
		account = n - steam64Base
	case t == "":
		return "", fmt.Errorf("give the player's SteamID (STEAM_1:0:12345 or [U:1:24690])")
	default:
		return "", fmt.Errorf("%q is not a SteamID: use STEAM_1:0:12345, [U:1:24690] or 76561197960290418", text)
	}
	if account == 0 {
		return "", fmt.Errorf("%q is no player's SteamID (account 0)", text)
	}
	return fmt.Sprintf("STEAM_1:%d:%d", account%2, account/2), nil
}
