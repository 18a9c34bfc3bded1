# The README's two commands are `make demo` and `make test`. Each builds or
# repairs .venv (tools/setup_env.py: a no-op when it is current), then runs.
SHELL := /bin/bash
PY := .venv/bin/python
SETUP := python3 tools/setup_env.py
# Test runs are bounded per test so a hang fails clearly instead of eating CI,
# and print the 30 slowest tests (where the suite's time goes).
PYTEST_ARGS ?= -q --timeout=900 --durations=30
TESTS ?= tests
DEMO_IMAGE ?= demo/resources/coco_000000000785.jpg
DEMO_OUT ?= vis_results

.PHONY: help venv test demo docs lint relock clean

help:
	@echo "make test   build/repair .venv, then run the test suite"
	@echo "make demo   build/repair .venv, then run the pose demo on a bundled image"
	@echo "make docs   build the documentation site into docs/_build/html"
	@echo "make lint   flake8 + isort --check"

venv:
	@$(SETUP)

test: venv
	@$(PY) -m pytest $(PYTEST_ARGS) $(TESTS); rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "make test: pytest collected no tests: failing" >&2; exit 1; fi; \
	exit $$rc

demo: venv
	@$(PY) demo/topdown_demo_with_mmdet.py --input $(DEMO_IMAGE) \
		--output-root $(DEMO_OUT) --save-predictions
	@echo "demo outputs in $(DEMO_OUT)/"

docs: venv
	@$(PY) -m sphinx -W --keep-going -b html docs docs/_build/html
	@echo "docs built in docs/_build/html/index.html"

lint: venv
	@$(PY) -m flake8 projects tools demo tests configs
	@$(PY) -m isort --check-only --diff projects tools demo tests
	@$(PY) -m yapf --diff --recursive projects tools demo tests configs

relock:
	@$(SETUP) --relock

clean:
	rm -rf build dist *.egg-info projects/*.egg-info .pytest_cache docs/_build
