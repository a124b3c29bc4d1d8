package content

import (
	"context"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"golang.org/x/sys/unix"
)

// benchTree returns a synthetic installation shaped like the dedicated
// server: a few large .vpk archives holding most of the bytes and thousands
// of small files. Its size is LEFT4ME_BENCH_TREE_MB megabytes (default 256);
// it is written once under LEFT4ME_BENCH_DIR (default the test's temp dir)
// and reused, so large trees can be measured repeatedly.
func benchTree(b *testing.B) (string, int64) {
	b.Helper()
	mb := int64(256)
	if v := os.Getenv("LEFT4ME_BENCH_TREE_MB"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 16 {
			b.Fatalf("LEFT4ME_BENCH_TREE_MB=%q: want a number >= 16", v)
		}
		mb = n
	}
	base := os.Getenv("LEFT4ME_BENCH_DIR")
	if base == "" {
		base = b.TempDir()
	}
	dir := filepath.Join(base, fmt.Sprintf("tree-%dmb", mb))
	total := mb << 20
	if _, err := os.Stat(filepath.Join(dir, ".complete")); err == nil {
		return dir, total
	}
	os.RemoveAll(dir)
	rng := rand.New(rand.NewPCG(1, 2))
	buf := make([]byte, 1<<20)
	for i := range buf {
		buf[i] = byte(rng.Uint32())
	}
	write := func(rel string, size int64) {
		p := filepath.Join(dir, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			b.Fatal(err)
		}
		f, err := os.Create(p)
		if err != nil {
			b.Fatal(err)
		}
		for size > 0 {
			n := min(size, int64(len(buf)))
			buf[0]++ // no two blocks alike
			if _, err := f.Write(buf[:n]); err != nil {
				b.Fatal(err)
			}
			size -= n
		}
		if err := f.Close(); err != nil {
			b.Fatal(err)
		}
	}
	// 75% of the bytes in 16 .vpk archives, the rest in small files of
	// 4-252 KiB spread over 40 directories (the real tree has ~4000 files).
	big := total * 3 / 4 / 16
	for i := range 16 {
		write(fmt.Sprintf("left4dead2/pak01_%03d.vpk", i), big)
	}
	left := total - 16*big
	for i := 0; left > 0; i++ {
		size := min(left, int64(4+rng.IntN(63)*4)<<10)
		write(fmt.Sprintf("left4dead2/dir%02d/file%05d.dat", i%40, i), size)
		left -= size
	}
	os.WriteFile(filepath.Join(dir, ".complete"), nil, 0o644)
	return dir, total
}

// linkTree builds a hard-link farm of src at dst (the technique CopyTree
// refuses, measured for comparison).
func linkTree(src, dst string) error {
	return filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		t := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.Mkdir(t, 0o755)
		}
		return os.Link(p, t)
	})
}

func freeBytes(b *testing.B, dir string) int64 {
	var st unix.Statfs_t
	if err := unix.Statfs(dir, &st); err != nil {
		b.Fatal(err)
	}
	return int64(st.Bavail) * st.Bsize
}

func syncfs(b *testing.B, dir string) {
	f, err := os.Open(dir)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	if err := unix.Syncfs(int(f.Fd())); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkNewGeneration measures what starting an update costs: making a
// private, writable copy of the newest generation. "copy" is CopyTree
// (FICLONE reflinks where the file system has them, else an in-kernel
// copy_file_range copy: a full copy on ext4); "hardlink" is a hard-link
// farm for comparison. Each op includes syncfs, so the time counts the
// data reaching the disk. disk-MB is the file system's free-space drop.
//
//	LEFT4ME_BENCH_TREE_MB=2048 LEFT4ME_BENCH_DIR=/var/tmp/l4m-bench \
//	  go test -run '^$' -bench NewGeneration -benchtime 1x -count 5 ./internal/content/
func BenchmarkNewGeneration(b *testing.B) {
	src, total := benchTree(b)
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		fn   func(dst string) error
	}{
		{"copy", func(dst string) error {
			st, err := CopyTree(ctx, src, dst)
			if err == nil && st.Bytes != total {
				err = fmt.Errorf("copied %d bytes, want %d", st.Bytes, total)
			}
			return err
		}},
		{"hardlink", func(dst string) error { return linkTree(src, dst) }},
	} {
		b.Run(tc.name, func(b *testing.B) {
			var disk int64
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				dst := filepath.Join(filepath.Dir(src), fmt.Sprintf("gen-%s-%d", tc.name, i))
				os.RemoveAll(dst)
				syncfs(b, filepath.Dir(src))
				before := freeBytes(b, filepath.Dir(src))
				b.StartTimer()
				if err := tc.fn(dst); err != nil {
					b.Fatal(err)
				}
				syncfs(b, dst)
				b.StopTimer()
				disk += before - freeBytes(b, filepath.Dir(src))
				if err := os.RemoveAll(dst); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
			}
			b.ReportMetric(float64(disk)/float64(b.N)/(1<<20), "disk-MB/op")
			b.ReportMetric(float64(total)/(1<<20), "tree-MB")
		})
	}
}
