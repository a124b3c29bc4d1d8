package web

import (
	"net/http"

	"github.com/left4me/left4me/internal/rcon"
	"github.com/left4me/left4me/internal/roles"
)

// rconUser is who sends a console command under the RCON policy: secrets
// for roles.Secrets, the whole console for roles.Console, else only the
// operator's commands (the route needs roles.Moderate).
func rconUser(r *http.Request, rl role) rcon.User {
	u := who(r).User
	return rcon.User{ID: u.ID, Name: u.Name, MaySeeSecrets: rl.May(roles.Secrets), OperatorOnly: !rl.May(roles.Console)}
}
