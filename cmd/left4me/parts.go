package main

import (
	"context"
	"errors"
	"fmt"
)

// part is one long-lived subsystem of the panel (job workers, live poller,
// events recorder, HTTP server, ...). run works until its context ends and
// returns once the part has stopped; an error means it failed.
type part struct {
	name string
	run  func(ctx context.Context) error
}

// runParts runs parts side by side until ctx ends or one of them fails (a
// part that returns nil has simply finished its work). Then it stops them
// one at a time in reverse order: the last part's context is cancelled
// first, and each earlier one's only after the later ones have returned.
// So the list is the start order and, read backwards, the shutdown order.
// It returns the failures, each naming its part.
func runParts(ctx context.Context, parts []part) error {
	type result struct {
		i   int
		err error
	}
	done := make(chan result, len(parts))
	cancels := make([]context.CancelFunc, len(parts))
	for i, p := range parts {
		// Each part stops when runParts says, not when ctx ends.
		pctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
		cancels[i] = cancel
		go func() { done <- result{i, p.run(pctx)} }()
	}
	var errs []error
	finished := make([]bool, len(parts))
	collect := func(r result) {
		finished[r.i] = true
		if r.err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", parts[r.i].name, r.err))
		}
	}
	running := len(parts)
wait:
	for running > 0 {
		select {
		case <-ctx.Done():
			break wait
		case r := <-done:
			running--
			collect(r)
			if r.err != nil {
				break wait
			}
		}
	}
	for i := len(parts) - 1; i >= 0; i-- {
		cancels[i]()
		for !finished[i] {
			collect(<-done)
		}
	}
	return errors.Join(errs...)
}
