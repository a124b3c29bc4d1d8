package steamcmd

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// DefaultURL is where Valve publishes the Linux steamcmd bundle.
const DefaultURL = "https://steamcdn-a.akamaihd.net/client/installer/steamcmd_linux.tar.gz"

// maxBundle bounds the download and what it unpacks to (the bundle is a
// few MB; steamcmd updates itself on its first run).
const maxBundle = 64 << 20

// Script is steamcmd's entry point inside its directory.
const Script = "steamcmd.sh"

// Bootstrap installs steamcmd into dir (created when missing) from the
// tar.gz at url, unless dir/steamcmd.sh exists. Only regular files and
// directories with relative, clean names are unpacked; the bundle is
// unpacked next to dir and moved in only when complete.
func Bootstrap(ctx context.Context, client *http.Client, url, dir string) (bool, error) {
	if _, err := os.Stat(filepath.Join(dir, Script)); err == nil {
		return false, nil
	}
	if client == nil {
		client = http.DefaultClient
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return false, fmt.Errorf("install steamcmd: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return false, fmt.Errorf("install steamcmd: %w", err)
	}
	resp, err := client.Do(req)
	if err != nil {
		return false, fmt.Errorf("download steamcmd: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return false, fmt.Errorf("download steamcmd from %s: %s", url, resp.Status)
	}
	tmp, err := os.MkdirTemp(dir, ".bootstrap-")
	if err != nil {
		return false, fmt.Errorf("install steamcmd: %w", err)
	}
	defer os.RemoveAll(tmp)
	if err := untar(io.LimitReader(resp.Body, maxBundle+1), tmp); err != nil {
		return false, fmt.Errorf("unpack steamcmd from %s: %w", url, err)
	}
	if _, err := os.Stat(filepath.Join(tmp, Script)); err != nil {
		return false, fmt.Errorf("unpack steamcmd from %s: no %s in the bundle", url, Script)
	}
	entries, err := os.ReadDir(tmp)
	if err != nil {
		return false, err
	}
	// steamcmd.sh last: its presence means "installed".
	for _, e := range entries {
		if e.Name() == Script {
			continue
		}
		target := filepath.Join(dir, e.Name())
		if err := os.RemoveAll(target); err != nil {
			return false, err
		}
		if err := os.Rename(filepath.Join(tmp, e.Name()), target); err != nil {
			return false, fmt.Errorf("install steamcmd: %w", err)
		}
	}
	if err := os.Rename(filepath.Join(tmp, Script), filepath.Join(dir, Script)); err != nil {
		return false, fmt.Errorf("install steamcmd: %w", err)
	}
	return true, nil
}

func untar(r io.Reader, dst string) error {
	zr, err := gzip.NewReader(r)
	if err != nil {
		return err
	}
	tr := tar.NewReader(zr)
	var total int64
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		name := path.Clean(strings.TrimPrefix(h.Name, "./"))
		if name == "." {
			continue
		}
		if path.IsAbs(name) || name == ".." || strings.HasPrefix(name, "../") || strings.ContainsAny(name, "\\\x00") {
			return fmt.Errorf("entry %q: unsafe path", h.Name)
		}
		target := filepath.Join(dst, filepath.FromSlash(name))
		switch h.Typeflag {
		case tar.TypeDir:
			if err := os.MkdirAll(target, 0o755); err != nil {
				return err
			}
		case tar.TypeReg:
			total += h.Size
			if h.Size < 0 || total > maxBundle {
				return fmt.Errorf("bundle larger than %d bytes", maxBundle)
			}
			if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
				return err
			}
			mode := os.FileMode(0o644)
			if h.Mode&0o111 != 0 {
				mode = 0o755
			}
			f, err := os.OpenFile(target, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
			if err != nil {
				return err
			}
			_, err = io.Copy(f, io.LimitReader(tr, h.Size))
			if cerr := f.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				return err
			}
		default:
			return fmt.Errorf("entry %q: only files and directories are allowed", h.Name)
		}
	}
}
