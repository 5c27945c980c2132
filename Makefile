# The two commands: `make run` (the whole system, local defaults) and `make test`.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python

.PHONY: run test bench soak bootstrap prompts lint stop

bootstrap:
	scripts/bootstrap.sh

run: bootstrap
	scripts/run-local.sh

test: bootstrap
	scripts/postgres-dev.sh start >/dev/null
	scripts/provision-asterisk.sh >/dev/null
	$(VENV)/bin/mypy --strict samad_ivr
	$(VENV)/bin/ruff check .
	$(VENV)/bin/pytest -q

# Benchmarks (issue 5): JSON in benchmarks/results/, table in docs/performance.md.
bench: bootstrap
	scripts/postgres-dev.sh start >/dev/null
	scripts/provision-asterisk.sh >/dev/null
	$(VENV)/bin/python -m benchmarks

# The soak (issue 14): ~300 calls through real Asterisk over 6 minutes while samad-ivr is
# SIGKILLed, PostgreSQL restarted, Kannel stopped and the AMI cut; then the accounting
# (printed, and JSON in benchmarks/results/soak-*.json). Its own PostgreSQL, Kannel and
# Asterisk (instance `soak`); exits non-zero when anything was lost.
soak: bootstrap
	scripts/provision-asterisk.sh >/dev/null
	$(PY) -m benchmarks.soak

prompts: bootstrap
	$(PY) -m samad_ivr prompts

stop:
	-scripts/asterisk-dev.sh stop
	-scripts/kannel-dev.sh stop
	-scripts/postgres-dev.sh stop
