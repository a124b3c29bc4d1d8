# left4me — build, test and install.
GO ?= go
PREFIX ?= /usr
DESTDIR ?=

.PHONY: all build test vet

all: build

build:
	$(GO) build -o bin/ ./cmd/...

vet:
	$(GO) vet ./...
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); echo 'gofmt: files above need formatting'; exit 1; }

# The README's test command. Root-only tests (overlay mounts, the systemd
# harness) skip with a reason when they cannot run.
test: vet
	$(GO) test -count=1 -timeout 60m ./...
