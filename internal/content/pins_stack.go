package content

import (
	"errors"
	"io/fs"

	"github.com/left4me/left4me/internal/layout"
	"github.com/left4me/left4me/internal/overlay"
)

// StackOf is Stacks for one instance; ok is false when it never started
// (no instance.env).
func StackOf(root layout.Root, name string) (st Stack, ok bool, err error) {
	if err := layout.ValidateName(name); err != nil {
		return Stack{}, false, err
	}
	env, err := overlay.ReadEnvFile(root.InstanceEnv(name))
	if errors.Is(err, fs.ErrNotExist) {
		return Stack{}, false, nil
	}
	if err != nil {
		return Stack{}, false, err
	}
	st, err = stackOf(root, name, env, map[string]string{})
	return st, err == nil, err
}
