package web

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/left4me/left4me/internal/roles"
	"github.com/left4me/left4me/internal/schedule"
	"github.com/left4me/left4me/internal/views"
)

// scheduleSection is the schedules card of the instance page: the
// instance's schedules and the form that adds one (with what was typed and
// the errors by field after a refused add).
type scheduleSection struct {
	On       bool
	List     []views.Schedule
	TimeZone string
	Form     schedule.Spec
	Errors   map[string]string
	Error    string
	Actions  []schedule.Action
	Policies []schedule.Policy
}

// schedulesOn answers 404 when the panel has no schedule service.
func (s *Server) schedulesOn(w http.ResponseWriter, r *http.Request) bool {
	if s.cfg.Schedules == nil {
		s.fail(w, r, http.StatusNotFound, "Schedules are not set up on this panel.")
		return false
	}
	return true
}

// scheduleViews lists the schedules of an instance as the API shows them.
func (s *Server) scheduleViews(ctx context.Context, name string) ([]views.Schedule, error) {
	list, err := s.cfg.Schedules.List(ctx, name)
	if err != nil {
		return nil, err
	}
	out := make([]views.Schedule, 0, len(list))
	for _, sc := range list {
		out = append(out, views.NewSchedule(sc, s.cfg.Schedules.NextRun(sc), s.cfg.Schedules.Location()))
	}
	return out, nil
}

// scheduleSectionFor builds the card; form is nil on a plain page view.
func (s *Server) scheduleSectionFor(ctx context.Context, name string, form *scheduleSection) (scheduleSection, error) {
	sec := scheduleSection{Form: schedule.Spec{Action: string(schedule.Restart), When: "daily 04:00", Policy: string(schedule.WhenEmpty)}}
	if form != nil {
		sec = *form
	}
	if s.cfg.Schedules == nil {
		return sec, nil
	}
	sec.On, sec.Actions, sec.Policies = true, schedule.Actions(), schedule.Policies()
	sec.TimeZone = schedule.ZoneName(s.cfg.Schedules.Location(), time.Now())
	var err error
	sec.List, err = s.scheduleViews(ctx, name)
	return sec, err
}

// scheduleSpecFromForm reads the add form.
func scheduleSpecFromForm(r *http.Request) schedule.Spec {
	return schedule.Spec{
		Action: r.PostFormValue("action"), Command: r.PostFormValue("command"), When: r.PostFormValue("when"),
		Policy: r.PostFormValue("policy"), MaxWait: r.PostFormValue("max_wait"), OnTimeout: r.PostFormValue("on_timeout"),
	}
}

// instanceScheduleAdd adds a schedule from the instance page's form; a
// refused one shows the page again with the error next to its field.
func (s *Server) instanceScheduleAdd(w http.ResponseWriter, r *http.Request) {
	inst, rl, ok := s.instanceFor(w, r)
	if !ok || !s.schedulesOn(w, r) {
		return
	}
	sp := scheduleSpecFromForm(r)
	if sp.Policy != string(schedule.WhenEmpty) {
		// The form always sends the when-empty fields; they mean nothing
		// for the other policies.
		sp.MaxWait, sp.OnTimeout = "", ""
	}
	_, err := s.cfg.Schedules.Add(r.Context(), inst.Name, sp, schedule.User{ID: who(r).User.ID, MaySeeSecrets: rl.May(roles.Secrets)})
	if err != nil {
		a, known := answerFor(err)
		if !known {
			s.serverError(w, r, err)
			return
		}
		form := &scheduleSection{Form: scheduleSpecFromForm(r), Errors: map[string]string{}}
		if a.field != "" {
			form.Errors[a.field] = a.msg
		} else {
			form.Error = a.msg
		}
		s.instancePage(w, r, inst, rl, a.status, form)
		return
	}
	http.Redirect(w, r, "/instances/"+url.PathEscape(inst.Name)+"?done=schedule#schedules", http.StatusSeeOther)
}

// instanceScheduleDelete removes a schedule from the instance page.
func (s *Server) instanceScheduleDelete(w http.ResponseWriter, r *http.Request) {
	inst, _, ok := s.instanceFor(w, r)
	if !ok || !s.schedulesOn(w, r) {
		return
	}
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err == nil {
		err = s.cfg.Schedules.Remove(r.Context(), inst.Name, id)
	} else {
		err = schedule.ErrNotFound
	}
	if err != nil {
		s.failErr(w, r, err)
		return
	}
	http.Redirect(w, r, "/instances/"+url.PathEscape(inst.Name)+"#schedules", http.StatusSeeOther)
}

// apiScheduleList answers the schedules of an instance.
func (s *Server) apiScheduleList(w http.ResponseWriter, r *http.Request) {
	inst, _, ok := s.instanceFor(w, r)
	if !ok || !s.schedulesOn(w, r) {
		return
	}
	list, err := s.scheduleViews(r.Context(), inst.Name)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, list)
}

// apiScheduleCreate adds a schedule from a JSON body (schedule.Spec) and
// answers it, 201.
func (s *Server) apiScheduleCreate(w http.ResponseWriter, r *http.Request) {
	inst, rl, ok := s.instanceFor(w, r)
	if !ok || !s.schedulesOn(w, r) {
		return
	}
	var sp schedule.Spec
	if err := decodeJSON(r, &sp); err != nil {
		writeJSON(w, http.StatusBadRequest, apiError{Error: err.Error()})
		return
	}
	sc, err := s.cfg.Schedules.Add(r.Context(), inst.Name, sp, schedule.User{ID: who(r).User.ID, MaySeeSecrets: rl.May(roles.Secrets)})
	if err != nil {
		s.failErr(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, views.NewSchedule(sc, s.cfg.Schedules.NextRun(sc), s.cfg.Schedules.Location()))
}

// apiScheduleDelete removes a schedule; 204.
func (s *Server) apiScheduleDelete(w http.ResponseWriter, r *http.Request) {
	inst, _, ok := s.instanceFor(w, r)
	if !ok || !s.schedulesOn(w, r) {
		return
	}
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		s.failErr(w, r, schedule.ErrNotFound)
		return
	}
	if err := s.cfg.Schedules.Remove(r.Context(), inst.Name, id); err != nil {
		s.failErr(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// isScheduleNotFound is the answer mapper's test for a missing schedule.
func isScheduleNotFound(err error) bool { return errors.Is(err, schedule.ErrNotFound) }
