package main

import (
	"context"
	"errors"
)

// Placeholders until the CLI lands; the core helper replaces this file.
func runUser(ctx context.Context, env *cliEnv, args []string) error {
	return errors.New("not built yet")
}

func runInstance(ctx context.Context, env *cliEnv, args []string) error {
	return errors.New("not built yet")
}
