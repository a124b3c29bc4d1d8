package instance

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/left4me/left4me/internal/store"
)

// Account limits (docs/operations.md, "Account limits"): how many instances
// an account may own and how many of them may run at once. An administrator
// sets them per account; an account without its own limits has its role's
// defaults.
const (
	// Unlimited as a limit is no limit.
	Unlimited = -1
	// DefaultMaxInstances and DefaultMaxRunning are the limits of an
	// account that is not an administrator and has none of its own.
	// Administrators have no limit by default.
	DefaultMaxInstances = 3
	DefaultMaxRunning   = 2
	// MaxLimit is the largest number a limit may be set to (higher is
	// "unlimited").
	MaxLimit = 10000
)

// The fields of the account limits a FieldError can name (the panel's
// account form; the CLI's --max-instances and --max-running).
const (
	FieldMaxInstances = "max_instances"
	FieldMaxRunning   = "max_running"
)

// ErrQuota is the refusal of an operation that would take an account past
// one of its limits. The message names the limit.
var ErrQuota = errors.New("limit reached")

// Limits are an account's effective limits; Unlimited (negative) is none.
type Limits struct {
	Instances int
	Running   int
}

// LimitsOf returns the limits that apply to u: its own where set, else its
// role's defaults.
func LimitsOf(u store.User) Limits {
	l := Limits{Instances: DefaultMaxInstances, Running: DefaultMaxRunning}
	if u.IsAdmin {
		l = Limits{Instances: Unlimited, Running: Unlimited}
	}
	if u.Limits.MaxInstances != nil {
		l.Instances = *u.Limits.MaxInstances
	}
	if u.Limits.MaxRunning != nil {
		l.Running = *u.Limits.MaxRunning
	}
	return l
}

// ParseLimit reads one limit as an administrator types it: "" or
// "default" (nil: the role's default), "unlimited", or a number from 0 to
// MaxLimit. field names it in the error.
func ParseLimit(field, text string) (*int, error) {
	switch t := strings.ToLower(strings.TrimSpace(text)); t {
	case "", "default":
		return nil, nil
	case "unlimited":
		n := Unlimited
		return &n, nil
	default:
		n, err := strconv.Atoi(t)
		if err != nil || n < 0 || n > MaxLimit {
			return nil, fieldErr(field, "%q is not a limit: give a number from 0 to %d, \"unlimited\" or \"default\"", text, MaxLimit)
		}
		return &n, nil
	}
}

// LimitText is how a limit reads to people: "3", "unlimited", or with
// own nil "default (3)".
func LimitText(own *int, effective int) string {
	s := strconv.Itoa(effective)
	if effective < 0 {
		s = "unlimited"
	}
	if own == nil {
		return "default (" + s + ")"
	}
	return s
}

// ownerLimits reads the owner's account and its limits. A missing account
// is a field error of the owner.
func (s *Service) ownerLimits(ctx context.Context, ownerID int64) (store.User, Limits, error) {
	u, err := s.st.UserByID(ctx, ownerID)
	if errors.Is(err, store.ErrNotFound) {
		return store.User{}, Limits{}, fieldErr(FieldOwner, "user %d does not exist", ownerID)
	}
	if err != nil {
		return store.User{}, Limits{}, fmt.Errorf("limits of user %d: %w", ownerID, err)
	}
	return u, LimitsOf(u), nil
}

// lockOwner serialises the quota checks of one account's operations
// (across processes, as the instance locks do) when limit is a limit; an
// unlimited account takes no lock, so its starts stay parallel.
func (s *Service) lockOwner(ctx context.Context, ownerID int64, limit int) (func(), error) {
	if limit < 0 {
		return func() {}, nil
	}
	return s.locks.lockFileNamed(ctx, fmt.Sprintf("owner %d", ownerID), fmt.Sprintf(".owner.%d.lock", ownerID))
}

// reserveCreate refuses a create that would give the owner more instances
// than its limit. The returned function releases the owner's lock, held
// until the instance exists.
func (s *Service) reserveCreate(ctx context.Context, ownerID int64) (func(), error) {
	u, l, err := s.ownerLimits(ctx, ownerID)
	if err != nil {
		return nil, err
	}
	unlock, err := s.lockOwner(ctx, ownerID, l.Instances)
	if err != nil {
		return nil, err
	}
	if l.Instances < 0 {
		return unlock, nil
	}
	owned, err := s.st.InstancesByOwner(ctx, ownerID)
	if err != nil {
		unlock()
		return nil, fmt.Errorf("count instances of %q: %w", u.Name, err)
	}
	if len(owned) >= l.Instances {
		unlock()
		return nil, fmt.Errorf("%w: user %q may own at most %d instances (max instances) and owns %d; delete one, or an administrator raises the limit",
			ErrQuota, u.Name, l.Instances, len(owned))
	}
	return unlock, nil
}

// reserveStart refuses to start in when its owner already runs as many
// servers as its limit allows (in itself not counted). The returned
// function releases the owner's lock, held until the start has finished.
func (s *Service) reserveStart(ctx context.Context, in Instance) (func(), error) {
	u, l, err := s.ownerLimits(ctx, in.OwnerID)
	if err != nil {
		return nil, err
	}
	unlock, err := s.lockOwner(ctx, in.OwnerID, l.Running)
	if err != nil {
		return nil, err
	}
	if l.Running < 0 {
		return unlock, nil
	}
	owned, err := s.st.InstancesByOwner(ctx, in.OwnerID)
	if err != nil {
		unlock()
		return nil, fmt.Errorf("count running instances of %q: %w", u.Name, err)
	}
	var running []string
	for _, o := range owned {
		if o.Name == in.Name {
			continue
		}
		st, err := s.sup.Status(ctx, o.Name)
		if err != nil {
			unlock()
			return nil, fmt.Errorf("start %s: status of %s: %w", in.Name, o.Name, err)
		}
		if active(st.State) {
			running = append(running, o.Name)
		}
	}
	if len(running) >= l.Running {
		unlock()
		return nil, fmt.Errorf("%w: user %q may run at most %d servers at once (max running) and runs %d (%s); stop one first, or an administrator raises the limit",
			ErrQuota, u.Name, l.Running, len(running), strings.Join(running, ", "))
	}
	return unlock, nil
}
