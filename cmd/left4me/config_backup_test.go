package main

import "testing"

// TestBackupDirSetting: LEFT4ME_BACKUP_DIR defaults to backups/ under the
// state root; a relative path is under it, an absolute one is itself.
func TestBackupDirSetting(t *testing.T) {
	for _, c := range []struct{ root, v, want string }{
		{"", "", "/var/lib/left4me/backups"},
		{"/srv/l4m", "", "/srv/l4m/backups"},
		{"/srv/l4m", "keep", "/srv/l4m/keep"},
		{"/srv/l4m", "/mnt/backups/", "/mnt/backups"},
	} {
		env := map[string]string{"LEFT4ME_BACKUP_DIR": c.v}
		if c.root != "" {
			env["LEFT4ME_ROOT"] = c.root
		}
		cfg, err := loadConfig(envFunc(env))
		if err != nil {
			t.Fatalf("%+v: %v", c, err)
		}
		if cfg.BackupDir != c.want {
			t.Errorf("LEFT4ME_ROOT=%q LEFT4ME_BACKUP_DIR=%q: %q, want %q", c.root, c.v, cfg.BackupDir, c.want)
		}
	}
}
