// Package ociexport exports an instance as an OCI image: one layer per
// generation of its stack, the installation at the bottom, each a
// deterministic tar so that a generation's layer has the same digest in
// every image that contains it, cached by generation under the state root
// (docs/scale-out.md §2).
package ociexport

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/left4me/left4me/internal/instance"
)

// GameDir is the directory of the image the game tree is in.
const GameDir = "l4d2"

// Labels of the image config.
const (
	LabelInstance    = "org.left4me.instance"
	LabelGenerations = "org.left4me.generations"
	LabelVersion     = "org.left4me.version"
	LabelUpper       = "org.left4me.upper"
	refNameKey       = "org.opencontainers.image.ref.name"
)

// ErrDestination: the directory or file to write to is not usable (it
// exists and is not empty, or is not a directory).
var ErrDestination = errors.New("export destination")

// Options say how an instance is exported.
type Options struct {
	// Cache holds the generations' layers (cache/oci under the state root).
	Cache Cache
	// Version is left4me's version, recorded as a label.
	Version string
	// WithUpper adds the instance's writable layer on top (left out, it
	// belongs in a volume).
	WithUpper bool
}

// Layer is one layer of an exported image, bottom first.
type Layer struct {
	// Name says what the layer holds: "installations/GEN",
	// "overlays/ID/GEN", "workshop/ID/REV", "upper" or "config".
	Name   string
	Digest string
	Size   int64
	// Reused: the layer came from the cache, not from its tree.
	Reused bool
}

// Result describes an exported image.
type Result struct {
	// Ref is the image's name in the layout's index (and as podman load
	// names it).
	Ref string
	// Manifest is the image manifest's digest.
	Manifest string
	Layers   []Layer
	// Elapsed is how long the export took.
	Elapsed time.Duration
}

// Version is left4me's version as the build recorded it, for the image's
// labels.
func Version() string {
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
		return bi.Main.Version
	}
	return "(devel)"
}

// RefName is the name an instance's image is given in the layout.
func RefName(instanceName string) string { return "localhost/left4me/" + instanceName + ":latest" }

// WriteLayout writes src as an OCI image layout in dir, which must not
// exist or be an empty directory. It is written beside dir and renamed into
// place, so dir holds a whole image or nothing.
func WriteLayout(ctx context.Context, src instance.ExportSource, dir string, opt Options) (res Result, err error) {
	start := time.Now()
	if err := checkEmptyDir(dir); err != nil {
		return Result{}, err
	}
	tmp, err := os.MkdirTemp(filepath.Dir(filepath.Clean(dir)), "."+filepath.Base(dir)+".tmp-")
	if err != nil {
		return Result{}, fmt.Errorf("export %s: %w", src.Name, err)
	}
	defer func() {
		if err != nil {
			os.RemoveAll(tmp)
		}
	}()
	if res, err = writeLayout(ctx, src, tmp, opt); err != nil {
		return Result{}, err
	}
	if err := os.Chmod(tmp, 0o755); err != nil {
		return Result{}, fmt.Errorf("export %s: %w", src.Name, err)
	}
	if err := os.Rename(tmp, dir); err != nil {
		return Result{}, fmt.Errorf("export %s: move the image into %s: %w", src.Name, dir, err)
	}
	res.Elapsed = time.Since(start)
	return res, nil
}

// WriteArchive writes src as an OCI archive (a tar of the image layout, as
// `podman load` and skopeo's oci-archive: read it) to file, which must not
// exist. It is written beside file and renamed into place.
func WriteArchive(ctx context.Context, src instance.ExportSource, file string, opt Options) (res Result, err error) {
	start := time.Now()
	if _, err := os.Lstat(file); err == nil {
		return Result{}, fmt.Errorf("%w: %s already exists: name a new file", ErrDestination, file)
	}
	f, err := os.CreateTemp(filepath.Dir(filepath.Clean(file)), "."+filepath.Base(file)+".tmp-")
	if err != nil {
		return Result{}, fmt.Errorf("export %s: %w", src.Name, err)
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	if res, err = WriteArchiveTo(ctx, src, f, filepath.Join(opt.Cache.Dir, "tmp"), opt); err != nil {
		return Result{}, err
	}
	if err := f.Sync(); err != nil {
		return Result{}, fmt.Errorf("export %s: %w", src.Name, err)
	}
	if err := f.Chmod(0o644); err != nil {
		return Result{}, fmt.Errorf("export %s: %w", src.Name, err)
	}
	if err := f.Close(); err != nil {
		return Result{}, fmt.Errorf("export %s: %w", src.Name, err)
	}
	if err := os.Rename(f.Name(), file); err != nil {
		return Result{}, fmt.Errorf("export %s: move the archive to %s: %w", src.Name, file, err)
	}
	res.Elapsed = time.Since(start)
	return res, nil
}

// WriteArchiveTo writes src as an OCI archive to w (see Archive).
func WriteArchiveTo(ctx context.Context, src instance.ExportSource, w io.Writer, scratch string, opt Options) (Result, error) {
	a, err := NewArchive(ctx, src, scratch, opt)
	if err != nil {
		return Result{}, err
	}
	defer a.Close()
	if err := a.Send(w); err != nil {
		return Result{}, err
	}
	return a.Result, nil
}

// Archive is an image layout made ready to be sent as an OCI archive: the
// panel makes it before it answers, so an error is still an error answer
// and not a cut-off download.
type Archive struct {
	Result Result
	dir    string
}

// NewArchive builds src's image layout in a temporary directory under
// scratch (on the cache's file system the cached layers are hard links, not
// copies). Close removes it.
func NewArchive(ctx context.Context, src instance.ExportSource, scratch string, opt Options) (*Archive, error) {
	if err := opt.Cache.mkdirAll(scratch); err != nil {
		return nil, fmt.Errorf("export %s: %w", src.Name, err)
	}
	tmp, err := os.MkdirTemp(scratch, ".oci-archive-")
	if err != nil {
		return nil, fmt.Errorf("export %s: %w", src.Name, err)
	}
	res, err := writeLayout(ctx, src, tmp, opt)
	if err != nil {
		os.RemoveAll(tmp)
		return nil, err
	}
	return &Archive{Result: res, dir: tmp}, nil
}

// Send writes the archive: a deterministic tar of the layout.
func (a *Archive) Send(w io.Writer) error {
	if err := writeTree(w, a.dir, tarOptions{}); err != nil {
		return fmt.Errorf("send the image archive: %w", err)
	}
	return nil
}

// Close removes the layout.
func (a *Archive) Close() error { return os.RemoveAll(a.dir) }

// checkEmptyDir accepts a missing path or an empty directory.
func checkEmptyDir(dir string) error {
	fi, err := os.Lstat(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("%w: %w", ErrDestination, err)
	}
	if !fi.IsDir() {
		return fmt.Errorf("%w: %s exists and is not a directory: name a new or empty directory", ErrDestination, dir)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrDestination, err)
	}
	if len(entries) > 0 {
		return fmt.Errorf("%w: %s is not empty: name a new or empty directory", ErrDestination, dir)
	}
	return nil
}

// writeLayout writes the image layout into the empty directory tmp.
func writeLayout(ctx context.Context, src instance.ExportSource, tmp string, opt Options) (Result, error) {
	unlock, err := opt.Cache.lock(ctx)
	if err != nil {
		return Result{}, fmt.Errorf("export %s: %w", src.Name, err)
	}
	defer unlock()
	// Layers of generations that are gone are dropped first.
	if err := opt.Cache.Prune(func(key string) bool {
		_, err := os.Stat(filepath.Join(src.Root.String(), filepath.FromSlash(key)))
		return err == nil
	}); err != nil {
		return Result{}, fmt.Errorf("export %s: %w", src.Name, err)
	}
	out := Cache{Dir: tmp} // the layout's blobs/sha256 is where a Cache keeps blobs
	if err := os.MkdirAll(filepath.Join(tmp, "blobs", "sha256"), 0o755); err != nil {
		return Result{}, fmt.Errorf("export %s: %w", src.Name, err)
	}
	var res Result
	var adds []mutate.Addendum
	var gens []string
	for _, l := range src.Layers {
		if err := ctx.Err(); err != nil {
			return Result{}, err
		}
		cached, reused, err := opt.Cache.Layer(l.Key, l.Dir)
		if err != nil {
			return Result{}, fmt.Errorf("export %s: %w", src.Name, err)
		}
		if err := linkOrCopy(cached.path, out.blobPath(cached.digest)); err != nil {
			return Result{}, fmt.Errorf("export %s: %w", src.Name, err)
		}
		adds = append(adds, addendum(cached, "left4me "+l.Key))
		res.Layers = append(res.Layers, Layer{Name: l.Key, Digest: cached.digest.String(), Size: cached.size, Reused: reused})
		gens = append(gens, l.Key)
	}
	if opt.WithUpper {
		up, err := out.write(src.Upper, tarOptions{Prefix: GameDir, Upper: true})
		if err != nil {
			return Result{}, fmt.Errorf("export %s: the writable layer: %w", src.Name, err)
		}
		adds = append(adds, addendum(up, "left4me upper of "+src.Name))
		res.Layers = append(res.Layers, Layer{Name: "upper", Digest: up.digest.String(), Size: up.size})
	}
	cfgLayer, err := writeConfigLayer(out, tmp, src)
	if err != nil {
		return Result{}, fmt.Errorf("export %s: %w", src.Name, err)
	}
	adds = append(adds, addendum(cfgLayer, "left4me server.cfg and "+instance.LaunchCfgName+" of "+src.Name))
	res.Layers = append(res.Layers, Layer{Name: "config", Digest: cfgLayer.digest.String(), Size: cfgLayer.size})

	img, err := image(src, opt, gens, adds)
	if err != nil {
		return Result{}, fmt.Errorf("export %s: %w", src.Name, err)
	}
	p, err := layout.Write(tmp, empty.Index)
	if err != nil {
		return Result{}, fmt.Errorf("export %s: write the image layout: %w", src.Name, err)
	}
	res.Ref = RefName(src.Name)
	if err := p.AppendImage(img, layout.WithAnnotations(map[string]string{refNameKey: res.Ref})); err != nil {
		return Result{}, fmt.Errorf("export %s: write the image layout: %w", src.Name, err)
	}
	d, err := img.Digest()
	if err != nil {
		return Result{}, fmt.Errorf("export %s: %w", src.Name, err)
	}
	res.Manifest = d.String()
	return res, nil
}

func addendum(l *fileLayer, by string) mutate.Addendum {
	return mutate.Addendum{Layer: l, MediaType: types.OCIUncompressedLayer, History: v1.History{CreatedBy: by, Created: v1.Time{Time: epoch}}}
}

// writeConfigLayer writes the layer of the instance's cfgs: server.cfg as
// staged and the launch cfg that sets the RCON password (so the image
// carries that password: docs/scale-out.md §2).
func writeConfigLayer(out Cache, tmp string, src instance.ExportSource) (*fileLayer, error) {
	tree := filepath.Join(tmp, ".config")
	cfgDir := filepath.Join(tree, "left4dead2", "cfg")
	if err := os.MkdirAll(cfgDir, 0o755); err != nil {
		return nil, err
	}
	defer os.RemoveAll(tree)
	for name, text := range map[string]string{"server.cfg": src.ServerCfg, instance.LaunchCfgName: src.LaunchCfg} {
		if err := os.WriteFile(filepath.Join(cfgDir, name), []byte(text), 0o640); err != nil {
			return nil, err
		}
		if err := os.Chmod(filepath.Join(cfgDir, name), 0o640); err != nil {
			return nil, err
		}
	}
	for _, d := range []string{tree, filepath.Join(tree, "left4dead2"), cfgDir} {
		if err := os.Chmod(d, 0o755); err != nil {
			return nil, err
		}
	}
	return out.write(tree, tarOptions{Prefix: GameDir})
}

// Entrypoint is the image's command: srcds_run as the server unit runs it
// (docs/architecture.md §2), with the instance's ports and arguments.
func Entrypoint(src instance.ExportSource) []string {
	args := []string{"/" + GameDir + "/srcds_run", "-game", "left4dead2", "-norestart", "-strictportbind", "-nohltv",
		"+ip", "0.0.0.0", "+hostport", strconv.Itoa(src.Port), "+clientport", strconv.Itoa(src.ClientPort),
		"+exec", instance.LaunchCfgName}
	return append(args, src.Args...)
}

// image builds the image from the layers' addenda.
func image(src instance.ExportSource, opt Options, gens []string, adds []mutate.Addendum) (v1.Image, error) {
	base := mutate.MediaType(empty.Image, types.OCIManifestSchema1)
	base = mutate.ConfigMediaType(base, types.OCIConfigJSON)
	upper := "left out"
	if opt.WithUpper {
		upper = "included"
	}
	port := strconv.Itoa(src.Port)
	cfg := &v1.ConfigFile{
		Created:      v1.Time{Time: epoch},
		Architecture: "amd64",
		OS:           "linux",
		Config: v1.Config{
			User:       strconv.Itoa(Owner) + ":" + strconv.Itoa(Owner),
			WorkingDir: "/" + GameDir,
			Entrypoint: Entrypoint(src),
			Env:        []string{"HOME=/" + GameDir},
			ExposedPorts: map[string]struct{}{
				port + "/udp": {}, port + "/tcp": {}, strconv.Itoa(src.ClientPort) + "/udp": {},
			},
			Labels: map[string]string{
				LabelInstance:    src.Name,
				LabelGenerations: strings.Join(gens, ","),
				LabelVersion:     opt.Version,
				LabelUpper:       upper,
			},
		},
	}
	base, err := mutate.ConfigFile(base, cfg)
	if err != nil {
		return nil, err
	}
	return mutate.Append(base, adds...)
}

// linkOrCopy puts the cached blob at dst: a hard link where the cache and
// the destination share a file system, a copy elsewhere.
func linkOrCopy(src, dst string) error {
	if _, err := os.Stat(dst); err == nil {
		return nil
	}
	if err := os.Link(src, dst); err == nil {
		return nil
	}
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst+".tmp", os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o444)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		os.Remove(dst + ".tmp")
		return fmt.Errorf("copy layer %s: %w", filepath.Base(src), err)
	}
	if err := out.Close(); err != nil {
		os.Remove(dst + ".tmp")
		return err
	}
	return os.Rename(dst+".tmp", dst)
}
