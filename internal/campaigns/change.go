package campaigns

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/left4me/left4me/internal/instance"
	"github.com/left4me/left4me/internal/layout"
	"github.com/left4me/left4me/internal/overlay"
)

// When a map change applies.
const (
	WhenNow       = "now"        // changelevel over RCON
	WhenNextStart = "next-start" // +map and +mp_gamemode in the arguments
)

// The fields of a map change a FieldError names: the API's body, the
// panel's picker form and the CLI's arguments.
const (
	FieldMap  = "map"
	FieldMode = "mode"
	FieldWhen = "when"
)

// Request is a map change: POST /api/v1/instances/NAME/map, the picker, and
// left4me instance map.
type Request struct {
	Map  string `json:"map"`
	Mode string `json:"mode,omitempty"`
	// When is WhenNow (the default) or WhenNextStart.
	When string `json:"when,omitempty"`
}

// Target is the instance a change is for.
type Target struct {
	Name    string
	Layers  []string
	Args    []string
	Running bool
}

// Executor carries a change out: the panel's RCON console and instance
// service, or the CLI's.
type Executor interface {
	// Send sends one console command to the running server and returns
	// its reply.
	Send(ctx context.Context, command string) (string, error)
	// SetArgs replaces the instance's srcds arguments (instance.Update).
	SetArgs(ctx context.Context, args []string) error
}

// Result is what a change did.
type Result struct {
	Map  string `json:"map"`
	Mode string `json:"mode,omitempty"`
	When string `json:"when"`
	// Source is where the map comes from: "official" or a layer id.
	Source string `json:"source"`
	// Commands are the console commands sent (now).
	Commands []string `json:"commands"`
	// Reply is the server's reply to them (now).
	Reply string `json:"reply,omitempty"`
	// Args are the instance's arguments after the change (next-start).
	Args []string `json:"args"`
}

// mapName is what a map name may look like: a file name without path or
// extension, as the engine's maps/NAME.bsp.
var mapName = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$`)

// ErrChangeRefused: the server refused the changelevel (its reply says
// why); it wraps into a FieldError of FieldMap.
var ErrChangeRefused = errors.New("the server refused the map change")

func fieldErr(field, format string, a ...any) error {
	return &instance.FieldError{Field: field, Err: fmt.Errorf(format, a...)}
}

// Stack is the catalog of an instance: for a running one the layers it
// was started with (its staged instance.env), else the newest generations
// its next start mounts.
func (s *Scanner) Stack(root layout.Root, t Target) Catalog {
	if t.Running {
		if env, err := overlay.ReadEnvFile(root.InstanceEnv(t.Name)); err == nil {
			return s.Catalog(MountedDirs(root, env.LowerDirs))
		}
	}
	return s.Catalog(NewestDirs(root, t.Layers))
}

// Change validates req against the instance's stack and carries it out:
// now, a changelevel (preceded by mp_gamemode when a mode is given) sent to
// the running server, refused when the server's reply says the map was not
// found; next-start, the instance's +map and +mp_gamemode arguments
// replaced. Bad input is a FieldError naming map, mode or when; nothing is
// changed then.
func (s *Scanner) Change(ctx context.Context, root layout.Root, t Target, req Request, ex Executor) (Result, error) {
	when := strings.ToLower(strings.TrimSpace(req.When))
	if when == "" {
		when = WhenNow
	}
	if when != WhenNow && when != WhenNextStart {
		return Result{}, fieldErr(FieldWhen, "%q is not a time for a map change: use now or next-start", req.When)
	}
	m := strings.TrimSpace(req.Map)
	switch {
	case m == "":
		return Result{}, fieldErr(FieldMap, "no map given: name a map of the picker, such as c1m1_hotel")
	case !mapName.MatchString(m):
		return Result{}, fieldErr(FieldMap, "%q is not a map name: use the name of a map file without .bsp, such as c1m1_hotel", m)
	}
	if when == WhenNow && !t.Running {
		return Result{}, fieldErr(FieldWhen, "%s is not running, so its map cannot change now: start it first, or set the map for its next start (next-start)", t.Name)
	}
	var cat Catalog
	if when == WhenNow {
		cat = s.Stack(root, t)
	} else {
		cat = s.Catalog(NewestDirs(root, t.Layers))
	}
	camps, source, ok := cat.find(m)
	if !ok {
		layers := "it stacks no layers"
		if len(t.Layers) > 0 {
			layers = "nor do its layers (" + strings.Join(t.Layers, ", ") + ")"
		}
		return Result{}, fieldErr(FieldMap, "%s has no map %q: it is no official map, %s; add the layer that holds it, or pick one of the instance's maps", t.Name, m, layers)
	}
	mode := normMode(req.Mode)
	if mode != "" {
		if !modeName.MatchString(mode) || !knownMode(mode, cat.Modes) {
			return Result{}, fieldErr(FieldMode, "%q is not a game mode: use one of %s", req.Mode, strings.Join(cat.Modes, ", "))
		}
		if err := checkPlayed(m, mode, camps); err != nil {
			return Result{}, err
		}
	}
	res := Result{Map: m, Mode: mode, When: when, Source: source, Commands: []string{}, Args: []string{}}
	if when == WhenNextStart {
		res.Args = WithStartMap(t.Args, m, mode)
		if err := ex.SetArgs(ctx, res.Args); err != nil {
			return Result{}, err
		}
		return res, nil
	}
	if mode != "" {
		res.Commands = append(res.Commands, "mp_gamemode "+mode)
	}
	res.Commands = append(res.Commands, "changelevel "+m)
	var replies []string
	for _, c := range res.Commands {
		reply, err := ex.Send(ctx, c)
		if err != nil {
			return Result{}, err
		}
		if r := strings.TrimSpace(reply); r != "" {
			replies = append(replies, r)
		}
		// NOTE: the engine refuses a map it cannot find with
		// "changelevel failed: NAME not found" (docs/srcds.md §9).
		if strings.HasPrefix(c, "changelevel ") && strings.Contains(reply, "changelevel failed") {
			return Result{}, &instance.FieldError{Field: FieldMap, Err: fmt.Errorf("%w: %s", ErrChangeRefused, strings.TrimSpace(reply))}
		}
	}
	res.Reply = strings.Join(replies, "\n")
	return res, nil
}

// checkPlayed refuses a mode no campaign of the map plays it in, where the
// campaign's list for that mode is verified (the layers' mission files,
// and the official coop, realism and versus chapters). A map of no
// campaign, and a mutation, are not checked.
func checkPlayed(m, mode string, camps []Campaign) error {
	if len(camps) == 0 || mutation.MatchString(mode) {
		return nil
	}
	var modes []string
	for _, c := range camps {
		if c.playedIn(m, mode) || slices.Contains(c.Unverified, baseMode(mode)) {
			return nil
		}
		for _, x := range c.ModeNames() {
			if !slices.Contains(modes, x) {
				modes = append(modes, x)
			}
		}
	}
	c := camps[0]
	return fieldErr(FieldMode, "%s is not a %s map of %s (%s): its modes are %s; pick another map or mode", m, mode, c.Title, c.Name, strings.Join(modes, ", "))
}

// StartMap reads the map and mode of the next start from srcds arguments
// (+map NAME, +mp_gamemode MODE; the last of each wins, as the engine runs
// them in order); "" when not set.
func StartMap(args []string) (mapName, mode string) {
	for i := 0; i+1 < len(args); i++ {
		switch strings.ToLower(args[i]) {
		case "+map":
			mapName = args[i+1]
		case "+mp_gamemode":
			mode = args[i+1]
		}
	}
	return mapName, mode
}

// WithStartMap returns args with every +map and +mp_gamemode (and its
// value) removed and "+map m" (and "+mp_gamemode mode" when mode is set)
// appended. A mode left empty keeps the arguments' +mp_gamemode, if any.
func WithStartMap(args []string, m, mode string) []string {
	if mode == "" {
		_, mode = StartMap(args)
	}
	out := []string{}
	for i := 0; i < len(args); i++ {
		switch strings.ToLower(args[i]) {
		case "+map", "+mp_gamemode":
			if i+1 < len(args) && !strings.HasPrefix(args[i+1], "+") && !strings.HasPrefix(args[i+1], "-") {
				i++
			}
			continue
		}
		out = append(out, args[i])
	}
	out = append(out, "+map", m)
	if mode != "" {
		out = append(out, "+mp_gamemode", mode)
	}
	return out
}
