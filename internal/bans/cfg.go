package bans

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/left4me/left4me/internal/instance"
	"github.com/left4me/left4me/internal/rcon"
	"github.com/left4me/left4me/internal/store"
)

// BansOnStore reads the bans in force on an instance (*store.Store).
type BansOnStore interface {
	BansOn(ctx context.Context, instance string, t time.Time) ([]store.Ban, error)
}

// Stager writes the ban lines of an instance's left4me_bans.cfg; the
// instance service stages it at every start (instance.Config.Bans).
type Stager struct {
	Store BansOnStore
	Now   func() time.Time // time.Now when nil
}

// BanCfg is the cfg that bans, at launch, every player banned on the
// instance name: one "banid MINUTES STEAMID" line per player, with its
// longest ban's minutes left (0: permanent). The engine forgets its ban
// list at every restart (docs/srcds.md §7), so this is run at every launch.
func (g Stager) BanCfg(ctx context.Context, name string) (string, error) {
	now := time.Now()
	if g.Now != nil {
		now = g.Now()
	}
	bans, err := g.Store.BansOn(ctx, name, now)
	if err != nil {
		return "", fmt.Errorf("stage the bans of %s: %w", name, err)
	}
	var b strings.Builder
	seen := map[string]bool{}
	for _, ban := range bans {
		if seen[ban.SteamID] {
			continue
		}
		seen[ban.SteamID] = true
		o, _ := strongest(bans, ban.SteamID, now)
		fmt.Fprintf(&b, "banid %s %s\n", strconv.Itoa(minutesLeft(o, now)), o.SteamID)
	}
	return b.String(), nil
}

// Kick drops a player from a running instance with a reason shown to the
// player (kickid, rcon.KickCommand), sent as u under the RCON policy and
// kept in the console history. player is a userid from the player list or
// a SteamID in any form ParseSteamID reads. Bad input is a FieldError
// naming "player" or "reason", and nothing is sent.
func (s *Service) Kick(ctx context.Context, inst instance.Instance, u rcon.User, player, reason string) (store.RCONEntry, error) {
	target := strings.TrimSpace(player)
	if n, err := strconv.Atoi(target); err == nil {
		if n < 1 {
			return store.RCONEntry{}, fieldErr(FieldPlayer, "%q is not a userid: give the player's userid from the player list or SteamID", player)
		}
		target = strconv.Itoa(n)
	} else if id, err := ParseSteamID(target); err == nil {
		target = id
	} else {
		return store.RCONEntry{}, fieldErr(FieldPlayer, "%q is neither a userid nor a SteamID: give the player's userid from the player list or SteamID", player)
	}
	reason = strings.TrimSpace(reason)
	if err := rcon.CheckReason(reason); err != nil {
		return store.RCONEntry{}, &instance.FieldError{Field: FieldReason, Err: err}
	}
	if s.cfg.Console == nil {
		return store.RCONEntry{}, rcon.ErrUnavailable
	}
	return s.cfg.Console.Send(ctx, inst, u, rcon.KickCommand(target, reason))
}
