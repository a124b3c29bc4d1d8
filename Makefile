# left4me — build, test and install.
GO ?= go
PREFIX ?= /usr
DESTDIR ?=
SYSCONFDIR ?= /etc
# Where "make install" builds the binaries it installs (static, CGO off).
BUILDDIR ?= bin/install

BINDIR      = $(DESTDIR)$(PREFIX)/bin
LIBEXECDIR  = $(DESTDIR)$(PREFIX)/libexec/left4me
UNITDIR     = $(DESTDIR)$(PREFIX)/lib/systemd/system
JOURNALDDIR = $(DESTDIR)$(PREFIX)/lib/systemd/journald@left4me.conf.d
SYNCDROPIN  = $(UNITDIR)/systemd-journald-sync@left4me.service.d
POLKITDIR   = $(DESTDIR)$(PREFIX)/share/polkit-1/rules.d
SYSUSERSDIR = $(DESTDIR)$(PREFIX)/lib/sysusers.d
TMPFILESDIR = $(DESTDIR)$(PREFIX)/lib/tmpfiles.d
SYSCTLDIR   = $(DESTDIR)$(PREFIX)/lib/sysctl.d
CONFDIR     = $(DESTDIR)$(SYSCONFDIR)/left4me
DATADIR     = $(DESTDIR)$(PREFIX)/share/left4me

UNITS = left4me-server@.service left4me-web.service left4me-build@.service \
	left4me-steamcmd@.service left4me-autostart.service l4d2-game.slice l4d2-build.slice

.PHONY: all build test vet lint install install-bin install-data

all: build

build:
	$(GO) build -o bin/ ./cmd/...

vet:
	$(GO) vet ./...
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); echo 'gofmt: files above need formatting'; exit 1; }

# staticcheck at a fixed version, fetched through the Go module proxy by
# "go run" (nothing to install beforehand; cached after the first run).
STATICCHECK = honnef.co/go/tools/cmd/staticcheck@v0.8.2

lint:
	$(GO) run $(STATICCHECK) ./...

# The README's test command. Root-only tests (overlay mounts, the systemd
# harness) skip with a reason when they cannot run; testsummary prints the
# package lines and failures as go test does, then the totals and every
# skipped test with its reason, and exits with go test's status.
test: vet lint
	$(GO) run ./internal/tools/testsummary -- $(GO) test -json -count=1 -timeout 60m ./...

# Install everything a host needs under DESTDIR (see README, "Install on a
# host", for the post-install step that runs on the target). Existing
# /etc/left4me/*.env files are kept. The units name /usr/bin/left4me and
# /usr/libexec/left4me/left4me-overlay, and polkit reads rules only from
# /usr/share and /etc: keep PREFIX=/usr for a working host.
install: install-bin install-data

install-bin:
	CGO_ENABLED=0 $(GO) build -trimpath -o $(BUILDDIR)/ ./cmd/left4me ./cmd/left4me-overlay
	install -d -m 0755 $(BINDIR) $(LIBEXECDIR)
	install -m 0755 $(BUILDDIR)/left4me $(BINDIR)/left4me
	install -m 0755 $(BUILDDIR)/left4me-overlay $(LIBEXECDIR)/left4me-overlay

install-data:
	install -d -m 0755 $(UNITDIR) $(SYNCDROPIN) $(JOURNALDDIR) $(POLKITDIR) $(SYSUSERSDIR) $(TMPFILESDIR) $(SYSCTLDIR) $(CONFDIR) $(DATADIR)/nftables
	for u in $(UNITS); do install -m 0644 deploy/systemd/$$u $(UNITDIR)/$$u || exit 1; done
	install -m 0644 deploy/systemd/journald@left4me.conf $(JOURNALDDIR)/left4me.conf
	install -m 0644 deploy/systemd/systemd-journald-sync@left4me.service.d/left4me.conf $(SYNCDROPIN)/left4me.conf
	install -m 0644 deploy/polkit/50-left4me.rules $(POLKITDIR)/50-left4me.rules
	install -m 0644 deploy/sysusers.d/left4me.conf $(SYSUSERSDIR)/left4me.conf
	install -m 0644 deploy/tmpfiles.d/left4me.conf $(TMPFILESDIR)/left4me.conf
	install -m 0644 deploy/sysctl.d/60-left4me.conf $(SYSCTLDIR)/60-left4me.conf
	install -m 0644 deploy/nftables/left4me-qos.nft $(DATADIR)/nftables/left4me-qos.nft
	test -e $(CONFDIR)/host.env || install -m 0644 deploy/etc/host.env $(CONFDIR)/host.env
	test -e $(CONFDIR)/web.env || install -m 0640 deploy/etc/web.env $(CONFDIR)/web.env
	test -e $(CONFDIR)/build-resolv.conf || install -m 0644 deploy/etc/build-resolv.conf $(CONFDIR)/build-resolv.conf
