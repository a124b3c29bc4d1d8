// Package doctor checks a real host for what left4me needs and explains
// each finding: "left4me doctor" (and, with --probe, a temporary instance
// started on the real installation and verified from outside).
//
// Every check is a method of Doctor that asks the machine through a small
// interface (the unit reader, the command runner, the test mounter, ...),
// so tests run each check against fakes and a temporary directory standing
// for "/".
package doctor

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"github.com/left4me/left4me/internal/layout"
)

// Status is a check's verdict.
type Status string

// The verdicts. Skip is for a check this user cannot make at all (the line
// says who can); only Fail makes the command exit non-zero.
const (
	OK   Status = "ok"
	Warn Status = "warn"
	Fail Status = "fail"
	Skip Status = "skip"
)

// Result is one check's line.
type Result struct {
	Name   string `json:"name"`
	Status Status `json:"status"`
	// Found says what was found, in one line.
	Found string `json:"found"`
	// Fix says what to do when Status is not OK.
	Fix string `json:"fix,omitempty"`
	// Unchecked names what this user could not check (and who can).
	Unchecked string `json:"unchecked,omitempty"`
}

func ok(name, found string) Result { return Result{Name: name, Status: OK, Found: found} }

func warn(name, found, fix string) Result {
	return Result{Name: name, Status: Warn, Found: found, Fix: fix}
}

func fail(name, found, fix string) Result {
	return Result{Name: name, Status: Fail, Found: found, Fix: fix}
}

// ServiceUser is the account that runs the panel and the servers
// (deploy/sysusers.d/left4me.conf).
const ServiceUser = "left4me"

// DefaultHelper is where the privileged overlay helper is installed.
const DefaultHelper = "/usr/libexec/left4me/left4me-overlay"

// ProbeUnitName is the instance name of the template units the checks load
// (never started): left4me-server@doctor-probe.service and friends.
const ProbeUnitName = "doctor-probe"

// Config is what the checks compare the host against.
type Config struct {
	Root             layout.Root // LEFT4ME_ROOT
	JournalNamespace string      // LEFT4ME_JOURNAL_NAMESPACE; "" is "left4me"
	PortMin, PortMax int         // LEFT4ME_PORT_RANGE_START/END
	Listen           string      // LEFT4ME_LISTEN, where the web unit listens
	// Helper is the overlay helper's path; "" is DefaultHelper.
	Helper string
	// SysRoot stands for "/" when reading system files (/proc, /usr/lib32,
	// /etc/sysctl.d, dpkg's status); "" is "/". Tests point it at a
	// temporary directory.
	SysRoot string
}

// Account is a user as the checks need it.
type Account struct {
	Name     string
	UID, GID int
	Groups   []int
	Home     string
}

// Identity is who runs the doctor and who the service user is.
type Identity struct {
	EUID int
	// Service is the service user; ServiceErr says why it is unknown.
	Service    Account
	ServiceErr error
}

func (id Identity) root() bool    { return id.EUID == 0 }
func (id Identity) service() bool { return id.ServiceErr == nil && id.EUID == id.Service.UID }

// who names the running user for messages.
func (id Identity) who() string {
	switch {
	case id.root():
		return "root"
	case id.service():
		return id.Service.Name
	}
	return fmt.Sprintf("uid %d", id.EUID)
}

// Doctor runs the checks. Every field but Config and Identity is a way to
// ask the machine; the command builds the real ones (NewReal), tests fakes.
type Doctor struct {
	Config   Config
	Identity Identity

	Units   UnitReader
	Cmd     CommandRunner
	Mounter TestMounter
	Sockets SocketLister
	Reflink Reflinker
	HTTP    *http.Client
}

// sys returns path below SysRoot.
func (d *Doctor) sys(path string) string {
	if d.Config.SysRoot == "" || d.Config.SysRoot == "/" {
		return path
	}
	return filepath.Join(d.Config.SysRoot, path)
}

func (d *Doctor) namespace() string {
	if d.Config.JournalNamespace == "" {
		return ServiceUser
	}
	return d.Config.JournalNamespace
}

func (d *Doctor) helper() string {
	if d.Config.Helper == "" {
		return DefaultHelper
	}
	return d.Config.Helper
}

// CheckNames lists the host checks in the order Run makes them.
var CheckNames = []string{
	"kernel-overlay", "state-root", "helper", "units", "polkit", "journal",
	"runtime32", "steamclient", "installation", "ports", "systemd", "sysctl", "resolver", "web",
}

// Run makes every host check in order and returns their lines.
func (d *Doctor) Run(ctx context.Context) []Result {
	checks := []func(context.Context) Result{
		d.CheckKernel, d.CheckStateRoot, d.CheckHelper, d.CheckUnits, d.CheckPolkit, d.CheckJournal,
		d.CheckRuntime32, d.CheckSteamClient, d.CheckInstallation, d.CheckPorts, d.CheckSystemd, d.CheckSysctl, d.CheckResolver, d.CheckWeb,
	}
	out := make([]Result, 0, len(checks))
	for _, c := range checks {
		if ctx.Err() != nil {
			break
		}
		out = append(out, c(ctx))
	}
	return out
}

// Failed reports whether any result failed.
func Failed(rs []Result) bool {
	for _, r := range rs {
		if r.Status == Fail {
			return true
		}
	}
	return false
}

// Report is the JSON document of --json.
type Report struct {
	User   string   `json:"user"`
	Checks []Result `json:"checks"`
	Failed bool     `json:"failed"`
}

// WriteJSON writes rs as a Report.
func WriteJSON(w io.Writer, user string, rs []Result) error {
	if rs == nil {
		rs = []Result{}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(Report{User: user, Checks: rs, Failed: Failed(rs)}); err != nil {
		return fmt.Errorf("write the doctor's report: %w", err)
	}
	return nil
}

// WriteText writes one line per result: status, name, what was found and,
// when not ok, the fix; then what this user could not check.
func WriteText(w io.Writer, user string, rs []Result) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, r := range rs {
		line := oneLine(r.Found)
		if r.Fix != "" && r.Status != OK {
			line += " — fix: " + oneLine(r.Fix)
		}
		if r.Unchecked != "" {
			line += " (not checked as " + user + ": " + oneLine(r.Unchecked) + ")"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\n", r.Status, r.Name, line)
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("write the doctor's report: %w", err)
	}
	return nil
}

// oneLine keeps a message on one line.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// User returns the name the report gives the running user.
func (d *Doctor) User() string { return d.Identity.who() }
