# Platform Ops Warehouse. `make demo` and `make test` are all a new user needs.
SHELL := /bin/bash
PY := .venv/bin/python
export UV_PYTHON_DOWNLOADS := never

.PHONY: setup demo test lint unit e2e bench reliability reliability-long screenshots clean

UV_VERSION := 0.13.9
UV := .tools/bin/uv

# Build .venv from the committed lock (idempotent; only the package registries are reached).
# uv itself is bootstrapped, pinned, into .tools/ so nothing is installed outside the clone.
setup: .venv/.synced
$(UV):
	python3.11 -m venv .tools
	.tools/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)
.venv/.synced: pyproject.toml uv.lock $(UV)
	$(UV) sync --locked --python python3.11 --compile-bytecode --quiet
	@touch $@

demo: setup
	.venv/bin/opswh demo

lint: setup
	.venv/bin/ruff check include tests bench dags
	.venv/bin/ruff format --check include tests bench dags
	cd dbt_project && OPSWH_WAREHOUSE=$$(mktemp -d)/sqlfluff.duckdb ../.venv/bin/sqlfluff lint models tests --nocolor

unit: setup
	$(PY) -m pytest -q -m "not e2e and not reliability"

# The reliability suite (part of `make test`): kill loops, landing orders, hostile landings, readers.
# Both print their figures; the long profile takes hours, not minutes.
reliability: setup
	$(PY) -m pytest -q tests/reliability
reliability-long: setup
	OPSWH_RELIABILITY=long $(PY) -m pytest -q tests/reliability

# Two workers (the machines this runs on have two cores; a dbt build keeps about one busy), a test
# module per worker at a time, so a module's fixtures are built once.
test: setup lint
	$(PY) -m pytest -q -n 2 --dist loadscope

# PNGs of every dashboard page (docs/screenshots/, shown in the README) from the published snapshot
# of the data directory (`make demo` first).
screenshots: setup
	$(PY) -m opswh.dashboard.screenshots

bench: setup
	$(PY) bench/bench_ingest.py
	$(PY) bench/bench_run.py

clean:
	rm -rf data .venv .tools
