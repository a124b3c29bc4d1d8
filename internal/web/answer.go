package web

import (
	"context"
	"errors"
	"net/http"

	"github.com/left4me/left4me/internal/account"
	"github.com/left4me/left4me/internal/archive"
	"github.com/left4me/left4me/internal/content"
	"github.com/left4me/left4me/internal/instance"
	"github.com/left4me/left4me/internal/notify"
	"github.com/left4me/left4me/internal/rcon"
	"github.com/left4me/left4me/internal/roles"
	"github.com/left4me/left4me/internal/workshop"
)

// jsonKey marks a request whose answers, errors included, are JSON.
type jsonKey struct{}

// answersJSON reports whether the request's route answers in JSON: the
// route table's api flag, which wrap stores in the request's context.
// Error helpers (fail, serverError, instanceFor, ...) read it, so a
// handler never says which kind of route it serves.
func answersJSON(r *http.Request) bool {
	v, _ := r.Context().Value(jsonKey{}).(bool)
	return v
}

// withJSON returns r marked to answer in JSON (json true) or HTML.
func withJSON(r *http.Request, json bool) *http.Request {
	return r.WithContext(context.WithValue(r.Context(), jsonKey{}, json))
}

// errorAnswer is how the panel answers an error of a domain package.
type errorAnswer struct {
	status int    // the HTTP status
	field  string // the form and JSON field it concerns, "" for none
	msg    string // what the user reads
}

// answerFor is the one mapping from domain errors to answers, for pages and
// the API alike. ok is false for errors that are the server's fault: those
// are logged and answered 500 without details (serverError).
func answerFor(err error) (a errorAnswer, ok bool) {
	a.msg = err.Error()
	var ife *instance.FieldError
	var afe *account.FieldError
	var cfe *content.FieldError
	var nfe *notify.FieldError
	switch {
	case errors.As(err, &nfe):
		a.field, a.msg = nfe.Field, nfe.Err.Error()
	case errors.As(err, &ife):
		a.field, a.msg = ife.Field, ife.Err.Error()
	case errors.As(err, &afe):
		a.field, a.msg = afe.Field, afe.Err.Error()
	case errors.As(err, &cfe):
		a.field, a.msg = cfe.Field, cfe.Err.Error()
	}
	switch {
	case errors.Is(err, instance.ErrExists), errors.Is(err, account.ErrExists), errors.Is(err, instance.ErrPortUsed),
		errors.Is(err, instance.ErrBusy), errors.Is(err, instance.ErrMounted), errors.Is(err, instance.ErrNoInstallation),
		errors.Is(err, instance.ErrCollected),
		errors.Is(err, instance.ErrCopyChanged), errors.Is(err, instance.ErrUncopyable):
		a.status = http.StatusConflict
	case errors.Is(err, instance.ErrInvalid), errors.Is(err, account.ErrInvalid), errors.Is(err, instance.ErrNoLayer),
		errors.Is(err, notify.ErrInvalid),
		contentRefusal(err), isBackupRefusal(err):
		a.status = http.StatusUnprocessableEntity
	case errors.Is(err, rcon.ErrInvalid):
		a.status, a.field = http.StatusUnprocessableEntity, "command"
	case errors.Is(err, rcon.ErrSecret), errors.Is(err, rcon.ErrNotOperatorCommand):
		a.status, a.field = http.StatusForbidden, "command"
	case errors.Is(err, roles.ErrDenied):
		// A role or account permission (internal/roles): the message says
		// what to ask for, and whom.
		a.status = http.StatusForbidden
	case errors.Is(err, rcon.ErrNotRunning):
		a.status = http.StatusConflict
	case errors.Is(err, instance.ErrNotFound), errors.Is(err, rcon.ErrUnavailable), isScheduleNotFound(err), errors.Is(err, notify.ErrNotFound),
		isBackupNotFound(err):
		a.status = http.StatusNotFound
	case errors.Is(err, instance.ErrQuota):
		// An account limit (docs/operations.md, "Account limits"): the
		// message names it; an administrator can raise it.
		a.status = http.StatusForbidden
	case errors.Is(err, instance.ErrStopFailed):
		// The server's failure, but one the operator must read: the unit's
		// result and what to do (stop again to retry the unmount).
		a.status = http.StatusBadGateway
	case isBackupDirUnwritable(err):
		// The host's set-up keeps the panel from writing its backups: the
		// message names the directory and what the operator must change.
		a.status = http.StatusServiceUnavailable
	default:
		return errorAnswer{status: http.StatusInternalServerError}, false
	}
	return a, true
}

// contentRefusals are the content, archive and Workshop errors about the
// request (a bad layer id, script, upload or Workshop reference).
var contentRefusals = []error{content.ErrInvalid, archive.ErrUnknownFormat, archive.ErrBadPrefix, archive.ErrDestExists,
	archive.ErrUnsafePath, archive.ErrLink, archive.ErrSpecialFile, archive.ErrDuplicate, archive.ErrTooManyFiles,
	archive.ErrFileTooLarge, archive.ErrTotalTooLarge, archive.ErrRatio, workshop.ErrBadRef, workshop.ErrBadLayerID,
	workshop.ErrLayerTaken, workshop.ErrWrongApp, workshop.ErrUnavailable}

func contentRefusal(err error) bool {
	var entry *archive.EntryError
	for _, e := range contentRefusals {
		if errors.Is(err, e) {
			return true
		}
	}
	return errors.As(err, &entry)
}

// userFault reports whether err is about the request (shown to the user)
// rather than the server's fault.
func userFault(err error) bool {
	_, ok := answerFor(err)
	return ok
}

// failErr answers an error of a domain package: its status, message and
// field (JSON on API routes, the error page otherwise), or a logged 500.
func (s *Server) failErr(w http.ResponseWriter, r *http.Request, err error) {
	a, ok := answerFor(err)
	switch {
	case !ok:
		s.serverError(w, r, err)
	case answersJSON(r):
		writeJSON(w, a.status, apiError{Error: a.msg, Field: a.field})
	default:
		s.fail(w, r, a.status, a.msg)
	}
}
