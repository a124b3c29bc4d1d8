package fakesrcds

import (
	"fmt"
	"time"
)

// cvarChatInterval makes the simulated humans talk: every that many
// seconds one of them, in turn, says a line of chatLines (say_team for
// those starting with "(team)"), as players do. 0 (the default): only
// fakesrcds_chat makes them talk.
const cvarChatInterval = "fakesrcds_chat_interval"

// chatLines is what the simulated humans say, in order.
var chatLines = []string{
	"hi all",
	"(team)tank incoming, hold the saferoom",
	"nice shot",
	"(team)heal up before the event",
	"anyone got a defib?",
	"(team)witch on the left, lights off",
	"gg",
}

// sayLocked logs p saying text to everyone, or to the team (say_team), as
// the engine's log line "NAME<uid><steamid><team>" say "TEXT".
func (s *Server) sayLocked(p *player, text string, team bool) {
	verb := "say"
	if team {
		verb = "say_team"
	}
	s.out.printf("%s: %s", p.name, text)
	s.logLocked(fmt.Sprintf("%s %s \"%s\"", p.logID(), verb, text))
}

// chatterLocked keeps the chat timer running while the interval is set
// and a simulated human is on the server.
func (s *Server) chatterLocked() {
	interval := s.cvars.float(cvarChatInterval)
	if interval <= 0 || s.chatTimer != nil || s.isStopping() {
		return
	}
	s.chatTimer = time.AfterFunc(time.Duration(interval*float64(time.Second)), func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		s.chatTimer = nil
		if s.isStopping() {
			return
		}
		var humans []*player
		for _, p := range s.players {
			if !p.bot {
				humans = append(humans, p)
			}
		}
		if len(humans) > 0 && !s.loadingLocked() {
			line := chatLines[s.chatN%len(chatLines)]
			p := humans[s.chatN%len(humans)]
			s.chatN++
			if t, ok := cutTeam(line); ok {
				s.sayLocked(p, t, true)
			} else {
				s.sayLocked(p, line, false)
			}
		}
		s.chatterLocked()
	})
}

// cutTeam strips the "(team)" prefix that marks a say_team line.
func cutTeam(text string) (string, bool) {
	const prefix = "(team)"
	if len(text) >= len(prefix) && text[:len(prefix)] == prefix {
		return text[len(prefix):], true
	}
	return text, false
}
