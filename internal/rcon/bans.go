package rcon

import (
	"context"
	"strings"

	"github.com/left4me/left4me/internal/instance"
)

// Notifier hears of players banned through the console (internal/notify's
// Service): player.banned.
type Notifier interface {
	Notify(ctx context.Context, event, instance string, detail map[string]any)
}

// banCommands are the engine's and SourceMod's commands that ban a player
// or an address.
var banCommands = map[string]bool{"banid": true, "banip": true, "addip": true,
	"sm_ban": true, "sm_banip": true, "sm_addban": true}

// WithNotifier makes the console tell n of every ban command it sent
// successfully; it returns c.
func (c *Console) WithNotifier(n Notifier) *Console {
	c.notifier = n
	return c
}

// noteBans notifies player.banned for each part of command that bans, as
// the history records it (no secret values).
func (c *Console) noteBans(ctx context.Context, inst instance.Instance, u User, command string) {
	if c.notifier == nil {
		return
	}
	for _, part := range Parts(command) {
		name, _ := nameOf(part)
		if !banCommands[strings.ToLower(name)] {
			continue
		}
		hpart, _ := c.policy.ForHistory(part, "")
		by := u.Name
		if by == "" {
			by = "system"
		}
		c.notifier.Notify(ctx, "player.banned", inst.Name, map[string]any{"command": redactPassword(inst, hpart), "by": by})
	}
}
