package main

import (
	"context"
	"errors"
)

// Placeholders until the panel lands; the web helper replaces this file.
func runServe(ctx context.Context, env *cliEnv, args []string) error {
	return errors.New("not built yet")
}

func runDemo(ctx context.Context, env *cliEnv, args []string) error {
	return errors.New("not built yet")
}
