package web

import "net/http"

// access is who may reach a route.
type access int

const (
	public   access = iota // anyone; login and health
	loggedIn               // any account; instance routes check the instance too
	adminOnly
)

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
}

// routeTable is every route of the panel. A route whose pattern has {name}
// acts on one instance and must call s.instanceFor (the authorisation tests
// walk this table and fail for an instance route without a case).
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
		{"GET /instances/{name}", loggedIn, false, s.instanceShow},
		{"GET /instances/{name}/edit", loggedIn, false, s.instanceEdit},
		{"POST /instances/{name}/edit", loggedIn, false, s.instanceUpdate},
		{"POST /instances/{name}/start", loggedIn, false, s.instanceAction("start")},
		{"POST /instances/{name}/stop", loggedIn, false, s.instanceAction("stop")},
		{"POST /instances/{name}/restart", loggedIn, false, s.instanceAction("restart")},
		{"POST /instances/{name}/reset", loggedIn, false, s.instanceAction("reset")},
		{"GET /instances/{name}/delete", loggedIn, false, s.instanceDeleteConfirm},
		{"POST /instances/{name}/delete", loggedIn, false, s.instanceDelete},
		{"GET /instances/{name}/cfg", loggedIn, false, s.instanceCfg},
		{"POST /instances/{name}/cfg", loggedIn, false, s.instanceCfgSave},
		{"GET /instances/{name}/logs/stream", loggedIn, false, s.instanceLogStream},
		{"POST /instances/{name}/rcon", loggedIn, false, s.instanceRCON},
		{"POST /instances/{name}/shares", adminOnly, false, s.instanceShare},
		{"POST /instances/{name}/shares/{user}/delete", adminOnly, false, s.instanceUnshare},

		{"GET /jobs", loggedIn, false, s.jobList},
		{"GET /jobs/{id}", loggedIn, false, s.jobShow},
		{"POST /jobs/{id}/cancel", loggedIn, false, s.jobCancel},
		{"GET /installation", adminOnly, false, s.installationPage},
		{"POST /installation/install", adminOnly, false, s.installationInstall},
		{"POST /installation/rolling-restart", adminOnly, false, s.rollingRestart},
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
		{"GET /admin/webhooks", adminOnly, false, s.webhookList},
		{"POST /admin/webhooks", adminOnly, false, s.webhookCreate},
		{"POST /admin/webhooks/{id}/delete", adminOnly, false, s.webhookDelete},
		{"POST /admin/webhooks/{id}/test", adminOnly, false, s.webhookTest},
		{"GET /audit", loggedIn, false, s.auditList},

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
		{"GET /api/v1/conflicts", loggedIn, true, s.apiConflicts},
		{"GET /api/v1/jobs", loggedIn, true, s.apiJobList},
		{"GET /api/v1/jobs/{id}", loggedIn, true, s.apiJobGet},
		{"POST /api/v1/jobs/{id}/cancel", loggedIn, true, s.apiJobCancel},
		{"GET /api/v1/instances/{name}", loggedIn, true, s.apiInstanceGet},
		{"PATCH /api/v1/instances/{name}", loggedIn, true, s.apiInstanceUpdate},
		{"DELETE /api/v1/instances/{name}", loggedIn, true, s.apiInstanceDelete},
		{"POST /api/v1/instances/{name}/start", loggedIn, true, s.apiInstanceAction("start")},
		{"POST /api/v1/instances/{name}/stop", loggedIn, true, s.apiInstanceAction("stop")},
		{"POST /api/v1/instances/{name}/restart", loggedIn, true, s.apiInstanceAction("restart")},
		{"POST /api/v1/instances/{name}/reset", loggedIn, true, s.apiInstanceAction("reset")},
		{"GET /api/v1/instances/{name}/cfg", loggedIn, true, s.apiCfgGet},
		{"PUT /api/v1/instances/{name}/cfg", loggedIn, true, s.apiCfgPut},
		{"GET /api/v1/instances/{name}/live", loggedIn, true, s.apiLive},
		{"GET /api/v1/instances/{name}/logs", loggedIn, true, s.apiLogs},
		{"GET /api/v1/instances/{name}/events", loggedIn, true, s.apiEvents},
		{"GET /api/v1/instances/{name}/rcon", loggedIn, true, s.apiRCONHistory},
		{"POST /api/v1/instances/{name}/rcon", loggedIn, true, s.apiRCON},
		{"GET /api/v1/webhooks", adminOnly, true, s.apiWebhookList},
		{"POST /api/v1/webhooks", adminOnly, true, s.apiWebhookCreate},
		{"DELETE /api/v1/webhooks/{id}", adminOnly, true, s.apiWebhookDelete},
		{"POST /api/v1/webhooks/{id}/test", adminOnly, true, s.apiWebhookTest},
		{"GET /api/v1/webhooks/{id}/deliveries", adminOnly, true, s.apiWebhookDeliveries},
		{"GET /api/v1/audit", loggedIn, true, s.apiAudit},
	}
}
