package web

import (
	"net/http"
	"net/url"
)

// instanceBackupDelete deletes a stored backup from the instance page's
// list (backup.Service.Delete) and shows the card again.
func (s *Server) instanceBackupDelete(w http.ResponseWriter, r *http.Request) {
	inst, _, ok := s.instanceFor(w, r)
	if !ok || !s.backupsOn(w, r) {
		return
	}
	if err := s.cfg.Backups.Delete(r.Context(), inst.Name, r.PathValue("file")); err != nil {
		s.failErr(w, r, err)
		return
	}
	http.Redirect(w, r, "/instances/"+url.PathEscape(inst.Name)+"?done=bdeleted#backups", http.StatusSeeOther)
}

// apiBackupDelete deletes a stored backup: 204.
func (s *Server) apiBackupDelete(w http.ResponseWriter, r *http.Request) {
	inst, _, ok := s.instanceFor(w, r)
	if !ok || !s.backupsOn(w, r) {
		return
	}
	if err := s.cfg.Backups.Delete(r.Context(), inst.Name, r.PathValue("file")); err != nil {
		s.failErr(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
