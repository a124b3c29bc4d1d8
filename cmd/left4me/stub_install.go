package main

import (
	"context"
	"errors"
)

// Placeholder until the content pipeline lands (issue 5); replaced by install.go.
func runInstall(ctx context.Context, env *cliEnv, args []string) error {
	return errors.New("not built yet")
}
