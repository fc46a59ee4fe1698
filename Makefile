# Den's habits: make run, make test, make build, make gen, make lint.
SHELL := /bin/bash
export PATH := /usr/local/go/bin:$(HOME)/go/bin:$(PATH)

VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -s -w -X den/buildinfo.version=$(VERSION)
SQLC_VERSION := v1.31.1
STATICCHECK_VERSION := v0.8.2

.PHONY: all build web run test bench deps gen lint fmt clean

all: build

## build: the static den binary in bin/den, with the dashboard built into it
build: web
	CGO_ENABLED=0 go build -trimpath -ldflags "$(LDFLAGS)" -o bin/den ./cmd/den

## web: the dashboard (web/, React + Vite) into site/dist/app, for embedding
web:
	./scripts/web.sh

## deps: install what is missing on this machine (Debian packages, Go modules)
deps:
	./scripts/deps.sh
	go mod download

## run: set up and run the server on its built-in PostgreSQL at 127.0.0.1:3000,
## with a Docker engine and the Debian workspace image of the starter template
run: deps build
	./scripts/install-cli.sh bin/den
	export DOCKER_HOST=$$(./scripts/docker-engine.sh) && ./scripts/build-image.sh && \
		echo "Docker engine: $$DOCKER_HOST" && ./bin/den server $(ARGS)

## test: formatting, vet, the dashboard's component tests and build, and every
## Go test with the race detector, on a real PostgreSQL, a real Docker engine
## (both started here when missing) and headless Chromium
test:
	./scripts/deps.sh test
	go mod download
	./scripts/check-fmt.sh
	go vet ./...
	./scripts/web.sh test
	export DOCKER_HOST=$$(./scripts/docker-engine.sh) DEN_BROWSER_TESTS=1 && go test -race -timeout 45m ./...

## bench: the benchmark suite (bench/): every benchmark once, beside baselines
## measured in the same run; prints a table, writes .cache/bench.json and the
## summary at the top of BENCHMARKS.md (`go run ./bench -full`: more workspaces and bytes, three runs)
bench: deps
	./scripts/deps.sh bench
	mkdir -p .cache
	export DOCKER_HOST=$$(./scripts/docker-engine.sh) && ./scripts/build-image.sh && \
		go run ./bench -update BENCHMARKS.md -json .cache/bench.json

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
