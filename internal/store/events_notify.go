package store

import "sync"

// eventHub tells subscribers that an instance has new events, once each is
// committed: the instance page's event stream sends new chat lines and
// joins as they are stored instead of the page polling for them. Its zero
// value is ready.
type eventHub struct {
	mu   sync.Mutex
	subs map[string]map[chan struct{}]struct{}
}

// SubscribeEvents returns a channel that receives a coalesced notification
// after events of instance are stored (AddEvent), and a function that ends
// the subscription.
func (s *Store) SubscribeEvents(instance string) (<-chan struct{}, func()) {
	h := &s.events
	ch := make(chan struct{}, 1)
	h.mu.Lock()
	if h.subs == nil {
		h.subs = make(map[string]map[chan struct{}]struct{})
	}
	if h.subs[instance] == nil {
		h.subs[instance] = make(map[chan struct{}]struct{})
	}
	h.subs[instance][ch] = struct{}{}
	h.mu.Unlock()
	var once sync.Once
	return ch, func() {
		once.Do(func() {
			h.mu.Lock()
			defer h.mu.Unlock()
			delete(h.subs[instance], ch)
			if len(h.subs[instance]) == 0 {
				delete(h.subs, instance)
			}
		})
	}
}

// eventsStored notifies instance's subscribers without blocking: one
// waiting notification stands for any number of events.
func (s *Store) eventsStored(instance string) {
	h := &s.events
	h.mu.Lock()
	defer h.mu.Unlock()
	for ch := range h.subs[instance] {
		select {
		case ch <- struct{}{}:
		default:
		}
	}
}
