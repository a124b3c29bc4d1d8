package content

import (
	"errors"
	"fmt"
	"slices"

	"github.com/left4me/left4me/internal/layout"
)

// FieldGeneration names the generation of a rollback.
const FieldGeneration = "generation"

// Rollback makes gen, a kept installation generation, the default of new
// starts again (layout.SetDefault); "" is the generation before the
// current default. Instances move to it at their next (re)start: the stale
// lists and the rolling restart see them as on another generation. It
// returns the default before and after. A generation that does not exist,
// or no older one to go back to, is a FieldError naming generation;
// nothing changes then. Rolling back to the newest ends a rollback.
func Rollback(root layout.Root, gen string) (from, to string, err error) {
	parent := root.Installations()
	gens, err := layout.Generations(parent)
	if err != nil {
		return "", "", err
	}
	from, err = layout.Default(parent)
	if err != nil {
		return "", "", err
	}
	if from == "" {
		return "", "", &FieldError{Field: FieldGeneration, Err: errors.New("the game is not installed: there is no generation to roll back to")}
	}
	to = gen
	if to == "" {
		i := slices.Index(gens, from)
		if i <= 0 {
			return from, "", &FieldError{Field: FieldGeneration, Err: fmt.Errorf("no generation older than the default %s is kept; name one of %v", from, gens)}
		}
		to = gens[i-1]
	}
	if !slices.Contains(gens, to) {
		return from, "", &FieldError{Field: FieldGeneration, Err: fmt.Errorf("the installation has no generation %q (it has %v)", to, gens)}
	}
	if err := layout.SetDefault(parent, to); err != nil {
		return from, "", err
	}
	return from, to, nil
}
