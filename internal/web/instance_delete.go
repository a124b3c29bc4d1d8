package web

import "net/http"

// instanceDelete stops and deletes an instance once its name has been typed.
func (s *Server) instanceDelete(w http.ResponseWriter, r *http.Request) {
	inst, _, ok := s.instanceFor(w, r)
	if !ok {
		return
	}
	if r.PostFormValue("confirm") != inst.Name {
		s.render(w, r, http.StatusUnprocessableEntity, "instance_delete", "Delete "+inst.Name,
			deletePage{Name: inst.Name, Error: "Type the instance's name exactly to confirm."})
		return
	}
	if err := s.cfg.Instances.Delete(r.Context(), inst.Name); err != nil {
		s.failErr(w, r, err)
		return
	}
	s.log.Info("instance deleted", "instance", inst.Name, "user", who(r).User.Name)
	http.Redirect(w, r, "/instances?done=deleted", http.StatusSeeOther)
}
