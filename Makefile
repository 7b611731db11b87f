# The README's commands. `make test` is what CI runs (.ci/run).
SHELL := /bin/bash
export CHECKPOINT_DISABLE := 1
# Offline provider mirror when the machine has one, the public registry otherwise.
export TF_CLI_CONFIG_FILE := $(CURDIR)/tf/$(if $(wildcard /opt/tf-plugins/registry.terraform.io),mirror,registry).tfrc

.PHONY: help setup synth test check static suites demo teardown test-fast test-host test-e2e
.DEFAULT_GOAL := help

## List the targets and what each does (each command's own options: npm run NAME -- --help).
help:
	@awk '/^## / { doc = doc (doc == "" ? "" : "\n                ") substr($$0, 4); next } \
	  /^[a-z][a-z0-9-]*:/ && doc != "" { printf "make %-10s %s\n", substr($$1, 1, length($$1) - 1), doc } \
	  { doc = "" }' $(firstword $(MAKEFILE_LIST))

## Install what the project needs on this machine when it is missing (the other targets run it first).
setup:
	@scripts/setup.sh

## Synthesize every stack of the fleet (CLOUDRIM_CONFIG=fleet.json to use your own).
synth: setup
	npx cdktf synth

## The main job: the default fleet on a local AWS (moto), deployed, summarized, re-planned.
demo: setup
	npm run --silent demo

## Destroy what `make demo` deployed and stop the local AWS it started.
teardown: setup
	npm run --silent teardown

## Static checks: types, lint (layer boundaries included), formatting, Markdown structure, the docs (links and the
## sections they name resolve; every command of the README's table is one with its own --help), and the code layout against
## tools/layout.json and docs/architecture.md.
check: setup static

# What eslint and prettier look at (every file by default; a test of the checks job narrows it).
LINT_PATHS ?= .

static:
	npx tsc --noEmit
	npx eslint $(LINT_PATHS)
	npx prettier --check $(LINT_PATHS)
	npx markdownlint-cli2
	node --import tsx tools/check-docs.ts
	node --import tsx tools/check-layout.ts

## Everything: the static checks beside every jest suite (they use the CPU while the end-to-end suite waits on
## the local AWS, and yield it to the scenarios, which set the run's length), closing with one "N passed, N failed"
## line; either failing fails it.
test: setup
	@mkdir -p .local
	@nice -n 10 $(MAKE) --no-print-directory static > .local/static-checks.log 2>&1 & checks=$$!; \
	  $(MAKE) --no-print-directory suites; suites=$$?; \
	  wait $$checks; static=$$?; \
	  cat .local/static-checks.log; \
	  if [ $$static -ne 0 ]; then echo "static checks failed (above)" >&2; fi; \
	  exit $$(( suites != 0 || static != 0 ))

suites:
	$(call jest,)

## What needs no root and no local AWS: static checks, unit, integration and synth tests (terraform validate included).
test-fast: check
	$(call jest,--selectProjects unit integration synth)

## The host suite: real runit and haproxy; it creates the service user, so it needs root (sudo make test-host).
test-host: setup
	$(call jest,--selectProjects host)

## The end-to-end suite on a private local AWS (python3 must see moto).
test-e2e: setup
	$(call jest,--selectProjects e2e)

# Runs jest with the given arguments (JEST_SELECT: test files to run, all by default) and closes with one line;
# a skipped test fails the run.
define jest
	@mkdir -p .local
	npx jest --ci $(JEST_SELECT) $(1) --json --outputFile=.local/jest-results.json
	@node -e 'const r = require("./.local/jest-results.json"); console.log(`jest: $${r.numPassedTests} passed, $${r.numFailedTests} failed, $${r.numPendingTests} skipped`); if (r.numPendingTests > 0) { console.error("a skipped test is a failing test that hides"); process.exit(1); }'
endef
