package views

import (
	"time"

	"github.com/left4me/left4me/internal/bans"
	"github.com/left4me/left4me/internal/store"
)

// Ban is one player ban (internal/bans).
type Ban struct {
	ID      int64  `json:"id"`
	SteamID string `json:"steam_id"` // STEAM_1:Y:Z
	Reason  string `json:"reason"`
	// By is the author's account name ("system" for the CLI).
	By string    `json:"by"`
	At time.Time `json:"at"`
	// Expires is when the ban ends (absent: permanent).
	Expires   time.Time `json:"expires,omitzero"`
	Permanent bool      `json:"permanent"`
	// Global bans apply to every instance; others to Instances (those the
	// reader may see).
	Global    bool     `json:"global"`
	Instances []string `json:"instances"`
}

// NewBan is the view of b.
func NewBan(b store.Ban) Ban {
	v := Ban{ID: b.ID, SteamID: b.SteamID, Reason: b.Reason, By: b.ByName, At: b.At.UTC(),
		Permanent: b.Expires.IsZero(), Global: b.Global, Instances: b.Instances}
	if !b.Expires.IsZero() {
		v.Expires = b.Expires.UTC()
	}
	if v.Instances == nil {
		v.Instances = []string{}
	}
	return v
}

// NewBans is the view of a list of bans.
func NewBans(list []store.Ban) []Ban {
	out := make([]Ban, 0, len(list))
	for _, b := range list {
		out = append(out, NewBan(b))
	}
	return out
}

// BanPush is what happened on one running instance a ban or its lifting
// was sent to.
type BanPush struct {
	Instance string `json:"instance"`
	// Error is why the server did not take it (absent: it did); the ban
	// is stored all the same and staged at the instance's next start.
	Error string `json:"error,omitempty"`
}

// BanChange is the answer to adding or lifting a ban.
type BanChange struct {
	Ban    Ban       `json:"ban"`
	Pushed []BanPush `json:"pushed"`
}

// NewBanChange is the view of a ban added or lifted and its pushes.
func NewBanChange(b store.Ban, pushes []bans.Push) BanChange {
	v := BanChange{Ban: NewBan(b), Pushed: []BanPush{}}
	for _, p := range pushes {
		bp := BanPush{Instance: p.Instance}
		if p.Err != nil {
			bp.Error = p.Err.Error()
		}
		v.Pushed = append(v.Pushed, bp)
	}
	return v
}
