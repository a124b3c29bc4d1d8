package srcds

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// steamID64Base is the 64-bit id of account 0 in the public universe for
// individual accounts.
const steamID64Base = 76561197960265728

// ErrNotSteamID says a string is no SteamID in any of the accepted forms
// (bots show "BOT" where a human has a SteamID).
var ErrNotSteamID = errors.New("not a SteamID")

// SteamID64 converts STEAM_X:Y:Z (to base + 2Z + Y), [U:1:N] (to base + N)
// or a decimal 64-bit id to a 64-bit SteamID.
func SteamID64(id string) (uint64, error) {
	id = strings.TrimSpace(id)
	switch {
	case strings.HasPrefix(id, "STEAM_"):
		parts := strings.Split(id[len("STEAM_"):], ":")
		if len(parts) != 3 {
			return 0, fmt.Errorf("steamid %q: %w", id, ErrNotSteamID)
		}
		if _, err := strconv.ParseUint(parts[0], 10, 8); err != nil {
			return 0, fmt.Errorf("steamid %q: universe: %w", id, ErrNotSteamID)
		}
		y, err := strconv.ParseUint(parts[1], 10, 1)
		if err != nil {
			return 0, fmt.Errorf("steamid %q: auth bit must be 0 or 1: %w", id, ErrNotSteamID)
		}
		z, err := strconv.ParseUint(parts[2], 10, 31)
		if err != nil {
			return 0, fmt.Errorf("steamid %q: account number: %w", id, ErrNotSteamID)
		}
		return steamID64Base + 2*z + y, nil
	case strings.HasPrefix(id, "[U:1:") && strings.HasSuffix(id, "]"):
		n, err := strconv.ParseUint(id[len("[U:1:"):len(id)-1], 10, 32)
		if err != nil {
			return 0, fmt.Errorf("steamid %q: account number: %w", id, ErrNotSteamID)
		}
		return steamID64Base + n, nil
	}
	n, err := strconv.ParseUint(id, 10, 64)
	if err != nil || n < steamID64Base || n-steamID64Base > 1<<32-1 {
		return 0, fmt.Errorf("steamid %q: %w", id, ErrNotSteamID)
	}
	return n, nil
}
