package main

import (
	"context"
	"errors"
)

// Placeholder until the content pipeline lands (issue 5); replaced by job.go.
func runJob(ctx context.Context, env *cliEnv, args []string) error {
	return errors.New("not built yet")
}
