package views

import (
	"time"

	"github.com/left4me/left4me/internal/instance"
	"github.com/left4me/left4me/internal/roles"
	"github.com/left4me/left4me/internal/store"
)

// Share is one account an instance is shared with: its role and what the
// role may do (GET /api/v1/instances/{name}/shares, `left4me instance
// share --json`).
type Share struct {
	User        string   `json:"user"`
	Role        string   `json:"role"`
	Permissions []string `json:"permissions"`
}

// NewShare builds the view of a share of user in role.
func NewShare(user string, r roles.Role) Share {
	perms := []string{}
	for _, p := range r.Grants() {
		perms = append(perms, string(p))
	}
	return Share{User: user, Role: string(r), Permissions: perms}
}

// User is an account with its limits and permissions (GET /api/v1/users,
// `left4me user list --json`).
type User struct {
	Name      string    `json:"name"`
	Admin     bool      `json:"admin"`
	CreatedAt time.Time `json:"created_at"`
	// MaxInstances and MaxRunning are the limits that apply (-1: none);
	// the *Default fields say whether they are the role's default.
	MaxInstances        int  `json:"max_instances"`
	MaxInstancesDefault bool `json:"max_instances_default"`
	MaxRunning          int  `json:"max_running"`
	MaxRunningDefault   bool `json:"max_running_default"`
	// MayCreate is whether the account may create instances
	// (administrators always may).
	MayCreate bool `json:"may_create"`
}

// NewUser builds the view of an account.
func NewUser(u store.User) User {
	l := instance.LimitsOf(u)
	return User{Name: u.Name, Admin: u.IsAdmin, CreatedAt: utc(u.CreatedAt),
		MaxInstances: l.Instances, MaxInstancesDefault: u.Limits.MaxInstances == nil,
		MaxRunning: l.Running, MaxRunningDefault: u.Limits.MaxRunning == nil,
		MayCreate: roles.MayCreate(u) == nil}
}
