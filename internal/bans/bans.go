// Package bans keeps player bans: who is banned, why, by whom, until when
// and where (every instance its author may ban on, or every instance for an
// administrator's global ban). A ban is stored, pushed live over RCON to
// the running instances it covers, and staged into each instance's
// left4me_bans.cfg at start (Cfg); an expired ban is lifted everywhere
// (Expire, run by the panel). The panel, the API and the CLI all go
// through Service (docs/operations.md, "Kicks and bans").
//
// Who may kick and who may ban is internal/rcon's rule (kickban.go); the
// commands sent are built there too.
package bans

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/left4me/left4me/internal/instance"
	"github.com/left4me/left4me/internal/rcon"
	"github.com/left4me/left4me/internal/roles"
	"github.com/left4me/left4me/internal/store"
)

// The fields a ban's or kick's FieldError names: the panel's forms, the
// API's JSON and the CLI's arguments.
const (
	FieldSteamID  = "steam_id"
	FieldDuration = "duration"
	FieldReason   = "reason"
	FieldGlobal   = "global"
	FieldInstance = "instances"
	FieldPlayer   = "player"
)

// MaxDuration is the longest temporary ban; longer is permanent.
const MaxDuration = 10 * 365 * 24 * time.Hour

// Store is what bans need from the database (*store.Store).
type Store interface {
	AddBan(ctx context.Context, b store.Ban) (store.Ban, error)
	GetBan(ctx context.Context, id int64) (store.Ban, error)
	ActiveBans(ctx context.Context, t time.Time) ([]store.Ban, error)
	BansOn(ctx context.Context, instance string, t time.Time) ([]store.Ban, error)
	ExpiredBans(ctx context.Context, t time.Time) ([]store.Ban, error)
	DeleteBan(ctx context.Context, id int64) error
	ShareRoles(ctx context.Context, userID int64) (map[string]string, error)
}

// Instances lists the instances and their state (*instance.Service).
type Instances interface {
	List(ctx context.Context) ([]instance.Instance, error)
	Status(ctx context.Context, name string) (instance.Status, error)
}

// Console sends a command to a running instance under the RCON policy and
// records it in its history (*rcon.Console).
type Console interface {
	Send(ctx context.Context, inst instance.Instance, u rcon.User, command string) (store.RCONEntry, error)
}

// Config is what a Service is built from. Console may be nil (no RCON
// here): bans are then only stored and staged.
type Config struct {
	Store     Store
	Instances Instances
	Console   Console
	Now       func() time.Time
	Logger    *slog.Logger
}

// Service adds, lists, removes and expires bans and kicks players.
type Service struct {
	cfg Config
	log *slog.Logger
}

// New returns a Service over cfg.
func New(cfg Config) *Service {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	lg := cfg.Logger
	if lg == nil {
		lg = slog.New(slog.DiscardHandler)
	}
	return &Service{cfg: cfg, log: lg}
}

// Spec is a ban as the panel's form, the API and the CLI give it.
type Spec struct {
	SteamID string
	// Duration: empty, "0" or "permanent" for a permanent ban; a number of
	// minutes ("90"); or a duration ("30m", "12h", "7d", "1h30m").
	Duration string
	Reason   string
	// Global bans on every instance, present and future (administrators
	// only).
	Global bool
	// Instances, when given, narrows a ban to these instances; each must be
	// one the author may ban on. Empty: every such instance.
	Instances []string
}

// Push is what happened on one running instance when a ban was pushed.
type Push struct {
	Instance string
	Err      error // nil: sent and answered
}

// fieldErr is a FieldError of a ban.
func fieldErr(field, format string, a ...any) error {
	return &instance.FieldError{Field: field, Err: fmt.Errorf(format, a...)}
}

// ParseDuration reads a ban's duration: 0 for permanent.
func ParseDuration(text string) (time.Duration, error) {
	t := strings.ToLower(strings.TrimSpace(text))
	switch t {
	case "", "0", "permanent", "forever":
		return 0, nil
	}
	var d time.Duration
	if n, err := strconv.ParseInt(t, 10, 64); err == nil {
		if n < 0 {
			return 0, fieldErr(FieldDuration, "%q is negative: give minutes, a duration such as 30m, 12h or 7d, or permanent", text)
		}
		d = time.Duration(min(n, math.MaxInt64/int64(time.Minute))) * time.Minute
	} else {
		days := time.Duration(0)
		if i := strings.Index(t, "d"); i > 0 {
			n, err := strconv.ParseInt(t[:i], 10, 64)
			if err != nil {
				return 0, fieldErr(FieldDuration, "%q is not a duration: give minutes, a duration such as 30m, 12h or 7d, or permanent", text)
			}
			if n < 0 {
				return 0, fieldErr(FieldDuration, "%q is negative: give minutes, a duration such as 30m, 12h or 7d, or permanent", text)
			}
			days, t = time.Duration(min(n, 100000))*24*time.Hour, t[i+1:]
		}
		rest := time.Duration(0)
		if t != "" {
			var err error
			if rest, err = time.ParseDuration(t); err != nil {
				return 0, fieldErr(FieldDuration, "%q is not a duration: give minutes, a duration such as 30m, 12h or 7d, or permanent", text)
			}
		}
		if rest < 0 || strings.HasPrefix(t, "-") {
			return 0, fieldErr(FieldDuration, "%q is negative: give minutes, a duration such as 30m, 12h or 7d, or permanent", text)
		}
		d = days + rest
	}
	switch {
	case d < time.Minute:
		return 0, fieldErr(FieldDuration, "%q is less than a minute, the shortest ban the server knows (0 or permanent bans for ever)", text)
	case d > MaxDuration:
		return 0, fieldErr(FieldDuration, "%q is more than ten years: use permanent", text)
	}
	return d, nil
}

// isAdmin: an administrator, or the system (ID 0: the CLI as root).
func isAdmin(u store.User) bool { return u.IsAdmin || u.ID == 0 }

// byName names the author in a ban and the console history.
func byName(u store.User) string {
	if u.ID == 0 || u.Name == "" {
		return "system"
	}
	return u.Name
}

// scope returns every instance and the names of those u may ban on
// (roles.Console) and may see (roles.View).
func (s *Service) scope(ctx context.Context, u store.User) (all []instance.Instance, mayBan, maySee map[string]bool, err error) {
	all, err = s.cfg.Instances.List(ctx)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("list instances: %w", err)
	}
	shares := map[string]string{}
	if !isAdmin(u) {
		if shares, err = s.cfg.Store.ShareRoles(ctx, u.ID); err != nil {
			return nil, nil, nil, fmt.Errorf("read the shares of %s: %w", u.Name, err)
		}
	}
	mayBan, maySee = map[string]bool{}, map[string]bool{}
	for _, in := range all {
		r := roles.SiteAdmin
		if !isAdmin(u) {
			r = roles.For(u, in, shares[in.Name])
		}
		mayBan[in.Name] = r.May(roles.Console)
		maySee[in.Name] = r.May(roles.View)
	}
	return all, mayBan, maySee, nil
}

// Add checks spec, stores the ban for u and pushes it to every running
// instance it covers (banid, then kickid with the reason). Bad input is a
// FieldError naming the field, and nothing is stored or sent. A push that
// fails is reported in the Pushes, not as an error: the ban is stored and
// staged at the instance's next start.
func (s *Service) Add(ctx context.Context, u store.User, spec Spec) (store.Ban, []Push, error) {
	id, err := ParseSteamID(spec.SteamID)
	if err != nil {
		return store.Ban{}, nil, &instance.FieldError{Field: FieldSteamID, Err: err}
	}
	d, err := ParseDuration(spec.Duration)
	if err != nil {
		return store.Ban{}, nil, err
	}
	reason := strings.TrimSpace(spec.Reason)
	if err := rcon.CheckReason(reason); err != nil {
		return store.Ban{}, nil, &instance.FieldError{Field: FieldReason, Err: err}
	}
	if spec.Global && !isAdmin(u) {
		return store.Ban{}, nil, fieldErr(FieldGlobal, "only administrators may ban on every instance: leave it off to ban on the instances you may ban on")
	}
	all, mayBan, maySee, err := s.scope(ctx, u)
	if err != nil {
		return store.Ban{}, nil, err
	}
	var names []string
	for _, n := range spec.Instances {
		n = strings.TrimSpace(n)
		switch {
		case n == "":
			continue
		case !maySee[n]:
			return store.Ban{}, nil, fieldErr(FieldInstance, "no instance named %q: check the name", n)
		case !mayBan[n]:
			return store.Ban{}, nil, fieldErr(FieldInstance, "you may not ban on %s: banning needs the admin role on it (ask its owner)", n)
		}
		if !slices.Contains(names, n) {
			names = append(names, n)
		}
	}
	if len(names) == 0 && !spec.Global {
		for _, in := range all {
			if mayBan[in.Name] {
				names = append(names, in.Name)
			}
		}
		if len(names) == 0 {
			return store.Ban{}, nil, fieldErr(FieldInstance, "you may ban on no instance: banning needs the admin role on an instance (ask its owner)")
		}
	}
	b := store.Ban{SteamID: id, Reason: reason, ByUserID: u.ID, ByName: byName(u), At: s.cfg.Now(),
		Global: spec.Global, Instances: names}
	if spec.Global {
		b.Instances = nil
	}
	if d > 0 {
		b.Expires = s.cfg.Now().Add(d).Truncate(time.Second)
	}
	b, err = s.cfg.Store.AddBan(ctx, b)
	if err != nil {
		return store.Ban{}, nil, err
	}
	s.log.Info("player banned", "steam_id", b.SteamID, "by", b.ByName, "global", b.Global, "instances", b.Instances)
	cmd := rcon.BanCommand(minutesLeft(b, s.cfg.Now()), b.SteamID, b.Reason)
	pushes := s.push(ctx, u, all, b, func(instance.Instance) string { return cmd })
	return b, pushes, nil
}

// minutesLeft is what banid is given for b at now: 0 for a permanent ban,
// else the minutes left, rounded up (docs/srcds.md §7).
func minutesLeft(b store.Ban, now time.Time) int {
	if b.Expires.IsZero() {
		return 0
	}
	return max(1, int(math.Ceil(b.Expires.Sub(now).Minutes())))
}

// covers reports whether b applies to the instance name.
func covers(b store.Ban, name string) bool { return b.Global || slices.Contains(b.Instances, name) }

// push sends the command cmd gives for each running instance b covers.
func (s *Service) push(ctx context.Context, u store.User, all []instance.Instance, b store.Ban, cmd func(instance.Instance) string) []Push {
	if s.cfg.Console == nil {
		return nil
	}
	var out []Push
	ru := rcon.User{ID: u.ID, Name: byName(u), MaySeeSecrets: true}
	for _, in := range all {
		if !covers(b, in.Name) {
			continue
		}
		st, err := s.cfg.Instances.Status(ctx, in.Name)
		if err != nil || st.State != instance.Running {
			continue // staged at its next start
		}
		c := cmd(in)
		if c == "" {
			continue
		}
		_, err = s.cfg.Console.Send(ctx, in, ru, c)
		if err != nil && !errors.Is(err, rcon.ErrNotRunning) {
			s.log.Warn("ban not pushed", "instance", in.Name, "steam_id", b.SteamID, "err", err)
		}
		if errors.Is(err, rcon.ErrNotRunning) {
			continue
		}
		out = append(out, Push{Instance: in.Name, Err: err})
	}
	return out
}

// Get returns the ban id if u may see it (instance.ErrNotFound otherwise).
func (s *Service) Get(ctx context.Context, u store.User, id int64) (store.Ban, error) {
	b, err := s.cfg.Store.GetBan(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return store.Ban{}, notFound(id)
	}
	if err != nil {
		return store.Ban{}, err
	}
	_, _, maySee, err := s.scope(ctx, u)
	if err != nil {
		return store.Ban{}, err
	}
	if !visible(b, maySee) || !b.Expires.IsZero() && !b.Expires.After(s.cfg.Now()) {
		return store.Ban{}, notFound(id)
	}
	return b, nil
}

// notFoundError is a missing ban: instance.ErrNotFound (a 404).
type notFoundError int64

func (e notFoundError) Error() string {
	return fmt.Sprintf("no ban %d: it was lifted, has expired or never existed (left4me ban list)", int64(e))
}
func (e notFoundError) Is(target error) bool { return target == instance.ErrNotFound }

func notFound(id int64) error { return notFoundError(id) }

// visible: global bans, and bans on an instance the user may see.
func visible(b store.Ban, maySee map[string]bool) bool {
	if b.Global {
		return true
	}
	for _, n := range b.Instances {
		if maySee[n] {
			return true
		}
	}
	return false
}

// List returns the bans in force that u may see (global ones and those on
// an instance u sees), newest first, narrowed by query: words that must
// each appear in the SteamID, the reason, the author or an instance's name
// (case-insensitive). A SteamID in any form finds its bans.
func (s *Service) List(ctx context.Context, u store.User, query string) ([]store.Ban, error) {
	all, err := s.cfg.Store.ActiveBans(ctx, s.cfg.Now())
	if err != nil {
		return nil, err
	}
	_, _, maySee, err := s.scope(ctx, u)
	if err != nil {
		return nil, err
	}
	words := strings.Fields(strings.ToLower(query))
	for i, w := range words {
		if id, err := ParseSteamID(w); err == nil {
			words[i] = strings.ToLower(id)
		}
	}
	var out []store.Ban
	for _, b := range all {
		if !visible(b, maySee) {
			continue
		}
		if !isAdmin(u) {
			// Only the instances u sees are named.
			b.Instances = slices.DeleteFunc(b.Instances, func(n string) bool { return !maySee[n] })
		}
		text := strings.ToLower(strings.Join(append([]string{b.SteamID, b.Reason, b.ByName}, b.Instances...), " "))
		if !all2(words, func(w string) bool { return strings.Contains(text, w) }) {
			continue
		}
		out = append(out, b)
	}
	return out, nil
}

func all2(words []string, f func(string) bool) bool {
	for _, w := range words {
		if !f(w) {
			return false
		}
	}
	return true
}

// Remove lifts ban id: u must be an administrator, its author, or (for a
// ban that is not global) may ban on every instance it covers. The running
// instances it covered are told (removeid), unless another ban still holds
// the player there.
func (s *Service) Remove(ctx context.Context, u store.User, id int64) (store.Ban, []Push, error) {
	b, err := s.Get(ctx, u, id)
	if err != nil {
		return store.Ban{}, nil, err
	}
	all, mayBan, _, err := s.scope(ctx, u)
	if err != nil {
		return store.Ban{}, nil, err
	}
	may := isAdmin(u) || (b.ByUserID != 0 && b.ByUserID == u.ID)
	if !may && !b.Global {
		may = true
		for _, n := range b.Instances {
			may = may && mayBan[n]
		}
	}
	if !may {
		return store.Ban{}, nil, fmt.Errorf("%w: only its author (%s), an administrator or who may ban on every instance it covers may lift ban %d", roles.ErrDenied, b.ByName, id)
	}
	if err := s.cfg.Store.DeleteBan(ctx, id); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return store.Ban{}, nil, notFound(id)
		}
		return store.Ban{}, nil, err
	}
	s.log.Info("ban lifted", "id", id, "steam_id", b.SteamID, "by", byName(u))
	return b, s.lift(ctx, u, all, b), nil
}

// lift tells the running instances b covered that it is over: removeid,
// or banid with the time of another ban of the same player still in force
// there.
func (s *Service) lift(ctx context.Context, u store.User, all []instance.Instance, b store.Ban) []Push {
	now := s.cfg.Now()
	return s.push(ctx, u, all, b, func(in instance.Instance) string {
		others, err := s.cfg.Store.BansOn(ctx, in.Name, now)
		if err != nil {
			s.log.Warn("read bans", "instance", in.Name, "err", err)
			return ""
		}
		if o, ok := strongest(others, b.SteamID, now); ok {
			return "banid " + strconv.Itoa(minutesLeft(o, now)) + " " + o.SteamID
		}
		return rcon.UnbanCommand(b.SteamID)
	})
}

// strongest is the longest ban of steamID among bans (permanent first).
func strongest(bans []store.Ban, steamID string, now time.Time) (store.Ban, bool) {
	var best store.Ban
	found := false
	for _, o := range bans {
		if o.SteamID != steamID || (!o.Expires.IsZero() && !o.Expires.After(now)) {
			continue
		}
		if !found || o.Expires.IsZero() || (!best.Expires.IsZero() && o.Expires.After(best.Expires)) {
			best, found = o, true
		}
	}
	return best, found
}

// Expire lifts every ban whose time is over: it is deleted and the
// running instances it covered are told (removeid). It returns how many.
func (s *Service) Expire(ctx context.Context) (int, error) {
	expired, err := s.cfg.Store.ExpiredBans(ctx, s.cfg.Now())
	if err != nil || len(expired) == 0 {
		return 0, err
	}
	all, err := s.cfg.Instances.List(ctx)
	if err != nil {
		return 0, fmt.Errorf("list instances: %w", err)
	}
	n := 0
	for _, b := range expired {
		if err := s.cfg.Store.DeleteBan(ctx, b.ID); err != nil && !errors.Is(err, store.ErrNotFound) {
			return n, err
		}
		s.log.Info("ban expired", "id", b.ID, "steam_id", b.SteamID)
		s.lift(ctx, store.User{}, all, b)
		n++
	}
	return n, nil
}

// ExpireEvery is how often Run looks for expired bans.
const ExpireEvery = 30 * time.Second

// Run lifts expired bans every ExpireEvery until ctx ends (the panel runs
// it). Between runs the staged cfg already leaves expired bans out.
func (s *Service) Run(ctx context.Context) {
	t := time.NewTicker(ExpireEvery)
	defer t.Stop()
	for {
		if _, err := s.Expire(ctx); err != nil && ctx.Err() == nil {
			s.log.Error("expire bans", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
