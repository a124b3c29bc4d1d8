package main

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/left4me/left4me/internal/doctor"
	"github.com/left4me/left4me/internal/hostaddr"
)

// envQueryHost names the host address the probe queries the server on
// (default: the host's primary address; the real server ignores A2S on
// loopback, docs/srcds.md §8).
const envQueryHost = "LEFT4ME_QUERY_HOST"

// errDoctorFailed makes the command exit 1 after printing its report.
var errDoctorFailed = errors.New("at least one check failed (see the lines marked fail)")

// runDoctor checks this host for what left4me needs (README, "Check a real
// host"); with --probe it also starts a temporary instance and checks it
// from outside.
func runDoctor(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlags(env)
	probe := fs.Bool("probe", false, "also create, start, check and delete a temporary instance on the real installation")
	asJSON := fs.Bool("json", false, "print the report as JSON")
	if _, _, err := parseFlags(fs, args, 0); err != nil {
		return err
	}
	cfg, err := env.config()
	if err != nil {
		return err
	}
	d := doctor.NewReal(doctor.Config{
		Root: cfg.Root, JournalNamespace: cfg.JournalNamespace,
		PortMin: cfg.PortMin, PortMax: cfg.PortMax,
		Listen: cfg.listen(),
	})
	defer d.Close()
	results := d.Run(ctx)
	if *probe {
		results = append(results, runProbe(ctx, cfg)...)
	}
	if *asJSON {
		err = doctor.WriteJSON(env.stdout, d.User(), results)
	} else {
		err = doctor.WriteText(env.stdout, d.User(), results)
	}
	if err != nil {
		return err
	}
	if doctor.Failed(results) {
		return errDoctorFailed
	}
	return nil
}

// runProbe runs the probe through the instance service the CLI uses.
func runProbe(ctx context.Context, cfg Config) []doctor.Result {
	refuse := func(found, fix string) []doctor.Result {
		return []doctor.Result{{Name: "probe-create", Status: doctor.Fail, Found: found, Fix: fix}}
	}
	if cfg.Supervisor != supervisorSystemd {
		return refuse("LEFT4ME_SUPERVISOR="+cfg.Supervisor+": the probe checks the systemd units", "run the probe with LEFT4ME_SUPERVISOR=systemd")
	}
	host, err := hostaddr.Resolve(envQueryHost, cfg.QueryHost)
	if err != nil {
		return refuse(err.Error(), "set "+envQueryHost+" to a non-loopback address of this host")
	}
	// The probe must not create a state root or database of its own.
	if _, err := os.Stat(cfg.DatabasePath); err != nil {
		return refuse(fmt.Sprintf("no database: %v", err), "install left4me and create an account first (README, \"Install on a host\")")
	}
	a, err := openApp(ctx, cfg)
	if err != nil {
		return refuse(err.Error(), "check the state root and DATABASE_URL")
	}
	defer a.Close(context.WithoutCancel(ctx))
	users, err := a.store.ListUsers(ctx)
	if err != nil {
		return refuse(err.Error(), "check the database")
	}
	var owner int64
	for _, u := range users {
		if owner == 0 || u.IsAdmin {
			owner = u.ID
		}
		if u.IsAdmin {
			break
		}
	}
	if owner == 0 {
		return refuse("no account exists to own the temporary instance", "left4me user create NAME --admin")
	}
	p := &doctor.Probe{
		Instances: a.svc, Logs: a.logs, Root: cfg.Root,
		OwnerID: owner, Host: host, Args: doctor.ProbeArgs,
	}
	return p.Run(ctx)
}
