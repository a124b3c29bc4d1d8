package archive

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"testing"
)

// BenchmarkExtract measures extracting a small tar.gz of a few files and directories.
func BenchmarkExtract(b *testing.B) {
	data := fuzzExtractArchives(b)[2]
	parent := b.TempDir()
	for i := 0; b.Loop(); i++ {
		dest := filepath.Join(parent, fmt.Sprint(i))
		if _, err := Extract(context.Background(), bytes.NewReader(data), int64(len(data)), FormatAuto, dest, "left4dead2/addons", Limits{}); err != nil {
			b.Fatal(err)
		}
	}
}
