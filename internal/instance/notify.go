package instance

import "context"

// Notifier receives the lifecycle's events (internal/notify's Service):
// instance.started after a start or restart, instance.stopped after a stop.
// It only enqueues; it must not block.
type Notifier interface {
	Notify(ctx context.Context, event, instance string, detail map[string]any)
}

// notifyAction tells the notifier what a successful power action did.
func (s *Service) notifyAction(ctx context.Context, action Action, name string) {
	n := s.cfg.Notifier
	if n == nil {
		return
	}
	switch action {
	case Start, Restart:
		n.Notify(ctx, "instance.started", name, map[string]any{"action": string(action)})
	case Stop:
		n.Notify(ctx, "instance.stopped", name, map[string]any{"action": string(action)})
	}
}
