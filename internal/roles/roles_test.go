package roles

import (
	"errors"
	"strings"
	"testing"

	"github.com/left4me/left4me/internal/instance"
	"github.com/left4me/left4me/internal/store"
)

func TestFor(t *testing.T) {
	inst := instance.Instance{Name: "alpha", OwnerID: 1}
	for _, tc := range []struct {
		u     store.User
		share string
		want  Role
	}{
		{store.User{ID: 9, IsAdmin: true}, "", SiteAdmin},
		{store.User{ID: 1}, "viewer", Owner},
		{store.User{ID: 2}, "operator", Operator},
		{store.User{ID: 2}, "admin", Admin},
		{store.User{ID: 2}, "", None},
		{store.User{ID: 2}, "owner", None}, // not a share role
	} {
		if got := For(tc.u, inst, tc.share); got != tc.want {
			t.Errorf("For(%+v, %q) = %q, want %q", tc.u, tc.share, got, tc.want)
		}
	}
}

func TestParseRole(t *testing.T) {
	for in, want := range map[string]Role{"viewer": Viewer, " Operator ": Operator, "ADMIN": Admin} {
		if got, err := ParseRole(in); got != want || err != nil {
			t.Errorf("ParseRole(%q) = %q, %v", in, got, err)
		}
	}
	for _, in := range []string{"", "owner", "site-admin", "boss"} {
		_, err := ParseRole(in)
		var fe *instance.FieldError
		if !errors.As(err, &fe) || fe.Field != FieldRole {
			t.Errorf("ParseRole(%q) = %v, want a FieldError for role", in, err)
		}
	}
}

func TestCheckShare(t *testing.T) {
	inst := instance.Instance{Name: "alpha", OwnerID: 1}
	owner := store.User{ID: 1, Name: "olive"}
	bob := store.User{ID: 2, Name: "bob"}
	root := store.User{ID: 3, Name: "root", IsAdmin: true}
	for _, tc := range []struct {
		actor, target store.User
		want          string
	}{
		{owner, bob, ""},
		{store.User{}, bob, ""},
		{owner, owner, "olive owns alpha"},
		{store.User{}, owner, "olive owns alpha"},
		{owner, root, "root is an administrator"},
		{bob, bob, "you cannot change your own share"},
	} {
		err := CheckShare(tc.actor, inst, tc.target)
		if tc.want == "" && err != nil || tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("CheckShare(%s, %s) = %v, want %q", tc.actor.Name, tc.target.Name, err, tc.want)
		}
	}
}

func TestDeniedNamesWhatToAskFor(t *testing.T) {
	for _, tc := range []struct {
		r    Role
		p    Permission
		want string
	}{
		{Viewer, Power, "your viewer role may not start, stop or restart this instance: ask the owner for the operator role"},
		{Operator, Configure, "ask the owner for the admin role"},
		{Admin, Delete, "only the owner or an administrator may delete this instance"},
	} {
		err := Denied(tc.r, tc.p)
		if !errors.Is(err, ErrDenied) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Denied(%s, %s) = %v, want %q", tc.r, tc.p, err, tc.want)
		}
	}
	if err := MayCreate(store.User{Name: "bob"}); !errors.Is(err, ErrDenied) || !strings.Contains(err.Error(), "ask an administrator") {
		t.Errorf("MayCreate(new account) = %v", err)
	}
	if MayCreate(store.User{IsAdmin: true}) != nil || MayCreate(store.User{MayCreate: true}) != nil {
		t.Error("an administrator or an allowed account may not create")
	}
}
