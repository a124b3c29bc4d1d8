package srcds

import (
	"context"
	"fmt"
	"net/netip"
	"strings"
	"time"
)

// PlayerState is one connected player as the panel shows it: the status row
// (authoritative for who is connected) with the A2S score when known.
type PlayerState struct {
	UserID    int
	Name      string
	SteamID   string // as status printed it; "BOT" for bots
	SteamID64 uint64 // 0 for bots
	Bot       bool
	Score     int
	HasScore  bool // an A2S entry matched
	Connected time.Duration
	Ping      int
	Loss      int
	State     string
	Addr      string
}

// MergePlayers joins status rows with A2S_PLAYER entries by name (in order,
// so duplicate names pair up one by one). status has no scores and A2S has
// no ids: the panel wants both. A2S entries may be missing entirely — the
// engine may not answer A2S on loopback (SRCDS.md §2) — and then players
// have no score. For bots, whose status rows carry no time, the A2S
// duration is used.
func MergePlayers(st Status, a2s []Player) []PlayerState {
	byName := map[string][]Player{}
	for _, p := range a2s {
		byName[p.Name] = append(byName[p.Name], p)
	}
	out := make([]PlayerState, 0, len(st.Players))
	for _, r := range st.Players {
		ps := PlayerState{
			UserID: r.UserID, Name: r.Name, SteamID: r.UniqueID, SteamID64: r.SteamID64, Bot: r.Bot,
			Connected: r.Connected, Ping: r.Ping, Loss: r.Loss, State: r.State, Addr: r.Addr,
		}
		if q := byName[r.Name]; len(q) > 0 {
			ps.Score, ps.HasScore = q[0].Score, true
			if r.Bot {
				ps.Connected = q[0].Duration.Truncate(time.Second)
			}
			byName[r.Name] = q[1:]
		}
		out = append(out, ps)
	}
	return out
}

// AddLogAddress makes the server send its log to addr: "logaddress_add
// addr" then "log on". An address already in the server's list is fine.
//
// NOTE: srcds drops destinations in 127.0.0.0/8 without a word (SRCDS.md
// §4); addr must be a non-loopback address of the host. AddLogAddress
// refuses a loopback addr so that mistake shows up as an error.
func (c *RCON) AddLogAddress(ctx context.Context, addr netip.AddrPort) error {
	if !addr.IsValid() || addr.Port() == 0 {
		return fmt.Errorf("rcon %s: logaddress_add: invalid address %q", c.addr, addr)
	}
	if addr.Addr().Unmap().IsLoopback() {
		return fmt.Errorf("rcon %s: logaddress_add %s: srcds drops loopback log destinations; announce a non-loopback address of this host", c.addr, addr)
	}
	return c.addLogAddress(ctx, addr)
}

// AddLogAddressUnchecked is AddLogAddress without the loopback check, for
// tests against fakesrcds with loopback logs allowed.
func (c *RCON) AddLogAddressUnchecked(ctx context.Context, addr netip.AddrPort) error {
	return c.addLogAddress(ctx, addr)
}

func (c *RCON) addLogAddress(ctx context.Context, addr netip.AddrPort) error {
	out, err := c.Exec(ctx, "logaddress_add "+addr.String())
	if err != nil {
		return err
	}
	if strings.Contains(out, "unparseable") || strings.Contains(out, "usage") {
		return fmt.Errorf("rcon %s: logaddress_add %s: server said %q", c.addr, addr, strings.TrimSpace(out))
	}
	if _, err := c.Exec(ctx, "log on"); err != nil {
		return err
	}
	return nil
}
