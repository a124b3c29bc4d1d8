package web

import (
	"html/template"
	"time"

	"github.com/left4me/left4me/internal/instance"
	"github.com/left4me/left4me/internal/views"
)

// listRow is one row of the instance list page, flattened from its view.
//
// NOTE: html/template finds a field through an embedded struct
// (instanceView embeds views.Instance) with reflect's breadth-first
// FieldByNameFunc on every evaluation: a quarter of the list page's CPU in
// the profile (BenchmarkPanelLists). A struct without embedded fields takes
// reflect's direct path.
type listRow struct {
	Name            string
	Unhealthy       bool
	UnhealthyReason string
	State           instance.State
	Since           time.Time
	Live            *views.Live
	Port            int
	PendingPort     int
	Connect         string
	SteamLink       template.URL
	Owner           string
}

// listRows flattens the views for the list page.
func listRows(vs []instanceView) []listRow {
	rows := make([]listRow, len(vs))
	for i, v := range vs {
		rows[i] = listRow{Name: v.Name, Unhealthy: v.Unhealthy, UnhealthyReason: v.UnhealthyReason, State: v.State,
			Since: v.Since, Live: v.Live, Port: v.Port, PendingPort: v.PendingPort, Connect: v.Connect,
			SteamLink: v.SteamLink(), Owner: v.Owner}
	}
	return rows
}
