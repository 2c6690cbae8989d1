# iop-metrics: `make report` then `make test` on a fresh machine with Python 3.11+.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
DB     := data/iop.duckdb
STAMP  := $(VENV)/.installed
# axe-core, which the accessibility tests run inside headless Chromium (npm, pinned by the lock)
AXE    := node_modules/axe-core/axe.min.js
# pytest-xdist workers for make test: auto = one per core, JOBS=0 runs the tests in-process
JOBS   ?= auto

.DEFAULT_GOAL := help
.PHONY: help install sysdeps sample db report test lint typecheck bench lab docs clean spark test-spark bench-spark

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F ':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

# One lock, two installers: uv when it is on PATH (or can be bootstrapped into the venv with
# pip, which is still faster end to end than pip alone), plain pip otherwise (NO_UV=1 forces it).
# Bytecode is compiled at install, as pip does by default (uv does not): where
# PYTHONDONTWRITEBYTECODE is set, every kernel, worker and command would otherwise compile
# altair, pandas and the package from source on each start (~1.3 s for a report's imports).
$(STAMP): pyproject.toml requirements.lock
	@if [ -z "$(NO_UV)" ] && command -v uv >/dev/null 2>&1; then \
	  echo "installing with uv ($$(command -v uv))"; \
	  uv venv --quiet --allow-existing --python $(PYTHON) $(VENV) && \
	  uv pip install --quiet --compile-bytecode --python $(BIN)/python -r requirements.lock && \
	  uv pip install --quiet --python $(BIN)/python --no-deps -e . ; \
	else \
	  $(PYTHON) -m venv $(VENV) && \
	  if [ -z "$(NO_UV)" ] && $(BIN)/python -m pip install --quiet --disable-pip-version-check uv; then \
	    echo "installing with uv (bootstrapped into $(VENV) by pip)"; \
	    $(BIN)/uv pip install --quiet --compile-bytecode --python $(BIN)/python -r requirements.lock && \
	    $(BIN)/uv pip install --quiet --python $(BIN)/python --no-deps -e . ; \
	  else \
	    echo "installing with pip"; \
	    $(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.lock && \
	    $(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e . ; \
	  fi; \
	fi
	$(BIN)/python -m compileall -q -j 0 iop_metrics >/dev/null
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 --display-name "iop-metrics (python3)" >/dev/null
	touch $(STAMP)

install: $(STAMP) $(AXE) ## create .venv and install the package with its locked dependencies

$(AXE): package.json package-lock.json
	@if command -v npm >/dev/null 2>&1; then \
	  npm ci --no-audit --no-fund --loglevel=error && touch $(AXE); \
	else echo "npm not found: the accessibility tests need axe-core (apt-get install -y npm; make install)"; fi

sample: $(STAMP) ## regenerate the committed synthetic records in data/sample
	$(BIN)/iop-metrics sample --out data/sample

# db.py holds SCHEMA_VERSION: after a pull that raises it, make reloads the sample database
# instead of every command refusing the old one (exit 2, "load it again")
$(DB): $(STAMP) $(wildcard data/sample/*.csv) iop_metrics/db.py
	$(BIN)/iop-metrics load data/sample --db $(DB)

db: $(DB) ## build data/iop.duckdb from data/sample

report: $(DB) ## render the latest complete sample month into reports/<YYYY-MM>/ (Chromium via apt if it can, for the PDF)
	@sh .ci/sysdeps report
	$(BIN)/iop-metrics report --db $(DB) --out reports --program-name "Sample program"

# Chromium, pdftoppm and npm: installed via apt when it can (root or passwordless sudo), else
# make test stops here, before anything else runs, naming the one command (.ci/sysdeps).
sysdeps: ## install the system packages the tests need (chromium poppler-utils npm) via apt
	@sh .ci/sysdeps test

test: sysdeps $(STAMP) $(AXE) ## lint, type-check and run every test (unit, golden, property, notebook, browser)
	$(BIN)/ruff check iop_metrics tests bench
	$(BIN)/ruff format --check iop_metrics tests bench
	$(BIN)/mypy -n auto
	$(BIN)/pytest -q -n $(JOBS) --dist loadgroup

spark: $(STAMP) ## add the Spark engine to .venv (requirements-spark.lock; Java 17 via apt if none)
	@if [ -z "$$JAVA_HOME" ] && ! command -v java >/dev/null; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "no Java found: installing openjdk-17-jre-headless"; \
	    mkdir -p /usr/share/man/man1 && \
	    DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openjdk-17-jre-headless >/dev/null; \
	  else echo "Spark needs Java 17 or 21: install one (or set JAVA_HOME) and rerun"; exit 1; fi; \
	fi
	@if [ -z "$(NO_UV)" ] && command -v uv >/dev/null 2>&1; \
	then uv pip install --quiet --python $(BIN)/python -r requirements-spark.lock; \
	elif [ -z "$(NO_UV)" ] && [ -x $(BIN)/uv ]; \
	then $(BIN)/uv pip install --quiet --python $(BIN)/python -r requirements-spark.lock; \
	else $(BIN)/python -m pip install --quiet -r requirements-spark.lock; fi

test-spark: spark ## Spark-vs-DuckDB parity tests (every query, document, metrics.json)
	$(BIN)/pytest -q -m spark tests/test_spark.py

lint: $(STAMP) ## ruff lint and format check only
	$(BIN)/ruff check iop_metrics tests bench
	$(BIN)/ruff format --check iop_metrics tests bench

bench: $(STAMP) ## the sample report cold and warm, ~1M and ~10M beside peers/floors, the 10M network run (BENCH_ARGS="--sizes 1M --run-size 1M --no-fresh"), EHR and FHIR imports, the sites comparison, the outcomes key and the recovery keys at ~10M, the sample's July joint suppression plan
	$(BIN)/python bench/run.py $(BENCH_ARGS)
	$(BIN)/python bench/import_export.py
	$(BIN)/python bench/fhir.py
	$(BIN)/python bench/sites.py
	$(BIN)/python bench/outcomes.py
	$(BIN)/python bench/recovery.py
	$(BIN)/python bench/plan.py

bench-spark: spark ## one month's document on DuckDB and on local Spark, ~1M and ~10M sessions
	$(BIN)/python bench/spark.py

lab: $(STAMP) $(DB) ## start JupyterLab on notebooks/ with the project's kernel
	$(BIN)/jupyter lab --notebook-dir=notebooks $(if $(filter 0,$(shell id -u)),--allow-root)

clean: ## remove the venv, the database and generated reports
	rm -rf $(VENV) $(DB) reports/*/ node_modules

docs: $(STAMP) ## regenerate docs/metrics.md from the metric dictionary
	$(BIN)/python -c "from iop_metrics.dictionary import markdown; open('docs/metrics.md', 'w').write(markdown())"
