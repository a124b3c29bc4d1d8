package rcon

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/left4me/left4me/internal/instance"
)

type notes []string

func (n *notes) Notify(_ context.Context, event, inst string, detail map[string]any) {
	*n = append(*n, fmt.Sprintf("%s %s %v by %v", event, inst, detail["command"], detail["by"]))
}

// TestBanCommandsNotify: a ban sent through the console is player.banned,
// one per banning part; other commands and unsent ones are not.
func TestBanCommandsNotify(t *testing.T) {
	ctx := context.Background()
	st, u := newStore(t)
	snd := &echoSender{}
	var n notes
	c := New(snd, states{"alpha": instance.Running, "beta": instance.Stopped}, st, Policy{}).WithNotifier(&n)
	alice := User{ID: u.ID, Name: u.Name, MaySeeSecrets: true}
	alpha, beta := instance.Instance{Name: "alpha"}, instance.Instance{Name: "beta"}
	c.Send(ctx, alpha, alice, "status")
	c.Send(ctx, alpha, alice, `banid 0 STEAM_1:0:42 kick; say bye; sm_ban "#7" 0 griefing`)
	c.Send(ctx, beta, alice, "banid 0 STEAM_1:0:43") // not running: not sent
	snd.fail = fmt.Errorf("connection refused")
	c.Send(ctx, alpha, alice, "banid 0 STEAM_1:0:44") // no answer: not known to be done
	want := "player.banned alpha banid 0 STEAM_1:0:42 kick by alice\nplayer.banned alpha sm_ban \"#7\" 0 griefing by alice"
	if got := strings.Join(n, "\n"); got != want {
		t.Errorf("notified:\n%s\nwant:\n%s", got, want)
	}
}
