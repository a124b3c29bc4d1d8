package instance

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/left4me/left4me/internal/store"
)

// CloneSpec is what a caller asks for when cloning an instance.
type CloneSpec struct {
	Name    string // the new instance
	Port    int    // 0 picks a free port block
	OwnerID int64  // 0: the source's owner
}

// notCopied reports whether a path of an upper (slash-separated, relative)
// stays behind in a clone or a template: the launch cfg, which holds the
// source's RCON password (the copy's own is staged at its first start), and
// the server's logs, which are the source's history (and, while it runs,
// still being written). The bans cfg stays behind too: every start stages
// the copy's own (bancfg.go).
func notCopied(rel string) bool {
	return rel == "left4dead2/cfg/"+LaunchCfgName || rel == "left4dead2/cfg/"+BansCfgName || isUnder(rel, strings.Join(logsPath, "/"))
}

// Clone creates c.Name as a copy of the instance src: the same layers,
// srcds arguments (which never hold a port: validateArgs), pinned
// generations, server.cfg, autostart setting and a copy of the files of its upper, with a new port
// block and a new RCON password, stopped. src may be running: see
// copyTree for what its copy is. The account limits apply as for Create.
// On any failure nothing of c.Name is left behind.
func (s *Service) Clone(ctx context.Context, src string, c CloneSpec) (Instance, error) {
	if err := ValidateName(c.Name); err != nil {
		return Instance{}, err
	}
	if err := validatePort(c.Port, true); err != nil {
		return Instance{}, err
	}
	// Refused before anything is copied (Create checks again under the
	// new name's lock).
	if _, err := s.st.InstanceByName(ctx, c.Name); err == nil {
		return Instance{}, existsErr(c.Name)
	} else if !errors.Is(err, store.ErrNotFound) {
		return Instance{}, err
	}
	spec, err := s.snapshot(ctx, src, c.Name, s.cloneSeed)
	if err != nil {
		return Instance{}, err
	}
	defer os.RemoveAll(spec.seed) // gone already when it became the upper
	// The same stack means the same generations: a pinned source's
	// clone starts on what the source starts on.
	spec.pins = s.readPins(src)
	spec.Port = c.Port
	if c.OwnerID != 0 {
		spec.OwnerID = c.OwnerID
	}
	in, err := s.Create(ctx, spec)
	if err != nil {
		return Instance{}, err
	}
	s.log.Info("instance cloned", "instance", in.Name, "from", src)
	return in, nil
}

// cloneSeed is the temporary directory, under runtime/, in which the upper
// of a new instance name is built.
func (s *Service) cloneSeed(name string) (string, error) {
	if err := s.mkdirOwned(s.root.Runtimes(), 0o755); err != nil {
		return "", err
	}
	return tempSibling(s.root.Runtime(name), "clone"), nil
}

// snapshot reads the instance src under its lock: a Spec for a copy of it
// and, copied into a directory seedDir(name) names, its upper's files.
func (s *Service) snapshot(ctx context.Context, src, name string, seedDir func(string) (string, error)) (Spec, error) {
	unlock, err := s.lockExisting(ctx, src)
	if err != nil {
		return Spec{}, err
	}
	defer unlock()
	in, err := s.Get(ctx, src)
	if err != nil {
		return Spec{}, err
	}
	cfg, err := os.ReadFile(s.root.ServerCfg(src))
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return Spec{}, fmt.Errorf("read server.cfg of %s: %w", src, err)
	}
	autostart := in.Autostart
	spec := Spec{
		Name: name, OwnerID: in.OwnerID,
		Layers: append([]string{}, in.Layers...), Args: append([]string{}, in.Args...),
		ServerCfg: string(cfg), Autostart: &autostart,
	}
	if seedDir == nil {
		return spec, nil
	}
	seed, err := seedDir(name)
	if err != nil {
		return Spec{}, err
	}
	if err := s.copyUpper(s.root.Upper(src), seed); err != nil {
		os.RemoveAll(seed)
		return Spec{}, fmt.Errorf("copy the files of %s: %w", src, err)
	}
	spec.seed = seed
	return spec, nil
}

// copyUpper copies an upper (or a template's files) to dst, which must not
// exist; a missing upper is an empty one.
func (s *Service) copyUpper(upper, dst string) error {
	if _, err := os.Lstat(upper); errors.Is(err, os.ErrNotExist) {
		if err := os.Mkdir(dst, 0o755); err != nil {
			return err
		}
		return s.chown(dst)
	}
	return copyTree(upper, dst, notCopied)
}

// placeUpper makes seed the upper of the new instance name, in place of the
// empty one createFiles made.
func (s *Service) placeUpper(name, seed string) error {
	upper := s.root.Upper(name)
	if err := os.Remove(upper); err != nil {
		return fmt.Errorf("place the copied files of %s: %w", name, err)
	}
	if err := os.Rename(seed, upper); err != nil {
		return fmt.Errorf("place the copied files of %s: %w", name, err)
	}
	return nil
}

// seedIn is seedDir for a directory next to dir's upper.
func seedIn(parent string) func(string) (string, error) {
	return func(name string) (string, error) {
		return filepath.Join(parent, "upper"), nil
	}
}
