# grayrelease: the two set-up commands are `make demo` and `make test`.
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
export GRAYRELEASE_CACHE ?= $(HOME)/.cache/grayrelease
export GRAYRELEASE_STATE ?= $(CURDIR)/.cache/state

.PHONY: demo-down venv deps build cluster-up cluster-down prometheus-up prometheus-down test unit e2e demo kind-up crds lint bench-detection bench-holds clean

$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	touch $@

venv: $(VENV)/.installed

deps:            ## system packages (Prometheus) from Debian
	bash hack/install-deps.sh

build:           ## etcd, kube-*, kubectl, kwok, helm from pinned Go modules (cached)
	bash hack/cluster/build.sh

cluster-up: build
	bash hack/cluster/up.sh

cluster-down:
	bash hack/cluster/down.sh

prometheus-up: deps
	bash hack/prometheus/up.sh

prometheus-down:
	bash hack/prometheus/down.sh

unit: venv
	bash hack/pytest.sh tests/unit

e2e: venv deps build
	bash hack/pytest.sh tests/e2e

lint: venv
	$(VENV)/bin/lint-imports

test: venv deps build   ## unit + e2e (e2e start the local control plane and Prometheus)
	$(VENV)/bin/lint-imports
	bash hack/pytest.sh tests/unit tests/e2e

demo: venv deps build   ## the local control plane, Prometheus, operator and simulator; a good and a bad release
	bash hack/demo/run.sh

demo-down:
	bash hack/demo/down.sh

kind-up:
	bash hack/kind/up.sh

crds: venv   ## regenerate the CRDs from the API models (and the chart's copy)
	$(PY) -m grayrelease.api.crdgen crds/
	cp crds/*.yaml charts/grayrelease/crds/

bench-detection: venv
	$(PY) -m bench.detection

bench-holds: venv   ## how often a marginal verdict would hold a release at a step's end, per corpus
	$(PY) -m bench.holds

clean:
	rm -rf $(VENV) .cache
