package campaigns

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/left4me/left4me/internal/layout"
)

// benchStack is a Workshop-like layer of n addon VPKs, each with a
// two-chapter campaign.
func benchStack(b *testing.B, n int) []Dir {
	b.Helper()
	root, err := layout.New(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	dir := root.Overlay("ws", "1")
	for i := range n {
		m := fmt.Sprintf(`"mission" { "Name" "C%d" "modes" { "coop" { "1" { "Map" "c%dm1" } "2" { "Map" "c%dm2" } } } }`, i, i, i)
		writeVPKB(b, dir, fmt.Sprintf("%d.vpk", i), map[string][]byte{"missions/c.txt": []byte(m), "maps/a.bsp": make([]byte, 4096)})
	}
	return []Dir{{Layer: "ws", Path: dir}}
}

func writeVPKB(b *testing.B, dir, name string, files map[string][]byte) {
	b.Helper()
	p := filepath.Join(dir, "left4dead2", "addons")
	if err := os.MkdirAll(p, 0o755); err != nil {
		b.Fatal(err)
	}
	writeVPKTo(b, filepath.Join(p, name), files)
}

// BenchmarkCatalog200: the picker of an instance stacking 200 addons,
// read from disk the first time (cold) and from the scanner's cache after.
func BenchmarkCatalog200(b *testing.B) {
	dirs := benchStack(b, 200)
	b.Run("cold", func(b *testing.B) {
		for b.Loop() {
			if c := NewScanner().Catalog(dirs); len(c.Campaigns) != 214 {
				b.Fatalf("%d campaigns", len(c.Campaigns))
			}
		}
	})
	b.Run("cached", func(b *testing.B) {
		s := NewScanner()
		s.Catalog(dirs)
		for b.Loop() {
			if c := s.Catalog(dirs); len(c.Campaigns) != 214 {
				b.Fatalf("%d campaigns", len(c.Campaigns))
			}
		}
	})
}
