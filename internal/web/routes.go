package web

import (
	"net/http"

	"github.com/left4me/left4me/internal/roles"
)

// access is who may reach a route: public, loggedIn, adminOnly, or one of
// the instance permissions (mayView ... mayDelete), which every route with
// {name} declares: any account reaches it, and s.instanceFor lets through
// only principals whose role for the instance grants the permission
// (internal/roles holds the table).
type access int

const (
	public   access = iota // anyone; login and health
	loggedIn               // any account
	adminOnly
	mayView      // roles.View
	mayPower     // roles.Power
	mayModerate  // roles.Moderate
	mayReset     // roles.Reset
	mayConfigure // roles.Configure
	mayConsole   // roles.Console
	mayShare     // roles.Share
	mayDelete    // roles.Delete
	maySecrets   // roles.Secrets
	mayBackup    // roles.Backup
)

// instancePermissions maps the instance access levels to their permission.
var instancePermissions = map[access]roles.Permission{
	mayView: roles.View, mayPower: roles.Power, mayModerate: roles.Moderate, mayReset: roles.Reset,
	mayConfigure: roles.Configure, mayConsole: roles.Console, mayShare: roles.Share, mayDelete: roles.Delete,
	maySecrets: roles.Secrets,
	mayBackup:  roles.Backup,
}

// permission is the instance permission a, or "" when a is not one.
func (a access) permission() roles.Permission { return instancePermissions[a] }

// route is one entry of the routes table.
type route struct {
	pattern string
	access  access
	api     bool // JSON errors; Bearer tokens accepted
	handler http.HandlerFunc
}

// uploadRoutes take request bodies up to Config.MaxUpload (multipart file
// uploads); every other route is held to maxBody.
var uploadRoutes = map[string]bool{
	"POST /layers/upload":      true,
	"POST /layers/{id}/upload": true,
	"POST /instances/restore":  true,
	"POST /api/v1/restore":     true,
}

// routeTable is every route of the panel. A route whose pattern has {name}
// acts on one instance: it declares the permission it needs (mayView ...)
// and must call s.instanceFor (the authorisation tests walk this table and
// fail for an instance route without a permission or without a case).
func (s *Server) routeTable() []route {
	return []route{
		{"GET /health", public, false, s.health},
		{"GET /static/", public, false, s.staticFiles},
		{"GET /login", public, false, s.loginPage},
		{"POST /login", public, false, s.login},
		{"POST /logout", loggedIn, false, s.logout},
		{"GET /{$}", loggedIn, false, s.home},

		{"GET /instances", loggedIn, false, s.instanceList},
		{"GET /instances/new", loggedIn, false, s.instanceNew},
		{"POST /instances", loggedIn, false, s.instanceCreate},
		{"GET /instances/{name}", mayView, false, s.instanceShow},
		{"GET /instances/{name}/edit", mayConfigure, false, s.instanceEdit},
		{"POST /instances/{name}/edit", mayConfigure, false, s.instanceUpdate},
		{"POST /instances/{name}/start", mayPower, false, s.instanceAction("start")},
		{"POST /instances/{name}/stop", mayPower, false, s.instanceAction("stop")},
		{"POST /instances/{name}/restart", mayPower, false, s.instanceAction("restart")},
		{"POST /instances/{name}/reset", mayReset, false, s.instanceAction("reset")},
		{"GET /instances/{name}/delete", mayDelete, false, s.instanceDeleteConfirm},
		{"POST /instances/{name}/delete", mayDelete, false, s.instanceDelete},
		{"GET /instances/{name}/cfg", mayConfigure, false, s.instanceCfg},
		{"POST /instances/{name}/cfg", mayConfigure, false, s.instanceCfgSave},
		{"GET /instances/{name}/logs/stream", mayView, false, s.instanceLogStream},
		{"GET /instances/{name}/live/stream", mayView, false, s.instanceLiveStream},
		{"GET /live/instances", loggedIn, false, s.liveListStream},
		{"POST /instances/{name}/rcon", mayModerate, false, s.instanceRCON},
		{"POST /instances/{name}/map", mayModerate, false, s.instanceMap},
		{"POST /instances/{name}/schedules", mayConfigure, false, s.instanceScheduleAdd},
		{"POST /instances/{name}/schedules/{id}/delete", mayConfigure, false, s.instanceScheduleDelete},
		{"POST /instances/{name}/kick", mayModerate, false, s.instanceKick},
		{"POST /instances/{name}/shares", mayShare, false, s.instanceShare},
		{"POST /instances/{name}/shares/{user}/delete", mayShare, false, s.instanceUnshare},
		{"GET /instances/{name}/export.tar", maySecrets, false, s.instanceExport},
		{"POST /instances/{name}/clone", mayConfigure, false, s.instanceClone},
		{"POST /instances/{name}/template", mayConfigure, false, s.instanceTemplateSave},
		{"GET /instances/{name}/diff", mayConfigure, false, s.instanceDiff},
		{"POST /instances/{name}/revert", mayReset, false, s.instanceRevert},
		{"GET /templates", loggedIn, false, s.templateList},
		{"POST /templates/{template}/create", loggedIn, false, s.templateCreate},
		{"POST /templates/{template}/delete", loggedIn, false, s.templateDelete},
		{"POST /instances/{name}/backups", mayBackup, false, s.instanceBackupCreate},
		{"GET /instances/{name}/backups/{file}", mayBackup, false, s.instanceBackupDownload},
		{"POST /instances/{name}/backups/{file}/delete", mayBackup, false, s.instanceBackupDelete},
		{"POST /instances/{name}/backup-retention", mayBackup, false, s.instanceBackupRetention},
		{"POST /instances/restore", loggedIn, false, s.instanceRestore},

		{"GET /jobs", loggedIn, false, s.jobList},
		{"GET /jobs/{id}", loggedIn, false, s.jobShow},
		{"POST /jobs/{id}/cancel", loggedIn, false, s.jobCancel},
		{"GET /installation", adminOnly, false, s.installationPage},
		{"GET /host", adminOnly, false, s.hostPage},
		{"POST /installation/install", adminOnly, false, s.installationInstall},
		{"POST /installation/rolling-restart", adminOnly, false, s.rollingRestart},
		{"POST /installation/rollback", adminOnly, false, s.installationRollback},
		{"POST /installation/canary", adminOnly, false, s.installationCanary},
		{"GET /layers", loggedIn, false, s.layerList},
		{"POST /layers/script", adminOnly, false, s.layerCreateScript},
		{"POST /layers/upload", adminOnly, false, s.layerCreateUpload},
		{"POST /layers/workshop", adminOnly, false, s.workshopAdd},
		{"POST /workshop/refresh", adminOnly, false, s.workshopRefresh},
		{"GET /layers/{id}", loggedIn, false, s.layerShow},
		{"GET /layers/{id}/file", loggedIn, false, s.layerFile},
		{"POST /layers/{id}/script", adminOnly, false, s.layerScriptSave},
		{"POST /layers/{id}/build", adminOnly, false, s.layerBuild},
		{"POST /layers/{id}/upload", adminOnly, false, s.layerUpload},
		{"POST /layers/{id}/items/{item}/remove", adminOnly, false, s.workshopRemove},
		{"POST /layers/{id}/delete", adminOnly, false, s.layerDelete},

		{"GET /account", loggedIn, false, s.account},
		{"POST /account/password", loggedIn, false, s.passwordChange},
		{"POST /account/tokens", loggedIn, false, s.tokenCreate},
		{"POST /account/tokens/{id}/revoke", loggedIn, false, s.tokenRevoke},
		{"GET /admin/users", adminOnly, false, s.userList},
		{"POST /admin/users", adminOnly, false, s.userCreate},
		{"POST /admin/users/{id}/delete", adminOnly, false, s.userDelete},
		{"POST /admin/users/{id}/limits", adminOnly, false, s.userLimits},
		{"POST /admin/users/{id}/may-create", adminOnly, false, s.userMayCreate},
		{"GET /admin/webhooks", adminOnly, false, s.webhookList},
		{"POST /admin/webhooks", adminOnly, false, s.webhookCreate},
		{"POST /admin/webhooks/{id}/delete", adminOnly, false, s.webhookDelete},
		{"POST /admin/webhooks/{id}/test", adminOnly, false, s.webhookTest},
		{"GET /audit", loggedIn, false, s.auditList},
		{"GET /players", loggedIn, false, s.players},
		{"GET /bans", loggedIn, false, s.banList},
		{"POST /bans", loggedIn, false, s.banAdd},
		{"POST /bans/{id}/remove", loggedIn, false, s.banRemove},

		{"GET /api/v1/openapi.json", public, true, s.apiOpenAPI},
		{"GET /api/v1/instances", loggedIn, true, s.apiInstanceList},
		{"POST /api/v1/instances", loggedIn, true, s.apiInstanceCreate},
		{"GET /api/v1/layers", loggedIn, true, s.apiLayers},
		{"GET /api/v1/layers/{id}", loggedIn, true, s.apiLayerGet},
		{"POST /api/v1/layers/{id}/build", adminOnly, true, s.apiLayerBuild},
		{"POST /api/v1/workshop/items", adminOnly, true, s.apiWorkshopAdd},
		{"POST /api/v1/workshop/refresh", adminOnly, true, s.apiWorkshopRefresh},
		{"POST /api/v1/installation/install", adminOnly, true, s.apiInstall},
		{"POST /api/v1/installation/rolling-restart", adminOnly, true, s.apiRollingRestart},
		{"POST /api/v1/installation/rollback", adminOnly, true, s.apiRollback},
		{"POST /api/v1/installation/canary", adminOnly, true, s.apiCanary},
		{"GET /api/v1/conflicts", loggedIn, true, s.apiConflicts},
		{"GET /api/v1/jobs", loggedIn, true, s.apiJobList},
		{"GET /api/v1/jobs/{id}", loggedIn, true, s.apiJobGet},
		{"POST /api/v1/jobs/{id}/cancel", loggedIn, true, s.apiJobCancel},
		{"GET /api/v1/instances/{name}", mayView, true, s.apiInstanceGet},
		{"PATCH /api/v1/instances/{name}", mayConfigure, true, s.apiInstanceUpdate},
		{"DELETE /api/v1/instances/{name}", mayDelete, true, s.apiInstanceDelete},
		{"POST /api/v1/instances/{name}/start", mayPower, true, s.apiInstanceAction("start")},
		{"POST /api/v1/instances/{name}/stop", mayPower, true, s.apiInstanceAction("stop")},
		{"POST /api/v1/instances/{name}/restart", mayPower, true, s.apiInstanceAction("restart")},
		{"POST /api/v1/instances/{name}/reset", mayReset, true, s.apiInstanceAction("reset")},
		{"GET /api/v1/instances/{name}/cfg", mayConfigure, true, s.apiCfgGet},
		{"PUT /api/v1/instances/{name}/cfg", mayConfigure, true, s.apiCfgPut},
		{"GET /api/v1/instances/{name}/live", mayView, true, s.apiLive},
		{"GET /api/v1/instances/{name}/history", mayView, true, s.apiInstanceHistory},
		{"GET /api/v1/host/history", adminOnly, true, s.apiHostHistory},
		{"GET /api/v1/instances/{name}/logs", mayView, true, s.apiLogs},
		{"GET /api/v1/instances/{name}/events", mayView, true, s.apiEvents},
		{"GET /api/v1/instances/{name}/rcon", mayConsole, true, s.apiRCONHistory},
		{"POST /api/v1/instances/{name}/rcon", mayModerate, true, s.apiRCON},
		{"GET /api/v1/instances/{name}/maps", mayView, true, s.apiMaps},
		{"POST /api/v1/instances/{name}/map", mayModerate, true, s.apiMap},
		{"POST /api/v1/instances/{name}/kick", mayModerate, true, s.apiInstanceKick},
		{"GET /api/v1/bans", loggedIn, true, s.apiBanList},
		{"POST /api/v1/bans", loggedIn, true, s.apiBanAdd},
		{"GET /api/v1/bans/{id}", loggedIn, true, s.apiBanGet},
		{"DELETE /api/v1/bans/{id}", loggedIn, true, s.apiBanRemove},
		{"GET /api/v1/instances/{name}/schedules", mayView, true, s.apiScheduleList},
		{"POST /api/v1/instances/{name}/schedules", mayConfigure, true, s.apiScheduleCreate},
		{"DELETE /api/v1/instances/{name}/schedules/{id}", mayConfigure, true, s.apiScheduleDelete},
		{"GET /api/v1/instances/{name}/shares", mayShare, true, s.apiShareList},
		{"PUT /api/v1/instances/{name}/shares/{user}", mayShare, true, s.apiSharePut},
		{"DELETE /api/v1/instances/{name}/shares/{user}", mayShare, true, s.apiShareDelete},
		{"GET /api/v1/instances/{name}/export.tar", maySecrets, true, s.instanceExport},
		{"GET /api/v1/instances/{name}/backups", mayBackup, true, s.apiBackupList},
		{"POST /api/v1/instances/{name}/backups", mayBackup, true, s.apiBackupCreate},
		{"GET /api/v1/instances/{name}/backups/{file}", mayBackup, true, s.apiBackupDownload},
		{"DELETE /api/v1/instances/{name}/backups/{file}", mayBackup, true, s.apiBackupDelete},
		{"PUT /api/v1/instances/{name}/backup-retention", mayBackup, true, s.apiBackupRetention},
		{"POST /api/v1/restore", loggedIn, true, s.apiRestore},
		{"GET /api/v1/users", adminOnly, true, s.apiUserList},
		{"PATCH /api/v1/users/{user}", adminOnly, true, s.apiUserUpdate},
		{"GET /api/v1/webhooks", adminOnly, true, s.apiWebhookList},
		{"POST /api/v1/webhooks", adminOnly, true, s.apiWebhookCreate},
		{"DELETE /api/v1/webhooks/{id}", adminOnly, true, s.apiWebhookDelete},
		{"POST /api/v1/webhooks/{id}/test", adminOnly, true, s.apiWebhookTest},
		{"GET /api/v1/webhooks/{id}/deliveries", adminOnly, true, s.apiWebhookDeliveries},
		{"GET /api/v1/audit", loggedIn, true, s.apiAudit},
		{"GET /api/v1/players/{steamid}", loggedIn, true, s.apiPlayer},
		{"POST /api/v1/instances/{name}/clone", mayConfigure, true, s.apiInstanceClone},
		{"GET /api/v1/instances/{name}/diff", mayConfigure, true, s.apiInstanceDiff},
		{"POST /api/v1/instances/{name}/revert", mayReset, true, s.apiInstanceRevert},
		{"POST /api/v1/instances/{name}/template", mayConfigure, true, s.apiTemplateSave},
		{"GET /api/v1/templates", loggedIn, true, s.apiTemplateList},
		{"DELETE /api/v1/templates/{template}", loggedIn, true, s.apiTemplateDelete},
	}
}
