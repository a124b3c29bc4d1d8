package instance

import (
	"context"
	"fmt"
	"path/filepath"
)

// BansCfgName is the cfg left4me stages into upper as
// left4dead2/cfg/BansCfgName at every start, with a banid line per player
// banned on the instance; the launch cfg runs it once (launchcfg.go).
//
// NOTE: it runs once at launch, not from server.cfg at every map start:
// the engine keeps its ban list across map changes and forgets it only at
// a restart (docs/srcds.md §7), and a ban lifted live (removeid) would come
// back at the next map change if server.cfg ran the staged lines again
// (files in upper are not rewritten under a mounted overlay,
// docs/lifecycle.md rule 8).
const BansCfgName = "left4me_bans.cfg"

// BanSource gives the banid lines of an instance's bans cfg (bans.Stager).
type BanSource interface {
	BanCfg(ctx context.Context, name string) (string, error)
}

// stageBans writes the bans cfg into upper next to the staged server.cfg
// (stage has made its directory); without a BanSource it bans nobody.
func (s *Service) stageBans(ctx context.Context, in Instance) error {
	text := "// written by left4me at every start and run once at launch: the players banned on " + in.Name + "\n" +
		"// (left4me ban list); ban and unban in left4me, not here\n"
	if s.cfg.Bans != nil {
		lines, err := s.cfg.Bans.BanCfg(ctx, in.Name)
		if err != nil {
			return fmt.Errorf("stage %s: %w", in.Name, err)
		}
		text += lines
	}
	path := filepath.Join(filepath.Dir(s.root.UpperServerCfg(in.Name)), BansCfgName)
	if err := s.writeFile(path, []byte(text), 0o640); err != nil {
		return fmt.Errorf("stage %s: %w", in.Name, err)
	}
	return nil
}
