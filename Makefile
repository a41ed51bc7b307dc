# arbbot — every entry point. `make demo` and `make test` set everything up first.
SHELL := /bin/bash
.DEFAULT_GOAL := help

ROOT := $(abspath .)
CACHE := $(or $(ARBBOT_CACHE_DIR),$(or $(XDG_CACHE_HOME),$(HOME)/.cache)/arbbot)
export CARGO_TARGET_DIR ?= $(CACHE)/cargo-target
# The native solver crate is outside the workspace; its build directory is the one tools/native.sh uses.
NATIVE_TARGET_DIR := $(or $(ARBBOT_NATIVE_TARGET_DIR),$(CACHE)/cargo-target-native)
PY := $(ROOT)/.venv/bin/python
ARBBOT := $(ROOT)/.venv/bin/arbbot
FORGE := $(ROOT)/node_modules/.bin/forge
# CI raises fuzz and invariant runs (see foundry.toml's ci profile).
FOUNDRY_PROFILE ?= $(if $(CI),ci,default)
export FOUNDRY_PROFILE

.PHONY: help setup demo bench soak test fixtures build-data lint docs lock test-python test-contracts test-ape test-programs replica clean

help:
	@echo "make demo   set up, then run the whole loop on the local mainnet replica (arbbot demo)"
	@echo "make test   set up, then run every test (lint, forge, pytest, cargo)"
	@echo "make bench  run every benchmark and rewrite BENCHMARKS.md"
	@echo "make soak   soak the searcher behind a faulty node (0/10/30%, WebSocket and HTTP) into BENCHMARKS.md"
	@echo "make docs   build the API reference from the docstrings into docs/_build/html (warnings fail)"
	@echo "make setup  install everything (idempotent; fast on re-runs)"

setup:
	@bash tools/setup.sh

# The whole loop on the replica: executor, local builder, live searcher, seeded traffic, audit, report;
# then the Solana loop on the local node (built here, so the demo itself stays about a minute).
demo: setup
	@echo "[demo] building the local Solana node (cargo; incremental after the first time)"
	@cargo build --locked -q -p local-node
	@$(ARBBOT) demo

# degenbot 0.6 (the side-by-side baseline) imports only on Python 3.13, so it gets an environment of its
# own, used only by the benchmarks (pyenv's 3.13 if present, else python3.13 on PATH).
DEGENBOT_VENV := $(CACHE)/bench-degenbot-py313
DEGENBOT_BASE_PYTHON ?= $(or $(lastword $(wildcard $(HOME)/.pyenv/versions/3.13*/bin/python3.13)),python3.13)
bench: setup
	@[ -x $(DEGENBOT_VENV)/bin/python ] || $(CACHE)/tools/uv-0.13.9/bin/uv venv -q --python $(DEGENBOT_BASE_PYTHON) $(DEGENBOT_VENV)
	@VIRTUAL_ENV=$(DEGENBOT_VENV) $(CACHE)/tools/uv-0.13.9/bin/uv pip sync -q --require-hashes benchmarks/requirements-degenbot.lock
	ARBBOT_DEGENBOT_PYTHON=$(DEGENBOT_VENV)/bin/python $(PY) -m benchmarks.run

# 200 blocks per fault rate and transport, one block a second (about 30 minutes); tests/soak is its short form.
soak: setup
	$(PY) -m benchmarks.soak

replica: setup
	@$(ARBBOT) devnet build

lint: setup
	$(ROOT)/.venv/bin/ruff check arbbot tests benchmarks scripts
	$(ROOT)/.venv/bin/ruff format --check arbbot tests benchmarks scripts
	$(ROOT)/.venv/bin/mypy arbbot
	$(FORGE) fmt --check
	cargo fmt --all --check
	cd native/arbbot-native && cargo fmt --check
	cargo clippy --workspace --all-targets --locked -q -- -D warnings
	@# the native crate twice: its pure math with its tests, then the Python bindings (the extension module
	@# links no test binary, so the library alone)
	cd native/arbbot-native && CARGO_TARGET_DIR=$(NATIVE_TARGET_DIR) cargo clippy --all-targets --locked -q --no-default-features -- -D warnings
	cd native/arbbot-native && CARGO_TARGET_DIR=$(NATIVE_TARGET_DIR) PYO3_PYTHON=$(PY) cargo clippy --locked -q -- -D warnings

# The API reference (Sphinx autodoc over every module); any warning fails the build.
docs: setup
	@rm -rf docs/api
	$(ROOT)/.venv/bin/sphinx-build -W --keep-going -q -b html docs docs/_build/html
	@echo "[docs] docs/_build/html/index.html"

# requirements.lock from requirements.in (hashes pinned; the existing pins are kept where they still fit).
lock: setup
	$(CACHE)/tools/uv-0.13.9/bin/uv pip compile requirements.in -o requirements.lock --python-version 3.11 --generate-hashes -q

test-contracts: setup
	@# sizes of the deployable contracts only (test harnesses may exceed EIP-170; they never deploy on a chain)
	$(FORGE) build --sizes --skip test >/dev/null
	$(FORGE) test

test-python: setup
	$(ROOT)/.venv/bin/pytest -q

# ape-solidity compiles the contracts through the same shim (proves no compiler download is attempted).
test-ape: setup
	$(ROOT)/.venv/bin/ape compile --force

# solana-program-test logs every instruction at DEBUG unless RUST_LOG says otherwise.
test-programs:
	RUST_LOG=$${RUST_LOG:-error} cargo test --workspace --locked --lib --tests
	cd native/arbbot-native && CARGO_TARGET_DIR=$(NATIVE_TARGET_DIR) cargo test --locked --no-default-features

# The committed IDL and instruction vectors, rewritten from the program after an interface change (a
# test run only compares them).
fixtures:
	RUST_LOG=error cargo test --locked -p arb-executor --test idl --test ix_vectors -- --ignored regenerate
	$(PY) -m arbbot.devnet.export

# The compiled readers and executor and the Solana IDL the package ships (arbbot/_build), rewritten after
# a contract or IDL change (a test run only compares them).
build-data: setup
	$(PY) -m arbbot.devnet.export

# pytest last: its summary line closes the run.
test: lint docs test-contracts test-ape test-programs test-python

clean:
	rm -rf contracts/out contracts/cache contracts/artifacts .build .pytest_cache .ruff_cache .mypy_cache .hypothesis
