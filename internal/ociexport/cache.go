package ociexport

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"golang.org/x/sys/unix"

	"github.com/left4me/left4me/internal/atomicfile"
	"github.com/left4me/left4me/internal/layout"
)

// Cache keeps the layer of each exported generation under the state root
// (cache/oci/): blobs/sha256/HEX is the uncompressed tar, keys/KEY.json
// names the blob of the generation KEY (its path relative to the state
// root, "installations/G" or "overlays/ID/G"). A published generation never
// changes (docs/lifecycle.md rule 12), so its layer is made once and every
// later export, of this instance or of another on the same generation,
// reuses it.
type Cache struct {
	Dir string
	// Chown, when set, is applied to every directory and file the cache
	// creates: the CLI run as root gives them the state root's owner, so
	// that the panel's exports can use and prune them (CacheFor).
	Chown func(path string) error
}

// CacheFor is the layer cache of a state root, owned like the state root
// when this process is root and the state root is not root's.
func CacheFor(root layout.Root) Cache {
	c := Cache{Dir: CacheDir(root)}
	var st unix.Stat_t
	if os.Geteuid() == 0 && unix.Stat(root.String(), &st) == nil && st.Uid != 0 {
		uid, gid := int(st.Uid), int(st.Gid)
		c.Chown = func(path string) error { return os.Lchown(path, uid, gid) }
	}
	return c
}

// own applies Chown to path.
func (c Cache) own(path string) error {
	if c.Chown == nil {
		return nil
	}
	if err := c.Chown(path); err != nil {
		return fmt.Errorf("give %s the state root's owner: %w", path, err)
	}
	return nil
}

// mkdirAll makes dir and gives it, and every directory above it up to the
// state root (cache/oci's grandparent), the owner (Chown).
func (c Cache) mkdirAll(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if c.Chown == nil {
		return nil
	}
	top := filepath.Dir(filepath.Dir(c.Dir))
	for d := dir; strings.HasPrefix(d, top+string(filepath.Separator)); d = filepath.Dir(d) {
		if err := c.own(d); err != nil {
			return err
		}
	}
	return nil
}

// cacheEntry is a keys/KEY.json file.
type cacheEntry struct {
	Digest string `json:"digest"`
	Size   int64  `json:"size"`
}

func (c Cache) blobPath(h v1.Hash) string { return filepath.Join(c.Dir, "blobs", h.Algorithm, h.Hex) }
func (c Cache) keyPath(key string) string {
	return filepath.Join(c.Dir, "keys", filepath.FromSlash(key)+".json")
}

// Layer returns the cached layer of generation key (whose tree is dir),
// writing it first when the cache has none; reused reports a cache hit.
func (c Cache) Layer(key, dir string) (l *fileLayer, reused bool, err error) {
	if l, ok := c.lookup(key); ok {
		return l, true, nil
	}
	l, err = c.write(dir, tarOptions{Prefix: GameDir})
	if err != nil {
		return nil, false, err
	}
	data, err := json.Marshal(cacheEntry{Digest: l.digest.String(), Size: l.size})
	if err != nil {
		return nil, false, err
	}
	kp := c.keyPath(key)
	if err := c.mkdirAll(filepath.Dir(kp)); err != nil {
		return nil, false, fmt.Errorf("cache the layer of %s: %w", key, err)
	}
	if err := atomicfile.WriteFile(kp, data, atomicfile.Options{Perm: 0o644, UID: -1, GID: -1}); err != nil {
		return nil, false, fmt.Errorf("cache the layer of %s: %w", key, err)
	}
	if err := c.own(kp); err != nil {
		return nil, false, err
	}
	return l, false, nil
}

// lookup finds key's layer; an entry whose blob is missing or of another
// size is a miss.
func (c Cache) lookup(key string) (*fileLayer, bool) {
	data, err := os.ReadFile(c.keyPath(key))
	if err != nil {
		return nil, false
	}
	var e cacheEntry
	if json.Unmarshal(data, &e) != nil {
		return nil, false
	}
	h, err := v1.NewHash(e.Digest)
	if err != nil {
		return nil, false
	}
	fi, err := os.Stat(c.blobPath(h))
	if err != nil || fi.Size() != e.Size {
		return nil, false
	}
	return &fileLayer{path: c.blobPath(h), digest: h, size: e.Size}, true
}

// write tars dir into a new blob, hashing as it goes, and publishes it under
// its digest. An interrupted write leaves only a temporary file, which the
// next Prune removes.
func (c Cache) write(dir string, opt tarOptions) (*fileLayer, error) {
	blobs := filepath.Join(c.Dir, "blobs", "sha256")
	if err := c.mkdirAll(blobs); err != nil {
		return nil, fmt.Errorf("create the layer cache: %w", err)
	}
	f, err := os.CreateTemp(blobs, ".tmp-")
	if err != nil {
		return nil, fmt.Errorf("create the layer cache: %w", err)
	}
	defer func() {
		if f != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	hash := sha256.New()
	counter := &countWriter{}
	if err := writeTree(io.MultiWriter(f, hash, counter), dir, opt); err != nil {
		return nil, err
	}
	if err := f.Sync(); err != nil {
		return nil, fmt.Errorf("write the layer of %s: %w", dir, err)
	}
	if err := f.Chmod(0o444); err != nil {
		return nil, fmt.Errorf("write the layer of %s: %w", dir, err)
	}
	if err := f.Close(); err != nil {
		return nil, fmt.Errorf("write the layer of %s: %w", dir, err)
	}
	h := v1.Hash{Algorithm: "sha256", Hex: hex.EncodeToString(hash.Sum(nil))}
	if err := c.own(f.Name()); err != nil {
		return nil, err
	}
	if err := os.Rename(f.Name(), c.blobPath(h)); err != nil {
		return nil, fmt.Errorf("write the layer of %s: %w", dir, err)
	}
	f = nil
	return &fileLayer{path: c.blobPath(h), digest: h, size: counter.n}, nil
}

// Prune removes the entries of generations that are gone (keep reports
// whether key still exists), blobs no remaining entry names, and temporary
// files of interrupted writes.
func (c Cache) Prune(keep func(key string) bool) error {
	used := map[string]bool{}
	keys := filepath.Join(c.Dir, "keys")
	err := filepath.WalkDir(keys, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		if d.IsDir() || !strings.HasSuffix(p, ".json") {
			return nil
		}
		rel, _ := filepath.Rel(keys, strings.TrimSuffix(p, ".json"))
		key := filepath.ToSlash(rel)
		if !keep(key) {
			return os.Remove(p)
		}
		if data, err := os.ReadFile(p); err == nil {
			var e cacheEntry
			if json.Unmarshal(data, &e) == nil {
				used[strings.TrimPrefix(e.Digest, "sha256:")] = true
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("prune the layer cache: %w", err)
	}
	blobs := filepath.Join(c.Dir, "blobs", "sha256")
	entries, err := os.ReadDir(blobs)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("prune the layer cache: %w", err)
	}
	for _, e := range entries {
		if !used[e.Name()] {
			if err := os.Remove(filepath.Join(blobs, e.Name())); err != nil {
				return fmt.Errorf("prune the layer cache: %w", err)
			}
		}
	}
	return nil
}

type countWriter struct{ n int64 }

func (w *countWriter) Write(p []byte) (int, error) { w.n += int64(len(p)); return len(p), nil }

// fileLayer is an uncompressed layer in a file: its digest is its diff id.
// NOTE: layers are not compressed: the game is 9+ GB of mostly compressed
// VPKs and compression would cost minutes per export for little; a registry
// stores what it is given (docs/scale-out.md §2).
type fileLayer struct {
	path   string
	digest v1.Hash
	size   int64
}

var _ v1.Layer = (*fileLayer)(nil)

func (l *fileLayer) Digest() (v1.Hash, error)             { return l.digest, nil }
func (l *fileLayer) DiffID() (v1.Hash, error)             { return l.digest, nil }
func (l *fileLayer) Compressed() (io.ReadCloser, error)   { return os.Open(l.path) }
func (l *fileLayer) Uncompressed() (io.ReadCloser, error) { return os.Open(l.path) }
func (l *fileLayer) Size() (int64, error)                 { return l.size, nil }
func (l *fileLayer) MediaType() (types.MediaType, error)  { return types.OCIUncompressedLayer, nil }

// CacheDir is the layer cache of a state root.
func CacheDir(root layout.Root) string { return filepath.Join(root.String(), "cache", "oci") }

// lock takes the cache's lock, held while an export reads and fills the
// cache: exports run one at a time (the panel's and the CLI's too), so a
// prune never removes a blob another export is writing or about to name.
func (c Cache) lock(ctx context.Context) (unlock func(), err error) {
	if err := c.mkdirAll(c.Dir); err != nil {
		return nil, fmt.Errorf("create the layer cache: %w", err)
	}
	f, err := os.OpenFile(filepath.Join(c.Dir, ".lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, fmt.Errorf("lock the layer cache: %w", err)
	}
	if err := c.own(f.Name()); err != nil {
		f.Close()
		return nil, err
	}
	for {
		err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB)
		if err == nil {
			return func() { f.Close() }, nil
		}
		if !errors.Is(err, unix.EWOULDBLOCK) {
			f.Close()
			return nil, fmt.Errorf("lock the layer cache: %w", err)
		}
		select {
		case <-ctx.Done():
			f.Close()
			return nil, fmt.Errorf("wait for another export: %w", ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
}
