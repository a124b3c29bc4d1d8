// Package views holds the JSON shape of every resource that both the CLI's
// --json output (cmd/left4me) and the JSON API (/api/v1, internal/web)
// show: instances, their live game state, layers, Workshop items and jobs.
// One type per resource, built by one function from the domain value, so
// that a script reading `left4me instance show --json` and one reading
// GET /api/v1/instances/{name} see the same fields.
//
// It is its own package, not a View method in each domain package, because
// a view joins several domains (an instance's owner name comes from the
// accounts, a job's title from the job kinds of content and workshop) and
// the domain packages must not import each other for a display concern.
// It imports only domain packages; cmd/left4me and internal/web import it.
//
// Null rules, the same for every type here (the OpenAPI document,
// internal/web/openapi.json, says the same per field):
//   - a list is always present, [] when empty, never null (the few lists
//     only the view of one resource carries, such as a layer's items, are
//     absent from the other views);
//   - booleans and numbers are always present;
//   - a string, time or object that has no value is absent: never null,
//     never "" and never 0001-01-01T00:00:00Z;
//   - times are RFC 3339 in UTC.
package views

import (
	"context"
	"strconv"

	"github.com/left4me/left4me/internal/store"
)

// UserLister lists the accounts (store.Store does).
type UserLister interface {
	ListUsers(ctx context.Context) ([]store.User, error)
}

// Names maps account ids to account names: the one owner and user lookup of
// the CLI and the panel.
type Names map[int64]string

// UserNames reads every account's name.
func UserNames(ctx context.Context, st UserLister) (Names, error) {
	users, err := st.ListUsers(ctx)
	if err != nil {
		return nil, err
	}
	m := make(Names, len(users))
	for _, u := range users {
		m[u.ID] = u.Name
	}
	return m, nil
}

// User names account id: "system" for 0 (periodic jobs, the CLI without an
// account), "#ID" for an account that no longer exists.
func (n Names) User(id int64) string {
	if id == 0 {
		return "system"
	}
	if name, ok := n[id]; ok {
		return name
	}
	return "#" + strconv.FormatInt(id, 10)
}

// nonNil keeps the "lists are never null" rule.
func nonNil[T any](l []T) []T {
	if l == nil {
		return []T{}
	}
	return l
}
