package roles

import (
	"context"
	"errors"
	"fmt"

	"github.com/left4me/left4me/internal/instance"
	"github.com/left4me/left4me/internal/store"
)

// Store is what sharing needs from the database (*store.Store).
type Store interface {
	UserByName(ctx context.Context, name string) (store.User, error)
	SetShare(ctx context.Context, instance string, userID int64, role string) error
	ShareRole(ctx context.Context, instance string, userID int64) (string, error)
	UnshareInstance(ctx context.Context, instance string, userID int64) error
}

// notFoundError is a refusal that is also instance.ErrNotFound (a 404).
type notFoundError string

func (e notFoundError) Error() string        { return string(e) }
func (e notFoundError) Is(target error) bool { return target == instance.ErrNotFound }

// target reads the account a share names.
func target(ctx context.Context, st Store, userName string) (store.User, error) {
	u, err := st.UserByName(ctx, userName)
	if errors.Is(err, store.ErrNotFound) {
		return store.User{}, &instance.FieldError{Field: FieldUser, Err: fmt.Errorf("no account named %q: check the name, or an administrator creates the account first", userName)}
	}
	if err != nil {
		return store.User{}, fmt.Errorf("share with %q: %w", userName, err)
	}
	return u, nil
}

// Grant shares inst with the account named userName in the role roleText
// (ParseRole), or changes the role of its share. actor is who shares (the
// zero User for the CLI); CheckShare's refusals apply. Bad input is a
// FieldError naming "role" or "user", and nothing is changed.
func Grant(ctx context.Context, st Store, actor store.User, inst instance.Instance, userName, roleText string) (store.User, Role, error) {
	r, err := ParseRole(roleText)
	if err != nil {
		return store.User{}, None, err
	}
	u, err := target(ctx, st, userName)
	if err != nil {
		return store.User{}, None, err
	}
	if err := CheckShare(actor, inst, u); err != nil {
		return store.User{}, None, err
	}
	if err := st.SetShare(ctx, inst.Name, u.ID, string(r)); err != nil {
		return store.User{}, None, fmt.Errorf("share %s with %s: %w", inst.Name, u.Name, err)
	}
	return u, r, nil
}

// Rotator gives an instance a new RCON password (*instance.Service).
type Rotator interface {
	RotateRCONPassword(ctx context.Context, name string) (old, rotated instance.Instance, err error)
}

// LiveSetter sets a running server's RCON password live (*rcon.Console).
type LiveSetter interface {
	SetPassword(ctx context.Context, old instance.Instance, password string) error
}

// Withdraw withdraws the share of inst with the account named userName and
// rotates inst's RCON password: the user may have read it (in an owner's
// reply, or before internal/rcon kept secrets from shared users) and could
// otherwise keep using it on the game port. The new password is stored at once and set by the
// launch cfg at the next start; on a running server live sets it too
// (docs/srcds.md §8), and its error is returned as liveErr: the share is
// gone either way. An account without a share is a 404-like refusal.
func Withdraw(ctx context.Context, st Store, rot Rotator, live LiveSetter, inst instance.Instance, userName string) (u store.User, liveErr error, err error) {
	if u, err = target(ctx, st, userName); err != nil {
		return store.User{}, nil, err
	}
	had, err := st.ShareRole(ctx, inst.Name, u.ID)
	if err != nil {
		return store.User{}, nil, err
	}
	if had == "" {
		return store.User{}, nil, notFoundError(fmt.Sprintf("%s has no share of %s: nothing to withdraw", u.Name, inst.Name))
	}
	if err := st.UnshareInstance(ctx, inst.Name, u.ID); err != nil {
		return store.User{}, nil, err
	}
	old, rotated, err := rot.RotateRCONPassword(ctx, inst.Name)
	if err != nil {
		return u, nil, fmt.Errorf("withdrew the share of %s from %s, but rotating its RCON password failed: %w", inst.Name, u.Name, err)
	}
	return u, live.SetPassword(ctx, old, rotated.RCONPassword), nil
}
