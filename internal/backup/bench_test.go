package backup

import (
	"context"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/left4me/left4me/internal/instance"
)

// BenchmarkBackup100MiB backs up an instance whose upper holds 100 MiB:
// 40 files of 2 MiB of random bytes (maps, caches) and 2,000 text files
// of 10 KiB (configs, logs). Target: ≤ 2 s (docs/operations.md, "Backups").
func BenchmarkBackup100MiB(b *testing.B) {
	f := newFixture(b)
	ctx := context.Background()
	if _, err := f.insts.Create(ctx, instance.Spec{Name: "big", OwnerID: f.owner.ID}); err != nil {
		b.Fatal(err)
	}
	up := f.root.Upper("big")
	rng := rand.New(rand.NewPCG(1, 2))
	blob := make([]byte, 2<<20)
	for i := range 40 {
		for j := range blob {
			blob[j] = byte(rng.Uint32())
		}
		p := filepath.Join(up, "left4dead2", "addons", "maps", "m"+string(rune('a'+i%26))+strings.Repeat("x", i/26)+".vpk")
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			b.Fatal(err)
		}
		if err := os.WriteFile(p, blob, 0o644); err != nil {
			b.Fatal(err)
		}
	}
	text := []byte(strings.Repeat("L 12/01/2026 - 03:00:00: \"player<2><STEAM_1:0:1><Survivor>\" say \"hello\"\n", 10<<10/80))
	for i := range 2000 {
		p := filepath.Join(up, "left4dead2", "logs", string(rune('a'+i%20)), "l"+strings.Repeat("0", 3)+string(rune('a'+i%26))+string(rune('a'+i/26%26))+".log")
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			b.Fatal(err)
		}
		if err := os.WriteFile(p, text, 0o644); err != nil {
			b.Fatal(err)
		}
	}
	dest := filepath.Join(b.TempDir(), "big"+Ext)
	b.ResetTimer()
	for b.Loop() {
		if err := f.svc.BackupTo(ctx, "big", dest, Options{}); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	fi, _ := os.Stat(dest)
	b.ReportMetric(float64(fi.Size())/(1<<20), "MiB-archive")
}
