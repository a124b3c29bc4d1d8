package web

import (
	"context"

	"github.com/left4me/left4me/internal/store"
)

// creator is quickUser with the account permission "may create
// instances" (new accounts start without it: internal/roles).
func (e *env) creator(name string) store.User {
	e.t.Helper()
	u := e.quickUser(name, false)
	if err := e.st.SetMayCreate(context.Background(), u.ID, true); err != nil {
		e.t.Fatal(err)
	}
	u.MayCreate = true
	return u
}
