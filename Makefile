# Den's habits: make run, make test, make build, make gen, make lint.
SHELL := /bin/bash
export PATH := /usr/local/go/bin:$(HOME)/go/bin:$(PATH)

VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -s -w -X den/buildinfo.version=$(VERSION)
SQLC_VERSION := v1.31.1
STATICCHECK_VERSION := v0.8.2

.PHONY: all build run test deps gen lint fmt clean

all: build

## build: the static den binary in bin/den
build:
	CGO_ENABLED=0 go build -trimpath -ldflags "$(LDFLAGS)" -o bin/den ./cmd/den

## deps: install what is missing on this machine (Debian packages, Go modules)
deps:
	./scripts/deps.sh
	go mod download

## run: set up and run the server on its built-in PostgreSQL at 127.0.0.1:3000
run: deps build
	./scripts/install-cli.sh bin/den
	./bin/den server $(ARGS)

## test: formatting, vet, and every test with the race detector
test: deps
	./scripts/check-fmt.sh
	go vet ./...
	go test -race -timeout 30m ./...

## gen: regenerate the store's query code from store/queries (sqlc)
gen:
	@command -v sqlc >/dev/null || go install github.com/sqlc-dev/sqlc/cmd/sqlc@$(SQLC_VERSION)
	sqlc generate

## lint: gofmt, go vet and staticcheck
lint:
	./scripts/check-fmt.sh
	go vet ./...
	go run honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION) ./...

fmt:
	gofmt -w $$(git ls-files '*.go')

clean:
	rm -rf bin
