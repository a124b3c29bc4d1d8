package backup

import (
	"bytes"
	"context"
	"errors"
	"io"
	"slices"
	"testing"

	"github.com/klauspost/compress/zstd"
	"github.com/left4me/left4me/internal/instance"
)

// TestRestoreRefusesEveryFlippedBit flips each bit 0 of every byte of the
// compressed archive in turn. zstd's encoding has slack (the window size,
// unused bits of its tables), so some flips decompress to exactly the
// archive that was written; those may be restored. Every other flip is
// refused: the ones tar itself ignores (the padding after a file, the
// blocks that end the archive) by the frame's content checksum, which is
// why the whole stream is read and not only up to tar's end marker.
func TestRestoreRefusesEveryFlippedBit(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	_, raw := backupOfSource(t, f)
	decompress := func(c []byte) ([]byte, error) {
		zr, err := zstd.NewReader(bytes.NewReader(c), zstd.WithDecoderConcurrency(1))
		if err != nil {
			return nil, err
		}
		defer zr.Close()
		return io.ReadAll(zr)
	}
	want, err := decompress(raw)
	if err != nil {
		t.Fatal(err)
	}
	var refused, same int
	for i := range raw {
		c := slices.Clone(raw)
		c[i] ^= 0x01
		_, err := f.svc.Restore(ctx, bytes.NewReader(c), RestoreOptions{Name: "flipped"})
		if err != nil {
			if !errors.Is(err, ErrRefused) {
				t.Fatalf("byte %d of %d: restore: %v, want a refusal", i, len(raw), err)
			}
			if _, err := f.insts.Get(ctx, "flipped"); !errors.Is(err, instance.ErrNotFound) {
				t.Fatalf("byte %d: refused, but an instance was created: %v", i, err)
			}
			refused++
			continue
		}
		if got, _ := decompress(c); !bytes.Equal(got, want) {
			t.Errorf("byte %d of %d: restored, though the archive it holds differs from the one written", i, len(raw))
		}
		same++
		if err := f.insts.Delete(ctx, "flipped"); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("%d flips refused, %d decompressed to the same archive and were restored", refused, same)
	if refused < len(raw)*9/10 {
		t.Errorf("only %d of %d flips refused", refused, len(raw))
	}
}
