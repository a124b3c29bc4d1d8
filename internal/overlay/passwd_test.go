package overlay

import (
	"os"
	"path/filepath"
	"testing"
)

func TestLookupUID(t *testing.T) {
	passwd := filepath.Join(t.TempDir(), "passwd")
	data := "root:x:0:0:root:/root:/bin/bash\n" +
		"left4mex:x:900:900::/:/usr/sbin/nologin\n" +
		"left4me:x:998:998:left4me:/var/lib/left4me:/usr/sbin/nologin\n" +
		"broken:x:notanumber:1::/:/bin/sh\n" +
		"short:x\n"
	if err := os.WriteFile(passwd, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		path   string
		wantID uint32
		wantOK bool
	}{
		{"left4me", passwd, 998, true},
		{"root", passwd, 0, true},
		{"nobody", passwd, 0, false},
		{"broken", passwd, 0, false},
		{"short", passwd, 0, false},
		{"left4me", filepath.Join(t.TempDir(), "missing"), 0, false},
	}
	for _, tt := range tests {
		id, ok := lookupUID(tt.path, tt.name)
		if id != tt.wantID || ok != tt.wantOK {
			t.Errorf("lookupUID(%s, %q) = %d, %v; want %d, %v", tt.path, tt.name, id, ok, tt.wantID, tt.wantOK)
		}
	}
}
