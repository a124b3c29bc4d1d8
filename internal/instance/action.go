package instance

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// Action is one of the power actions an operator asks for by name: from a
// panel button, an API route or a CLI verb.
type Action string

// The power actions.
const (
	Start   Action = "start"
	Stop    Action = "stop"
	Restart Action = "restart"
	Reset   Action = "reset"
)

// actions lists every action, in the order they are offered.
var actions = []Action{Start, Stop, Restart, Reset}

// ErrUnknownAction is returned (wrapped) for a name that is not an Action.
var ErrUnknownAction = errors.New("unknown instance action")

// ParseAction returns the action named s.
func ParseAction(s string) (Action, error) {
	a := Action(s)
	if a.valid() {
		return a, nil
	}
	names := make([]string, len(actions))
	for i, a := range actions {
		names[i] = string(a)
	}
	return "", fmt.Errorf("%w %q: want %s", ErrUnknownAction, s, strings.Join(names, ", "))
}

func (a Action) valid() bool {
	switch a {
	case Start, Stop, Restart, Reset:
		return true
	}
	return false
}

// String returns the action's name.
func (a Action) String() string { return string(a) }

// Past is the action in the past tense, for messages ("restarted alpha").
func (a Action) Past() string {
	switch a {
	case Start:
		return "started"
	case Stop:
		return "stopped"
	case Restart:
		return "restarted"
	case Reset:
		return "reset"
	}
	return string(a) + " done"
}

// Do runs action on the instance name: the one entry point of the panel,
// the API and the CLI for the power actions.
func (s *Service) Do(ctx context.Context, action Action, name string) error {
	err := s.do(ctx, action, name)
	if err == nil {
		s.notifyAction(ctx, action, name)
	}
	return err
}

func (s *Service) do(ctx context.Context, action Action, name string) error {
	switch action {
	case Start:
		return s.Start(ctx, name)
	case Stop:
		return s.Stop(ctx, name)
	case Restart:
		return s.Restart(ctx, name)
	case Reset:
		return s.Reset(ctx, name)
	}
	_, err := ParseAction(string(action))
	return err
}
