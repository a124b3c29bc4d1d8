package web

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"

	"github.com/left4me/left4me/internal/backup"
	"github.com/left4me/left4me/internal/instance"
	"github.com/left4me/left4me/internal/roles"
	"github.com/left4me/left4me/internal/views"
)

// Backups makes, lists, serves, deletes and restores instance backups
// (*backup.Service).
type Backups interface {
	Backup(ctx context.Context, name string, opts backup.Options) (backup.Info, error)
	List(ctx context.Context, name string) ([]backup.Info, error)
	Open(ctx context.Context, name, file string) (*os.File, backup.Info, error)
	Delete(ctx context.Context, name, file string) error
	Restore(ctx context.Context, r io.Reader, opts backup.RestoreOptions) (backup.Result, error)
	Retention(ctx context.Context, name string) (backup.Retention, error)
	SetRetention(ctx context.Context, name string, r backup.Retention) error
}

// backupSection is the backups card of the instance page (owners and
// administrators).
type backupSection struct {
	On        bool
	List      []views.Backup
	Retention backup.Retention
}

// backupSectionFor builds the card for a viewer in role rl.
func (s *Server) backupSectionFor(ctx context.Context, name string, rl role) (backupSection, error) {
	if s.cfg.Backups == nil || !rl.May(roles.Backup) {
		return backupSection{}, nil
	}
	list, err := s.cfg.Backups.List(ctx, name)
	if err != nil {
		return backupSection{}, err
	}
	ret, err := s.cfg.Backups.Retention(ctx, name)
	if err != nil {
		return backupSection{}, err
	}
	return backupSection{On: true, List: views.NewBackups(list), Retention: ret}, nil
}

// backupsOn answers 404 when the panel has no backup service.
func (s *Server) backupsOn(w http.ResponseWriter, r *http.Request) bool {
	if s.cfg.Backups == nil {
		s.fail(w, r, http.StatusNotFound, "Backups are not set up on this panel.")
		return false
	}
	return true
}

// isBackupRefusal is the answer mapper's test for a refused archive.
func isBackupRefusal(err error) bool { return errors.Is(err, backup.ErrRefused) }

// isBackupDirUnwritable is the answer mapper's test for a backups
// directory the panel may not write into.
func isBackupDirUnwritable(err error) bool { return errors.Is(err, backup.ErrDirNotWritable) }

// isBackupNotFound is the answer mapper's test for a missing backup.
func isBackupNotFound(err error) bool { return errors.Is(err, backup.ErrNotFound) }

// instanceBackupCreate makes a backup from the instance page.
func (s *Server) instanceBackupCreate(w http.ResponseWriter, r *http.Request) {
	inst, _, ok := s.instanceFor(w, r)
	if !ok || !s.backupsOn(w, r) {
		return
	}
	opts := backup.Options{WithRCONPassword: r.PostFormValue("with_rcon_password") == "on"}
	if _, err := s.cfg.Backups.Backup(r.Context(), inst.Name, opts); err != nil {
		s.failErr(w, r, err)
		return
	}
	http.Redirect(w, r, "/instances/"+url.PathEscape(inst.Name)+"?done=backup#backups", http.StatusSeeOther)
}

// serveBackup answers a stored backup as a download.
func (s *Server) serveBackup(w http.ResponseWriter, r *http.Request) {
	inst, _, ok := s.instanceFor(w, r)
	if !ok || !s.backupsOn(w, r) {
		return
	}
	f, info, err := s.cfg.Backups.Open(r.Context(), inst.Name, r.PathValue("file"))
	if err != nil {
		s.failErr(w, r, err)
		return
	}
	defer f.Close()
	w.Header().Set("Content-Type", "application/zstd")
	w.Header().Set("Content-Disposition", fmt.Sprintf("attachment; filename=%q", info.File))
	http.ServeContent(w, r, info.File, info.CreatedAt, f)
}

// instanceBackupDownload serves a backup to the page's download link.
func (s *Server) instanceBackupDownload(w http.ResponseWriter, r *http.Request) { s.serveBackup(w, r) }

// apiBackupDownload serves a backup to the API.
func (s *Server) apiBackupDownload(w http.ResponseWriter, r *http.Request) { s.serveBackup(w, r) }

// instanceBackupRetention sets the retention from the instance page.
func (s *Server) instanceBackupRetention(w http.ResponseWriter, r *http.Request) {
	inst, _, ok := s.instanceFor(w, r)
	if !ok || !s.backupsOn(w, r) {
		return
	}
	var ret backup.Retention
	for _, f := range []struct {
		field string
		to    *int
	}{{backup.FieldKeepDaily, &ret.KeepDaily}, {backup.FieldKeepWeekly, &ret.KeepWeekly}} {
		n, err := strconv.Atoi(r.PostFormValue(f.field))
		if err != nil {
			s.failErr(w, r, &instance.FieldError{Field: f.field, Err: fmt.Errorf("%q is not a number", r.PostFormValue(f.field))})
			return
		}
		*f.to = n
	}
	if err := s.cfg.Backups.SetRetention(r.Context(), inst.Name, ret); err != nil {
		s.failErr(w, r, err)
		return
	}
	http.Redirect(w, r, "/instances/"+url.PathEscape(inst.Name)+"?done=retention#backups", http.StatusSeeOther)
}

// restoreOwner is who owns an instance restored by p: an administrator
// restores for the archive's owner (0), anyone else for themselves, if
// they may create instances.
func (s *Server) restoreOwner(ctx context.Context, p *principal) (int64, error) {
	if p.User.IsAdmin {
		return 0, nil
	}
	if err := s.mayCreate(ctx, p); err != nil {
		return 0, err
	}
	return p.User.ID, nil
}

// instanceRestore restores an uploaded archive from the instance page's
// form as a new instance, and shows it.
func (s *Server) instanceRestore(w http.ResponseWriter, r *http.Request) {
	if !s.backupsOn(w, r) {
		return
	}
	owner, err := s.restoreOwner(r.Context(), who(r))
	if err != nil {
		s.failErr(w, r, err)
		return
	}
	file, _, err := r.FormFile("file")
	if err != nil {
		s.failErr(w, r, &instance.FieldError{Field: backup.FieldFile, Err: errors.New("choose a backup archive (.tar.zst) to restore")})
		return
	}
	defer file.Close()
	res, err := s.cfg.Backups.Restore(r.Context(), file, backup.RestoreOptions{Name: r.PostFormValue("name"), OwnerID: owner})
	if err != nil {
		s.failErr(w, r, err)
		return
	}
	for _, note := range res.Warnings {
		s.log.Info("restored with a note", "instance", res.Instance.Name, "note", note)
	}
	http.Redirect(w, r, "/instances/"+url.PathEscape(res.Instance.Name)+"?done=restore", http.StatusSeeOther)
}

// apiBackupList answers the stored backups of an instance, newest first.
func (s *Server) apiBackupList(w http.ResponseWriter, r *http.Request) {
	inst, _, ok := s.instanceFor(w, r)
	if !ok || !s.backupsOn(w, r) {
		return
	}
	list, err := s.cfg.Backups.List(r.Context(), inst.Name)
	if err != nil {
		s.failErr(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, views.NewBackups(list))
}

// backupRequest is the body of POST …/backups (optional).
type backupRequest struct {
	WithRCONPassword bool `json:"with_rcon_password"`
}

// apiBackupCreate makes a backup and answers it, 201.
func (s *Server) apiBackupCreate(w http.ResponseWriter, r *http.Request) {
	inst, _, ok := s.instanceFor(w, r)
	if !ok || !s.backupsOn(w, r) {
		return
	}
	var req backupRequest
	if r.ContentLength != 0 {
		if err := decodeJSON(r, &req); err != nil && !errors.Is(err, io.EOF) {
			writeJSON(w, http.StatusBadRequest, apiError{Error: err.Error()})
			return
		}
	}
	b, err := s.cfg.Backups.Backup(r.Context(), inst.Name, backup.Options{WithRCONPassword: req.WithRCONPassword})
	if err != nil {
		s.failErr(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, views.NewBackup(b))
}

// apiBackupRetention sets the retention and answers it.
func (s *Server) apiBackupRetention(w http.ResponseWriter, r *http.Request) {
	inst, _, ok := s.instanceFor(w, r)
	if !ok || !s.backupsOn(w, r) {
		return
	}
	var req struct {
		KeepDaily  *int `json:"keep_daily"`
		KeepWeekly *int `json:"keep_weekly"`
	}
	if err := decodeJSON(r, &req); err != nil {
		writeJSON(w, http.StatusBadRequest, apiError{Error: err.Error()})
		return
	}
	ret, err := s.cfg.Backups.Retention(r.Context(), inst.Name)
	if err != nil {
		s.failErr(w, r, err)
		return
	}
	if req.KeepDaily != nil {
		ret.KeepDaily = *req.KeepDaily
	}
	if req.KeepWeekly != nil {
		ret.KeepWeekly = *req.KeepWeekly
	}
	if err := s.cfg.Backups.SetRetention(r.Context(), inst.Name, ret); err != nil {
		s.failErr(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, views.Retention{KeepDaily: ret.KeepDaily, KeepWeekly: ret.KeepWeekly})
}

// apiRestore restores the archive in the request body as a new instance
// (?name=NEW to rename it) and answers it with the notes, 201.
func (s *Server) apiRestore(w http.ResponseWriter, r *http.Request) {
	if !s.backupsOn(w, r) {
		return
	}
	owner, err := s.restoreOwner(r.Context(), who(r))
	if err != nil {
		s.failErr(w, r, err)
		return
	}
	res, err := s.cfg.Backups.Restore(r.Context(), r.Body, backup.RestoreOptions{Name: r.URL.Query().Get("name"), OwnerID: owner})
	if err != nil {
		s.failErr(w, r, err)
		return
	}
	owners, err := s.ownerNames(r.Context())
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	rl, err := s.roleFor(r.Context(), who(r), res.Instance)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	warnings := res.Warnings
	if warnings == nil {
		warnings = []string{}
	}
	writeJSON(w, http.StatusCreated, views.Restored{Instance: s.describe(r.Context(), res.Instance, rl, owners).Instance, Warnings: warnings})
}
