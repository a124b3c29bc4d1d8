package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/left4me/left4me/internal/agones"
	"github.com/left4me/left4me/internal/instance"
	"github.com/left4me/left4me/internal/ociexport"
)

// ociOptions are the export options of the state root's layer cache.
func (a *app) ociOptions(withUpper bool) ociexport.Options {
	return ociexport.Options{Cache: ociexport.CacheFor(a.cfg.Root), Version: ociexport.Version(), WithUpper: withUpper}
}

// runExport exports an instance as an OCI image layout (--oci DIR), an OCI
// archive (--oci-archive FILE) or Agones manifests (--agones DIR), see
// docs/scale-out.md.
func runExport(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlags(env)
	ociDir := fs.String("oci", "", "write an OCI image layout into this new or empty directory")
	archive := fs.String("oci-archive", "", "write an OCI archive (a tar of the layout, for podman load) to this new file")
	withUpper := fs.Bool("with-upper", false, "add the instance's writable layer on top of the image")
	agonesDir := fs.String("agones", "", "write Agones Fleet and GameServer manifests into this new or empty directory")
	image := fs.String("image", "", "with --agones: the image reference the manifests run (default the exported image's name)")
	replicas := fs.Int("replicas", 1, "with --agones: the Fleet's replicas")
	portPolicy := fs.String("port-policy", "Dynamic", "with --agones: Dynamic (Agones picks the host port) or Static (the instance's port)")
	pos, _, err := parseFlags(fs, args, 1)
	if err != nil {
		return err
	}
	set := 0
	for _, v := range []string{*ociDir, *archive, *agonesDir} {
		if v != "" {
			set++
		}
	}
	if set != 1 {
		return errors.New("name exactly one of --oci DIR, --oci-archive FILE and --agones DIR")
	}
	name := pos[0]
	return withApp(ctx, env, func(a *app) error {
		src, err := a.svc.ExportSource(ctx, name)
		if err != nil {
			return err
		}
		if *agonesDir != "" {
			return exportAgones(env, src, *agonesDir, *image, *replicas, *portPolicy)
		}
		opt := a.ociOptions(*withUpper)
		var res ociexport.Result
		dest := *ociDir
		if dest != "" {
			res, err = ociexport.WriteLayout(ctx, src, dest, opt)
		} else {
			dest = *archive
			res, err = ociexport.WriteArchive(ctx, src, dest, opt)
		}
		if err != nil {
			return err
		}
		reused := 0
		for _, l := range res.Layers {
			what := "written"
			if l.Reused {
				what = "reused"
				reused++
			}
			fmt.Fprintf(env.stdout, "%s  %-8s %s\n", l.Digest, what, l.Name)
		}
		fmt.Fprintf(env.stdout, "exported %s as %s (manifest %s) to %s in %s; %d of %d generation layers reused from the cache\n",
			name, res.Ref, res.Manifest, dest, res.Elapsed.Round(time.Millisecond), reused, len(src.Layers))
		return nil
	})
}

// exportAgones writes the Agones manifests of src's image.
func exportAgones(env *cliEnv, src instance.ExportSource, dir, image string, replicas int, portPolicy string) error {
	if image == "" {
		image = ociexport.RefName(src.Name)
	}
	spec := agones.Spec{Name: src.Name, Image: image, Port: src.Port, ClientPort: src.ClientPort, Replicas: replicas, PortPolicy: portPolicy}
	for _, l := range src.Layers {
		spec.Generations = append(spec.Generations, l.Key)
	}
	if err := agones.Write(dir, spec); err != nil {
		return err
	}
	fmt.Fprintf(env.stdout, "wrote %s/fleet.yaml and %s/gameserver.yaml for %s (image %s); push the image to a registry the cluster pulls from (docs/scale-out.md)\n", dir, dir, src.Name, image)
	return nil
}
