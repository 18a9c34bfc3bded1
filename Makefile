# The README's two commands are `make demo` and `make test`. Each builds or
# repairs .venv (tools/setup_env.py: a no-op when it is current), then runs.
SHELL := /bin/bash
PY := .venv/bin/python
SETUP := python3 tools/setup_env.py
# Test runs are bounded per test so a hang fails clearly instead of eating CI,
# and print the 30 slowest tests (where the suite's time goes).
PYTEST_ARGS ?= -q --timeout=900 --durations=30
TESTS ?= tests
# The tests run on two worker processes (pytest-xdist, a test file at a
# time: a module's fixtures are built once, and a docs page's blocks run in
# order), then the tests that measure time or memory (marked `serial`) run
# alone.
# `make test XDIST=` runs everything in one process.
XDIST ?= -n 2 --dist loadfile
DEMO_IMAGE ?= demo/resources/coco_000000000785.jpg
DEMO_OUT ?= vis_results

.PHONY: help venv test test-fast demo docs lint relock clean

help:
	@echo "make test       build/repair .venv, then run the whole test suite"
	@echo "make test-fast  the same without the tests marked slow (inner loop)"
	@echo "make demo       build/repair .venv, then run the pose demo on a bundled image"
	@echo "make docs       build the documentation site into docs/_build/html"
	@echo "make lint       flake8 + isort --check"

venv:
	@$(SETUP)

# $(call run_tests,MARKS): the parallel phase, then the serial one; pytest's
# status 5 (nothing selected) is fine in one phase, a failure in both.
define run_tests
	@$(PY) -m pytest $(PYTEST_ARGS) $(XDIST) -m "$(1)not serial" $(TESTS); a=$$?; \
	$(PY) -m pytest $(PYTEST_ARGS) -p no:xdist -m "$(1)serial" $(TESTS); b=$$?; \
	for rc in $$a $$b; do \
		if [ $$rc -ne 0 ] && [ $$rc -ne 5 ]; then exit $$rc; fi; \
	done; \
	if [ $$a -eq 5 ] && [ $$b -eq 5 ]; then \
		echo "make test: pytest collected no tests: failing" >&2; exit 1; fi
endef

test: venv
	$(call run_tests,)

test-fast: venv
	$(call run_tests,not slow and )

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
