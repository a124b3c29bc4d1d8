# left4me — build, test and install.
GO ?= go
PREFIX ?= /usr
DESTDIR ?=
SYSCONFDIR ?= /etc
# Where "make install" builds the binaries it installs (static, CGO off).
BUILDDIR ?= bin/install
# Linker flags of the installed binaries ("make deb" strips them: -s -w).
LDFLAGS ?=

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

.PHONY: all build test vet lint install install-bin install-data deb lint-deb dist

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
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BUILDDIR)/ ./cmd/left4me ./cmd/left4me-overlay
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
	install -D -m 0644 deploy/grafana/left4me-dashboard.json $(DATADIR)/grafana/left4me-dashboard.json
	install -d -m 0755 $(DATADIR)/examples/overlays
	install -m 0755 examples/overlays/*.sh $(DATADIR)/examples/overlays/
	test -e $(CONFDIR)/host.env || install -m 0644 deploy/etc/host.env $(CONFDIR)/host.env
	test -e $(CONFDIR)/web.env || install -m 0640 deploy/etc/web.env $(CONFDIR)/web.env
	test -e $(CONFDIR)/build-resolv.conf || install -m 0644 deploy/etc/build-resolv.conf $(CONFDIR)/build-resolv.conf

# The Debian package dist/left4me_VERSION_amd64.deb: "make install" into a
# staging directory, then deploy/debian/mkdeb.sh adds the documentation, the
# man pages, the maintainer scripts and the control files and runs dpkg-deb
# (deploy/debian/README.md). The packaged binaries are also left in bin/
# (bin/left4me runs the demo from anywhere). DEB_VERSION defaults to the Debian form of
# "git describe" (deploy/debian/version).
DEB_VERSION ?= $(shell deploy/debian/version)
DEB ?= dist/left4me_$(DEB_VERSION)_amd64.deb
DEBSTAGE = bin/deb

deb:
	rm -rf $(DEBSTAGE)
	GOOS=linux GOARCH=amd64 $(MAKE) install DESTDIR=$(abspath $(DEBSTAGE)) PREFIX=/usr SYSCONFDIR=/etc BUILDDIR=bin LDFLAGS='-s -w'
	GO=$(GO) deploy/debian/mkdeb.sh $(DEBSTAGE) $(DEB_VERSION) $(DEB)

# lintian on the package (deploy/debian/lintian-overrides says why each
# override is there).
lint-deb: deb
	lintian --fail-on error,warning $(DEB)

# Release binaries: left4me and the overlay helper, static (CGO off), for
# amd64 and arm64, and dist/SHA256SUMS over every file in dist/ ("make deb
# dist" puts the package in it too).
RELEASE ?= $(shell git describe --tags --always --dirty)
DIST_ARCHES = amd64 arm64

dist:
	for arch in $(DIST_ARCHES); do \
		CGO_ENABLED=0 GOOS=linux GOARCH=$$arch $(GO) build -trimpath -ldflags '-s -w' -o bin/dist-$$arch/ ./cmd/left4me ./cmd/left4me-overlay || exit 1; \
		install -D -m 0755 bin/dist-$$arch/left4me dist/left4me-$(RELEASE)-linux-$$arch; \
		install -D -m 0755 bin/dist-$$arch/left4me-overlay dist/left4me-overlay-$(RELEASE)-linux-$$arch; \
	done
	cd dist && rm -f SHA256SUMS && sha256sum $$(ls | grep -v '^SHA256SUMS$$') > SHA256SUMS.tmp && mv SHA256SUMS.tmp SHA256SUMS
