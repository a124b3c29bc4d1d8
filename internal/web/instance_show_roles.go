package web

import (
	"github.com/left4me/left4me/internal/rcon"
)

// lifecycleActions are the power buttons of the instance page, in order.
var lifecycleActions = []string{"start", "stop", "restart", "reset"}

// allowedActions are the power buttons rl may use: those whose route
// (POST /instances/{name}/ACTION) declares a permission rl grants. The
// route table is the one place that says which permission each needs.
func (s *Server) allowedActions(rl role) []string {
	need := map[string]access{}
	for _, rt := range s.routes {
		need[rt.pattern] = rt.access
	}
	var out []string
	for _, a := range lifecycleActions {
		if p := need["POST /instances/{name}/"+a].permission(); p != "" && rl.May(p) {
			out = append(out, a)
		}
	}
	return out
}

// OperatorCommands are the console commands of the operator role, for the
// page's help (rcon.OperatorCommands).
func (p showPage) OperatorCommands() []string { return rcon.OperatorCommands }
