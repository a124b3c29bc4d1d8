// Package e2e is left4me's real-systemd end-to-end harness.
//
// It builds the project, debootstraps a Debian bookworm rootfs once (cached
// under /var/tmp), boots a copy of it with systemd-nspawn, installs left4me
// as an operator does, with its Debian package ("make deb", then "apt-get
// install ./left4me_*.deb" in the guest, whose postinst runs the README's
// post-install step; LEFT4ME_E2E_INSTALL=make uses "make install DESTDIR=…"
// and that step by hand), and drives the lifecycle rules of docs/lifecycle.md
// through the shipped units, as user left4me through the project's CLI. The
// last group ("deb") upgrades the package under a running instance, removes
// and purges it. Each rule is a named subtest; measurements go to the test
// log and to artifacts/e2e-results.txt at the repository root.
//
// It runs as part of "make test" when it can (root, systemd-nspawn,
// debootstrap, make and dpkg-deb installed) and skips with the reason
// otherwise.
// LEFT4ME_E2E=0 skips it explicitly; LEFT4ME_E2E_MIRROR overrides the Debian
// mirror taken from the host's apt sources; LEFT4ME_E2E_KEEP=1 keeps the
// per-run rootfs copy for inspection.
package e2e
