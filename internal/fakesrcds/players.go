package fakesrcds

import (
	"fmt"
	"strings"
	"time"
)

// player is a connected client: a simulated human or a bot.
type player struct {
	userID  int
	slot    int // 1-based, as status prints it
	name    string
	steamID string // "STEAM_1:0:N", or "BOT"
	bot     bool
	simIdx  int // 1-based index among simulated humans (or bots)
	joined  time.Time
	score   int
	ping    int
	loss    int
	rate    int
	addr    string
	team    string
}

// logID is the player as log lines name it: "Name<userid><steamid><team>".
func (p *player) logID() string {
	return fmt.Sprintf("\"%s<%d><%s><%s>\"", p.name, p.userID, p.steamID, p.team)
}

var humanNames = []string{"Ellie", "Marcus", "Priya", "Tomasz", "Yuki", "Gabriel", "Ines", "Olu", "Freya", "Dmitri", "Sofia", "Kwame", "Lena", "Mateo", "Hana", "Ravi"}
var botNames = []string{"Coach", "Ellis", "Nick", "Rochelle", "Bill", "Francis", "Louis", "Zoey"}

// simName names the i-th (1-based) simulated human or bot.
func simName(i int, bot bool) string {
	names := humanNames
	if bot {
		names = botNames
	}
	n := names[(i-1)%len(names)]
	if i > len(names) {
		n = fmt.Sprintf("%s (%d)", n, (i-1)/len(names)+1)
	}
	return n
}

func (s *Server) playerByUserID(uid int) *player {
	for _, p := range s.players {
		if p.userID == uid {
			return p
		}
	}
	return nil
}

func (s *Server) freeSlot() int {
	used := map[int]bool{}
	for _, p := range s.players {
		used[p.slot] = true
	}
	for i := 1; ; i++ {
		if !used[i] {
			return i
		}
	}
}

// counts returns the connected humans and bots.
func (s *Server) counts() (humans, bots int) {
	for _, p := range s.players {
		if p.bot {
			bots++
		} else {
			humans++
		}
	}
	return humans, bots
}

// reconcilePlayersLocked brings the simulated players in line with
// fakesrcds_players and fakesrcds_bots (capped by maxplayers). Bots change at
// once; humans join one per fakesrcds_join_interval seconds when that is set.
func (s *Server) reconcilePlayersLocked() {
	if s.udp == nil || s.isStopping() {
		return
	}
	defer s.chatterLocked()
	wantBots := max(0, s.cvars.int(cvarBots))
	wantHumans := max(0, s.cvars.int(cvarPlayers))
	maxp := s.opts.MaxPlayers
	wantBots = min(wantBots, maxp)
	wantHumans = min(wantHumans, maxp-wantBots)

	humans, bots := s.simCounts()
	for humans > wantHumans {
		s.removePlayerLocked(s.lastSim(false), "Disconnect by user.")
		humans--
	}
	interval := s.cvars.float(cvarJoinInterval)
	if humans < wantHumans {
		if interval <= 0 {
			for ; humans < wantHumans; humans++ {
				s.addPlayerLocked(false)
			}
		} else if s.joinTimer == nil {
			s.joinTimer = time.AfterFunc(time.Duration(interval*float64(time.Second)), func() {
				s.mu.Lock()
				defer s.mu.Unlock()
				s.joinTimer = nil
				humans, _ := s.simCounts()
				if humans < min(max(0, s.cvars.int(cvarPlayers)), s.opts.MaxPlayers) && !s.isStopping() {
					s.addPlayerLocked(false)
				}
				s.reconcilePlayersLocked()
			})
		}
	}
	// NOTE: with no humans and sv_hibernate_when_empty 1 (the default) the
	// server hibernates and kicks its bots (docs/srcds.md §8); they come
	// back with the first human.
	if s.hibernatingLocked() {
		wantBots = 0
	}
	for bots > wantBots {
		s.removePlayerLocked(s.lastSim(true), "Kicked by Console")
		bots--
	}
	for bots < wantBots {
		s.addPlayerLocked(true)
		bots++
	}
}

// simCounts returns the simulated humans (fakesrcds_players; not those
// that joined by fakesrcds_join) and the bots.
func (s *Server) simCounts() (humans, bots int) {
	for _, p := range s.players {
		switch {
		case p.bot:
			bots++
		case p.simIdx > 0:
			humans++
		}
	}
	return humans, bots
}

// hibernatingLocked reports whether the server hibernates: no humans and
// sv_hibernate_when_empty set.
func (s *Server) hibernatingLocked() bool {
	humans, _ := s.counts()
	return humans == 0 && s.cvars.int(cvarHibernate) != 0
}

func (s *Server) isStopping() bool {
	select {
	case <-s.stopped:
		return true
	default:
		return false
	}
}

// lastSim is the most recently added simulated human or bot.
func (s *Server) lastSim(bot bool) *player {
	var last *player
	for _, p := range s.players {
		if p.bot == bot && p.simIdx > 0 && (last == nil || p.simIdx > last.simIdx) {
			last = p
		}
	}
	return last
}

func (s *Server) addPlayerLocked(bot bool) {
	// Reuse the lowest simulated index not currently connected, so a
	// player who left and comes back keeps name and SteamID.
	used := map[int]bool{}
	for _, p := range s.players {
		if p.bot == bot {
			used[p.simIdx] = true
		}
	}
	i := 1
	// A banned SteamID cannot connect (bans.go): that simulated human
	// stays away and the next one comes instead.
	for used[i] || (!bot && s.bannedLocked(simSteamID(i))) {
		i++
	}
	if !bot {
		s.addHumanLocked(simName(i, false), simSteamID(i), i)
		return
	}
	p := &player{
		userID: s.nextUserID,
		slot:   s.freeSlot(),
		name:   simName(i, bot),
		bot:    bot,
		simIdx: i,
		joined: time.Now(),
		team:   "Survivor",
	}
	s.nextUserID++
	p.steamID = "BOT"
	s.players = append(s.players, p)
	s.logLocked(fmt.Sprintf("\"%s<%d><BOT><>\" connected, address \"none\"", p.name, p.userID))
	s.logLocked(fmt.Sprintf("\"%s<%d><BOT><>\" entered the game", p.name, p.userID))
}

// simSteamID is the SteamID of the i-th simulated human.
func simSteamID(i int) string { return fmt.Sprintf("STEAM_1:0:%d", i) }

// addHumanLocked connects a human: simIdx > 0 for a simulated one
// (fakesrcds_players), 0 for one that joined by fakesrcds_join.
func (s *Server) addHumanLocked(name, steamID string, simIdx int) {
	i := simIdx
	if i == 0 {
		i = s.nextUserID
	}
	p := &player{
		userID:  s.nextUserID,
		slot:    s.freeSlot(),
		name:    name,
		steamID: steamID,
		simIdx:  simIdx,
		joined:  time.Now(),
		team:    "Survivor",
	}
	s.nextUserID++
	p.score = (i * 7) % 23
	p.ping = 20 + (i*13)%80
	p.rate = 30000
	// 203.0.113.0/24 is TEST-NET-3: documentation addresses nobody owns.
	p.addr = fmt.Sprintf("203.0.113.%d:27005", i%250+1)
	s.players = append(s.players, p)
	pre := fmt.Sprintf("\"%s<%d><%s><>\"", p.name, p.userID, p.steamID)
	s.out.printf("Client \"%s\" connected (%s).", p.name, p.addr)
	s.logLocked(fmt.Sprintf("%s connected, address \"%s\"", pre, p.addr))
	s.logLocked(fmt.Sprintf("%s STEAM USERID validated", pre))
	s.logLocked(fmt.Sprintf("%s entered the game", pre))
}

func (s *Server) removePlayerLocked(p *player, reason string) {
	if p == nil {
		return
	}
	for i, q := range s.players {
		if q == p {
			s.players = append(s.players[:i], s.players[i+1:]...)
			break
		}
	}
	if !p.bot {
		s.out.printf("Dropped %s from server (%s)", p.name, reason)
	}
	s.logLocked(fmt.Sprintf("%s disconnected (reason \"%s\")", p.logID(), reason))
}

// formatSeconds is the engine's COM_FormatSeconds: "MM:SS", or "%2d:MM:SS"
// once there are hours (note the space-padded hour).
func formatSeconds(sec int) string {
	h, m := sec/3600, (sec/60)%60
	if h > 0 {
		return fmt.Sprintf("%2d:%02d:%02d", h, m, sec%60)
	}
	return fmt.Sprintf("%02d:%02d", sec/60, sec%60)
}

// statusLocked renders the "status" command in the engine's layout
// (docs/srcds.md §3). Human rows are "# %2d %d \"name\" uniqueid connected ping
// loss state rate adr"; bot rows "#%2d \"name\" BOT active".
func (s *Server) statusLocked() string {
	var b strings.Builder
	humans, bots := s.counts()
	fmt.Fprintf(&b, "hostname: %s\n", s.cvars.str("hostname"))
	fmt.Fprintf(&b, "version : %s %s secure  (unknown)\n", GameVersion, BuildID)
	fmt.Fprintf(&b, "udp/ip  : %s:%d [ public n/a ]\n", s.opts.IP, s.Port())
	fmt.Fprintf(&b, "os      : Linux Dedicated\n")
	fmt.Fprintf(&b, "map     : %s at: 0 x, 0 y, 0 z\n", s.mapName)
	hib := "(not hibernating)"
	if s.hibernatingLocked() {
		hib = "(hibernating)"
	}
	fmt.Fprintf(&b, "players : %d humans, %d bots (%d max) %s (unreserved)\n", humans, bots, s.opts.MaxPlayers, hib)
	b.WriteString("\n# userid name uniqueid connected ping loss state rate adr\n")
	for _, p := range s.players {
		if p.bot {
			fmt.Fprintf(&b, "#%2d \"%s\" BOT active\n", p.userID, p.name)
			continue
		}
		fmt.Fprintf(&b, "# %2d %d \"%s\" %s %s %d %d active %d %s\n", p.userID, p.slot, p.name, p.steamID,
			formatSeconds(int(time.Since(p.joined).Seconds())), p.ping, p.loss, p.rate, p.addr)
	}
	b.WriteString("#end")
	return b.String()
}
