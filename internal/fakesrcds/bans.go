package fakesrcds

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// banEntry is one entry of the engine's ID filter list (banid): a uniqueid
// (SteamID) and when the ban ends (zero: permanent).
type banEntry struct {
	id    string
	until time.Time
}

// idArg reads a player argument that may be a SteamID the engine's
// tokenizer split at ':' ("STEAM_1" ":" "0" ":" "5", docs/srcds.md §3):
// the tokens are joined again. It returns the argument and how many tokens
// it took.
func idArg(args []string) (string, int) {
	if len(args) >= 5 && args[1] == ":" && args[3] == ":" {
		return args[0] + ":" + args[2] + ":" + args[4], 5
	}
	return args[0], 1
}

// bannedLocked reports whether the SteamID id is on the filter list now,
// dropping the entries whose time has passed (as the engine lifts a
// temporary ban when its minutes are over).
func (s *Server) bannedLocked(id string) bool {
	now := time.Now()
	keep := s.banList[:0]
	found := false
	for _, b := range s.banList {
		if !b.until.IsZero() && !now.Before(b.until) {
			continue
		}
		if strings.EqualFold(b.id, id) {
			found = true
		}
		keep = append(keep, b)
	}
	s.banList = keep
	return found
}

// targetLocked finds a connected player by userid or uniqueid (SteamID).
func (s *Server) targetLocked(arg string) *player {
	if uid, err := strconv.Atoi(arg); err == nil {
		return s.playerByUserID(uid)
	}
	for _, p := range s.players {
		if !p.bot && strings.EqualFold(p.steamID, arg) {
			return p
		}
	}
	return nil
}

// cmdKickID is "kickid <userid | uniqueid> [message]": the player is
// dropped with "Kicked by Console" and the message, if any, after " : ".
func (s *Server) cmdKickID(c command, out io.Writer) {
	if len(c.args) < 2 {
		s.reply(out, "Usage:  kickid < userid | uniqueid > { message }")
		return
	}
	arg, n := idArg(c.args[1:])
	target := s.targetLocked(arg)
	if target == nil {
		s.reply(out, "kickid:  no user %s found", arg)
		return
	}
	reason := "Kicked by Console"
	if msg := strings.Join(c.args[1+n:], " "); msg != "" {
		reason += " : " + msg
	}
	s.removePlayerLocked(target, reason)
}

// cmdBanID is "banid <minutes> <userid | uniqueid> {kick}": the SteamID
// goes on the filter list for minutes (0: permanently); with "kick" the
// player, if connected, is dropped too. Banning an ID already on the list
// replaces its time.
func (s *Server) cmdBanID(c command, out io.Writer) {
	if len(c.args) < 3 {
		s.reply(out, "Usage:  banid <minutes> <userid | uniqueid> { kick }")
		return
	}
	minutes, err := strconv.ParseFloat(c.args[1], 64)
	if err != nil || minutes < 0 {
		s.reply(out, "banid:  Invalid minutes value %s", c.args[1])
		return
	}
	arg, n := idArg(c.args[2:])
	id := arg
	p := s.targetLocked(arg)
	if p != nil {
		id = p.steamID
	} else if !strings.HasPrefix(strings.ToUpper(arg), "STEAM_") {
		s.reply(out, "banid:  Couldn't find %s.", arg)
		return
	}
	var until time.Time
	howLong := "permanently"
	if minutes > 0 {
		until = time.Now().Add(time.Duration(minutes * float64(time.Minute)))
		howLong = fmt.Sprintf("for %.2f minutes", minutes)
	}
	s.bannedLocked(id) // drop expired entries
	replaced := false
	for i := range s.banList {
		if strings.EqualFold(s.banList[i].id, id) {
			s.banList[i].until, replaced = until, true
		}
	}
	if !replaced {
		s.banList = append(s.banList, banEntry{id: id, until: until})
	}
	name, uid := "", ""
	if p != nil {
		name, uid = p.name, strconv.Itoa(p.userID)
	}
	s.logLocked(fmt.Sprintf("Banid: \"%s<%s><%s><>\" was banned \"%s\" by \"Console\"", name, uid, id, howLong))
	kick := len(c.args) > 2+n && strings.EqualFold(c.args[2+n], "kick")
	if kick && p != nil {
		s.removePlayerLocked(p, "Kicked and banned")
	}
}

// cmdRemoveID is "removeid <slot | uniqueid>": a number is the entry's
// place in listid (from 1), anything else a SteamID.
func (s *Server) cmdRemoveID(c command, out io.Writer) {
	if len(c.args) < 2 {
		s.reply(out, "Usage:  removeid < slot | uniqueid >")
		return
	}
	arg, _ := idArg(c.args[1:])
	s.bannedLocked(arg) // drop expired entries
	idx := -1
	if n, err := strconv.Atoi(arg); err == nil {
		if n >= 1 && n <= len(s.banList) {
			idx = n - 1
		}
	} else {
		for i, b := range s.banList {
			if strings.EqualFold(b.id, arg) {
				idx = i
			}
		}
	}
	if idx < 0 {
		s.reply(out, "removeid:  couldn't find %s", arg)
		return
	}
	id := s.banList[idx].id
	s.banList = append(s.banList[:idx], s.banList[idx+1:]...)
	s.logLocked(fmt.Sprintf("removeid: \"<><%s><>\" was unbanned", id))
	s.reply(out, "removeid:  filter removed for %s", id)
}

// cmdListID is "listid": the filter list, one numbered entry a line.
func (s *Server) cmdListID(out io.Writer) {
	s.bannedLocked("") // drop expired entries
	if len(s.banList) == 0 {
		s.reply(out, "ID filter list: empty")
		return
	}
	s.reply(out, "ID filter list: %d entries", len(s.banList))
	for i, b := range s.banList {
		if b.until.IsZero() {
			s.reply(out, "%d %s : permanent", i+1, b.id)
			continue
		}
		s.reply(out, "%d %s : %.3f min", i+1, b.id, time.Until(b.until).Minutes())
	}
}

// cmdWriteID is "writeid": the permanent bans are written to
// cfg/banned_user.cfg as banid lines (temporary ones are not kept).
func (s *Server) cmdWriteID(out io.Writer) {
	s.bannedLocked("")
	var b strings.Builder
	for _, e := range s.banList {
		if e.until.IsZero() {
			fmt.Fprintf(&b, "banid 0 %s\n", e.id)
		}
	}
	if err := os.WriteFile(filepath.Join(s.gameDir, "cfg", "banned_user.cfg"), []byte(b.String()), 0o644); err != nil {
		s.reply(out, "writeid: couldn't open banned_user.cfg")
		return
	}
	s.reply(out, "Writing banned_user.cfg.")
}

// cmdJoin is the stand-in's "fakesrcds_join STEAMID NAME...": a human with
// that SteamID and name tries to connect. A banned SteamID is refused (as
// the engine rejects a client on its filter list) and the attempt logged.
func (s *Server) cmdJoin(c command, out io.Writer) {
	if len(c.args) < 3 {
		s.reply(out, "fakesrcds_join <steamid> <name>")
		return
	}
	id, n := idArg(c.args[1:])
	name := strings.Join(c.args[1+n:], " ")
	if s.bannedLocked(id) {
		s.out.printf("Rejecting %s (%s): banned", name, id)
		s.reply(out, "fakesrcds_join: %s is banned", id)
		return
	}
	if s.targetLocked(id) != nil {
		s.reply(out, "fakesrcds_join: %s is already connected", id)
		return
	}
	if len(s.players) >= s.opts.MaxPlayers {
		s.reply(out, "fakesrcds_join: the server is full")
		return
	}
	s.addHumanLocked(name, id, 0)
}
