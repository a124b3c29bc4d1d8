package web

import (
	"context"
	"net/http"

	"github.com/left4me/left4me/internal/content"
	"github.com/left4me/left4me/internal/instance"
	"github.com/left4me/left4me/internal/jobs"
)

// stackUse is what one instance was last started on.
type stackUse struct {
	Name    string
	State   instance.State
	Started bool   // it has an instance.env
	Install string // installation generation in instance.env
	// Stale lists its layers (and the installation) whose next start
	// picks another generation than the one it runs: a restart moves it.
	Stale []string
	// Pinned lists its pins ("installation=GEN", layout.Pins).
	Pinned []string
}

// installPage is the installation page.
type installPage struct {
	Generations []content.InstallGeneration // newest first
	Instances   []stackUse
	// RollingCandidates are the running instances a rolling restart moves
	// (content.StaleRunning).
	RollingCandidates []string
	Jobs              []jobView // recent install jobs
	Message           string
	Error             string
	// SteamCmdNote says which steamcmd Install / update runs when it is
	// not Valve's (Config.SteamCmdNote).
	SteamCmdNote string
	// Untried are the generations that are not the default, newest
	// first: what a canary can try (installation_canary.html).
	Untried []string
}

// contentOn answers false (after writing a 404) when the panel has no
// content service.
func (s *Server) contentOn(w http.ResponseWriter, r *http.Request) bool {
	if s.cfg.Content == nil || s.cfg.Root == "" {
		s.fail(w, r, http.StatusNotFound, "Content management is not set up on this panel.")
		return false
	}
	return true
}

// stackUses lists every instance with what it was last started on
// (content.Stacks).
func (s *Server) stackUses(ctx context.Context) ([]stackUse, error) {
	all, err := s.cfg.Instances.List(ctx)
	if err != nil {
		return nil, err
	}
	stacks, err := content.Stacks(s.cfg.Root)
	if err != nil {
		return nil, err
	}
	byName := make(map[string]content.Stack, len(stacks))
	for _, st := range stacks {
		byName[st.Name] = st
	}
	var out []stackUse
	for _, in := range all {
		u := stackUse{Name: in.Name, State: "unknown"}
		if st, err := s.cfg.States.Status(ctx, in.Name); err == nil {
			u.State = st.State
		}
		if st, ok := byName[in.Name]; ok {
			u.Started, u.Install, u.Pinned = true, st.Install, st.Pinned
			for _, l := range st.Stale {
				u.Stale = append(u.Stale, l.String())
			}
		}
		out = append(out, u)
	}
	return out, nil
}

// installView collects the installation page.
func (s *Server) installView(ctx context.Context) (installPage, error) {
	var pg installPage
	gens, err := content.InstallGenerations(s.cfg.Root)
	if err != nil {
		return pg, err
	}
	if pg.Instances, err = s.stackUses(ctx); err != nil {
		return pg, err
	}
	if pg.RollingCandidates, err = content.StaleRunning(ctx, s.cfg.Root, s.cfg.Instances); err != nil {
		return pg, err
	}
	for i := len(gens) - 1; i >= 0; i-- {
		pg.Generations = append(pg.Generations, gens[i])
		if !gens[i].Default {
			pg.Untried = append(pg.Untried, gens[i].Name)
		}
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
	if !s.contentOn(w, r) {
		return
	}
	pg, err := s.installView(r.Context())
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	pg.SteamCmdNote = s.cfg.SteamCmdNote
	s.render(w, r, http.StatusOK, "installation", "Installation", pg)
}
