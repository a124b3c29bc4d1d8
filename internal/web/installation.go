package web

import (
	"context"
	"errors"
	"io/fs"
	"net/http"
	"path/filepath"

	"github.com/left4me/left4me/internal/content"
	"github.com/left4me/left4me/internal/instance"
	"github.com/left4me/left4me/internal/jobs"
	"github.com/left4me/left4me/internal/layout"
	"github.com/left4me/left4me/internal/overlay"
	"github.com/left4me/left4me/internal/steamcmd"
)

// generationView is one installation generation.
type generationView struct {
	Name    string
	BuildID string
	Newest  bool
	UsedBy  []string // instances whose instance.env names it
}

// stackUse is what one instance was last started on.
type stackUse struct {
	Name    string
	State   instance.State
	Started bool   // it has an instance.env
	Install string // installation generation in instance.env
	// Stale lists its layers (and the installation) that have a newer
	// generation than the one it runs: a restart moves it.
	Stale []string
}

// installPage is the installation page.
type installPage struct {
	Generations []generationView // newest first
	Instances   []stackUse
	Jobs        []jobView // recent install jobs
	Message     string
	Error       string
}

// RollingCandidates are the running instances a rolling restart moves.
func (p installPage) RollingCandidates() []string {
	var out []string
	for _, in := range p.Instances {
		if len(in.Stale) > 0 && in.State == instance.Running {
			out = append(out, in.Name)
		}
	}
	return out
}

// contentOn answers false (after writing a 404) when the panel has no
// content service.
func (s *Server) contentOn(w http.ResponseWriter, r *http.Request, api bool) bool {
	if s.cfg.Content == nil || s.cfg.Root == "" {
		s.fail(w, r, api, http.StatusNotFound, "Content management is not set up on this panel.")
		return false
	}
	return true
}

// stackUses reads every instance's instance.env (written when it last
// started) and compares each generation it names with the newest one.
func (s *Server) stackUses(ctx context.Context) ([]stackUse, error) {
	all, err := s.cfg.Instances.List(ctx)
	if err != nil {
		return nil, err
	}
	installs := filepath.Clean(s.cfg.Root.Installations())
	var out []stackUse
	for _, in := range all {
		u := stackUse{Name: in.Name, State: "unknown"}
		if st, err := s.cfg.States.Status(ctx, in.Name); err == nil {
			u.State = st.State
		}
		env, err := overlay.ReadEnvFile(s.cfg.Root.InstanceEnv(in.Name))
		switch {
		case errors.Is(err, fs.ErrNotExist):
			out = append(out, u)
			continue
		case err != nil:
			return nil, err
		}
		u.Started = true
		for _, dir := range env.LowerDirs {
			parent, gen := filepath.Dir(filepath.Clean(dir)), filepath.Base(dir)
			if parent == installs {
				u.Install = gen
			}
			newest, err := layout.Newest(parent)
			if err != nil {
				return nil, err
			}
			if newest != "" && newest != gen {
				what := "installation"
				if parent != installs {
					what = "layer " + filepath.Base(parent)
				}
				u.Stale = append(u.Stale, what+" "+gen+" → "+newest)
			}
		}
		out = append(out, u)
	}
	return out, nil
}

// installView collects the installation page.
func (s *Server) installView(ctx context.Context) (installPage, error) {
	var pg installPage
	gens, err := layout.Generations(s.cfg.Root.Installations())
	if err != nil {
		return pg, err
	}
	if pg.Instances, err = s.stackUses(ctx); err != nil {
		return pg, err
	}
	for i := len(gens) - 1; i >= 0; i-- {
		g := generationView{Name: gens[i], Newest: i == len(gens)-1}
		g.BuildID, _ = steamcmd.ReadBuildID(s.cfg.Root.Installation(gens[i]))
		for _, in := range pg.Instances {
			if in.Install == gens[i] {
				g.UsedBy = append(g.UsedBy, in.Name)
			}
		}
		pg.Generations = append(pg.Generations, g)
	}
	if s.cfg.Jobs != nil {
		list, err := s.cfg.Jobs.List(ctx, jobs.Filter{Kind: content.KindInstall, Limit: 5})
		if err != nil {
			return pg, err
		}
		names, err := s.ownerNames(ctx)
		if err != nil {
			return pg, err
		}
		for _, j := range list {
			pg.Jobs = append(pg.Jobs, viewJob(j, names))
		}
	}
	return pg, nil
}

// installationPage shows the game's installation generations, which
// instances run on which, and the install and rolling-restart buttons.
func (s *Server) installationPage(w http.ResponseWriter, r *http.Request) {
	if !s.contentOn(w, r, false) {
		return
	}
	pg, err := s.installView(r.Context())
	if err != nil {
		s.serverError(w, r, false, err)
		return
	}
	s.render(w, r, http.StatusOK, "installation", "Installation", pg)
}
