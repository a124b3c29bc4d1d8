package instance

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
)

// autostartFile is the instance's autostart setting, in instances/NAME/
// next to its server.cfg: "off" turns the boot autostart off for it; no
// file (every instance made before the setting existed) means on.
//
// NOTE: docs/lifecycle.md rule 9 — the boot autostart starts an instance
// that was running (WantRunning, which Start and Stop record) only while
// this setting is on. Start and Stop never change the setting: only the
// create and edit forms, the API and the CLI do, through Create, Update
// and SetAutostart.
func (s *Service) autostartFile(name string) string {
	return filepath.Join(s.root.Instance(name), "autostart")
}

// readAutostart reads an instance's autostart setting (on unless "off").
func (s *Service) readAutostart(name string) bool {
	b, err := os.ReadFile(s.autostartFile(name))
	return err != nil || !bytes.Equal(bytes.TrimSpace(b), []byte("off"))
}

// writeAutostart stores an instance's autostart setting.
func (s *Service) writeAutostart(name string, on bool) error {
	v := "off\n"
	if on {
		v = "on\n"
	}
	if err := s.writeFile(s.autostartFile(name), []byte(v), 0o640); err != nil {
		return fmt.Errorf("set autostart of %s: %w", name, err)
	}
	return nil
}

// SetAutostart turns the boot autostart of an existing instance on or off.
func (s *Service) SetAutostart(ctx context.Context, name string, on bool) error {
	unlock, err := s.lockExisting(ctx, name)
	if err != nil {
		return err
	}
	defer unlock()
	return s.writeAutostart(name, on)
}

// autostartOn is a Spec's or Update's setting: nil means on.
func autostartOn(v *bool) bool { return v == nil || *v }
