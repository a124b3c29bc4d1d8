package fakesrcds

import "time"

// mapLoad is a changelevel in progress. While one runs the server answers
// neither A2S nor RCON (docs/srcds.md §8 "Map loads stall"): A2S packets
// are dropped, RCON connections are accepted but their packets wait until
// the load is over. Guarded by Server.mu.
type mapLoad struct {
	done    chan struct{} // closed when the load ends; nil when none runs
	timer   *time.Timer
	mapName string // the map being loaded
}

// beginMapLoadLocked starts loading a map after changelevel or map. The
// engine's header line is printed at once, so a watchdog reading the console
// sees a map change begin; the map itself (server.cfg, the log lines of a
// new map) comes after -fakemapload seconds. With 0 it loads at once.
//
// NOTE: the command's own reply goes out before the stall, as the engine
// runs the load on a later frame than the command (unverified in detail).
func (s *Server) beginMapLoadLocked(name string) {
	s.out.printf("---- Host_Changelevel ----")
	d := time.Duration(s.opts.FakeMapLoad * float64(time.Second))
	if d <= 0 {
		s.loadMapLocked(name, true)
		s.reconcilePlayersLocked()
		return
	}
	s.load.mapName = name
	if s.load.done != nil {
		return // already loading: the newer map wins when the load ends
	}
	done := make(chan struct{})
	s.load.done = done
	s.load.timer = time.AfterFunc(d, func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.load.done != done {
			return // stopped meanwhile
		}
		s.loadMapLocked(s.load.mapName, true)
		s.load = mapLoad{}
		close(done)
		s.reconcilePlayersLocked()
	})
}

// stopMapLoadLocked abandons a load on shutdown, releasing its waiters.
func (s *Server) stopMapLoadLocked() {
	if s.load.done == nil {
		return
	}
	s.load.timer.Stop()
	close(s.load.done)
	s.load = mapLoad{}
}

// loadingLocked reports whether a map load is in progress.
func (s *Server) loadingLocked() bool { return s.load.done != nil }

// waitLoaded blocks while a map load is in progress; false when the server
// stops meanwhile.
func (s *Server) waitLoaded() bool {
	for {
		s.mu.Lock()
		done := s.load.done
		s.mu.Unlock()
		if done == nil {
			return !s.isStopping()
		}
		select {
		case <-done:
		case <-s.stopped:
			return false
		}
	}
}
