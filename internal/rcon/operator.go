package rcon

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// OperatorCommands are the console commands a user with the operator role
// may send (roles.Moderate): change the map, kick a player, talk to the
// players. Everything else needs the RCON console (roles.Console).
var OperatorCommands = []string{"changelevel", "map", "kick", "kickid", "say"}

// ErrNotOperatorCommand: the sender may send only OperatorCommands and
// the command has another one in a part.
var ErrNotOperatorCommand = errors.New("not an operator command")

// operatorError is an ErrNotOperatorCommand naming the command refused.
type operatorError string

func (e operatorError) Error() string {
	return fmt.Sprintf("the operator role may send only %s (not %s): ask the owner for the admin role to use the whole RCON console",
		strings.Join(OperatorCommands, ", "), string(e))
}
func (e operatorError) Is(target error) bool { return target == ErrNotOperatorCommand }

// CheckOperator refuses a command with a part whose command name is not
// one of OperatorCommands (Parts splits it as the engine would, at least).
func CheckOperator(command string) error {
	for _, part := range Parts(command) {
		name, _ := nameOf(part)
		if !slices.Contains(OperatorCommands, strings.ToLower(name)) {
			return operatorError(name)
		}
	}
	return nil
}
