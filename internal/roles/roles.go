// Package roles is who may do what with an instance: the roles an
// instance is shared in, the permissions each role grants (one table), and
// the account permission to create instances. The panel's routes, the JSON
// API, the CLI and the pages all ask it (docs/operations.md, "Sharing and
// roles").
package roles

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/left4me/left4me/internal/instance"
	"github.com/left4me/left4me/internal/store"
)

// Role is what a principal is to an instance: one of the share roles
// (Viewer, Operator, Admin), its Owner, a SiteAdmin, or None.
type Role string

// The roles. Viewer, Operator and Admin are what an instance can be shared
// in (ShareRoles); Owner and SiteAdmin are given by the instance's record
// and the account.
const (
	None      Role = ""
	Viewer    Role = "viewer"
	Operator  Role = "operator"
	Admin     Role = "admin"
	Owner     Role = "owner"
	SiteAdmin Role = "site-admin"
)

// ShareRoles are the roles an instance can be shared in, weakest first.
var ShareRoles = []Role{Viewer, Operator, Admin}

// Permission is one thing a role may do with an instance.
type Permission string

// The permissions. Every instance route of the panel and the API declares
// the one it needs.
const (
	// View: the instance page, its live state and players, chat and the
	// other game events, the console log.
	View Permission = "view"
	// Power: start, stop and restart.
	Power Permission = "power"
	// Moderate: the operator's console commands (map change, kick, say;
	// rcon.OperatorCommands), without the RCON history.
	Moderate Permission = "moderate"
	// Reset: discard everything the server wrote.
	Reset Permission = "reset"
	// Configure: port, layers, srcds arguments and server.cfg.
	Configure Permission = "configure"
	// Console: the RCON console with any command, its history and the
	// rcon game events.
	Console Permission = "console"
	// Share: share the instance and withdraw shares.
	Share Permission = "share"
	// Secrets: the instance's RCON password and secret cvars (internal/rcon).
	Secrets Permission = "secrets"
	// Delete: delete the instance.
	Delete Permission = "delete"
	// Backup: make, list and download the instance's backups and set
	// their retention (a backup holds server.cfg and may hold the RCON
	// password), owners and administrators only.
	Backup Permission = "backup"
)

// Permissions lists every permission, in the order of the table.
var Permissions = []Permission{View, Power, Moderate, Reset, Configure, Console, Share, Secrets, Delete, Backup}

// table is the one rule: what each role may do.
var table = map[Role][]Permission{
	Viewer:    {View},
	Operator:  {View, Power, Moderate},
	Admin:     {View, Power, Moderate, Reset, Configure, Console, Share},
	Owner:     Permissions,
	SiteAdmin: Permissions,
}

// May reports whether role r grants permission p.
func (r Role) May(p Permission) bool { return slices.Contains(table[r], p) }

// Grants lists what role r may do, in table order.
func (r Role) Grants() []Permission { return slices.Clone(table[r]) }

// IsShareRole reports whether an instance can be shared in r.
func (r Role) IsShareRole() bool { return slices.Contains(ShareRoles, r) }

// For is u's role for inst, given the role of inst's share with u (""
// for none): administrators are SiteAdmin, the owner Owner, else the
// share's role. A share role the table does not know gives None.
func For(u store.User, inst instance.Instance, shareRole string) Role {
	switch {
	case u.IsAdmin:
		return SiteAdmin
	case inst.OwnerID == u.ID:
		return Owner
	}
	if r := Role(shareRole); r.IsShareRole() {
		return r
	}
	return None
}

// The fields a share's FieldError names: the panel's share form, the
// API's body and the CLI's arguments.
const (
	FieldUser = "user"
	FieldRole = "role"
)

// ParseRole reads a share role as people type it ("Operator", " admin").
func ParseRole(text string) (Role, error) {
	r := Role(strings.ToLower(strings.TrimSpace(text)))
	if !r.IsShareRole() {
		return None, &instance.FieldError{Field: FieldRole, Err: fmt.Errorf("%q is not a role: use viewer, operator or admin", text)}
	}
	return r, nil
}

// CheckShare refuses a share that would mean nothing or grant more than
// it seems: with the instance's owner, with an administrator, or (by a
// user with an admin share) with oneself. actor is who shares; the CLI
// passes the zero User (the host's administrator).
func CheckShare(actor store.User, inst instance.Instance, target store.User) error {
	switch {
	case target.ID == inst.OwnerID:
		return &instance.FieldError{Field: FieldUser, Err: fmt.Errorf("%s owns %s and may already do everything with it: choose another account", target.Name, inst.Name)}
	case target.IsAdmin:
		return &instance.FieldError{Field: FieldUser, Err: fmt.Errorf("%s is an administrator and may already do everything with %s: choose another account", target.Name, inst.Name)}
	case actor.ID != 0 && target.ID == actor.ID:
		return &instance.FieldError{Field: FieldUser, Err: fmt.Errorf("you cannot change your own share of %s: ask its owner", inst.Name)}
	}
	return nil
}

// ErrDenied is the refusal of an action the principal's role or account
// does not allow. Its messages say what to ask for and whom.
var ErrDenied = errors.New("not allowed")

// deniedError is an ErrDenied with its own message.
type deniedError string

func (e deniedError) Error() string        { return string(e) }
func (e deniedError) Is(target error) bool { return target == ErrDenied }

// what names each permission in a refusal.
var what = map[Permission]string{
	View:      "see this instance",
	Power:     "start, stop or restart this instance",
	Moderate:  "change the map, kick or talk to players",
	Reset:     "reset this instance",
	Configure: "change this instance's settings or server.cfg",
	Console:   "use this instance's RCON console or read its history",
	Share:     "share this instance",
	Secrets:   "see this instance's RCON password",
	Delete:    "delete this instance",
}

// Denied is the refusal of p to role r: what r may not do and the role
// that may, to ask the owner for.
func Denied(r Role, p Permission) error {
	need := ""
	for _, sr := range ShareRoles {
		if sr.May(p) {
			need = string(sr)
			break
		}
	}
	if need == "" {
		return deniedError(fmt.Sprintf("only the owner or an administrator may %s", what[p]))
	}
	return deniedError(fmt.Sprintf("your %s role may not %s: ask the owner for the %s role", r, what[p], need))
}

// MayCreate refuses u the creation of instances unless u is an
// administrator or has the account permission "may create instances".
func MayCreate(u store.User) error {
	if u.IsAdmin || u.MayCreate {
		return nil
	}
	return deniedError(fmt.Sprintf("the account %s may not create instances: ask an administrator to allow it (\"may create instances\" on the accounts page, or left4me user update %s --may-create on)", u.Name, u.Name))
}

// ParseSwitch reads an on/off setting as an administrator types it (the
// CLI's --may-create, the panel's checkbox).
func ParseSwitch(field, text string) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(text)) {
	case "on", "yes", "true", "1":
		return true, nil
	case "off", "no", "false", "0":
		return false, nil
	}
	return false, &instance.FieldError{Field: field, Err: fmt.Errorf("%q is not a setting: use on or off", text)}
}

// FieldMayCreate names the account permission in a FieldError.
const FieldMayCreate = "may_create"
