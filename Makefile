# ftsan: find thread-safety bugs of scientific Python packages in free-threaded CPython.
# Every target installs what it needs; toolchains are cached outside the checkout.

PY       ?= 3.13.15
SAN      ?= tsan
NUMPY    ?= 2.2.5
PACKAGES ?=
export PY SAN NUMPY NUMPY_SRC SRC PYDEBUG PACKAGES PY_SRC PYTHON

.PHONY: toolchain deps test test-unit test-py test-toolchain test-e2e

deps:
	@bash toolchain/deps.sh

# Builds what is missing and prints the interpreter's path (its toolchain.json beside bin/).
toolchain:
	@python3 -m ftsan toolchain

# The end-to-end and toolchain tests are pytest's (tests/e2e, tests/toolchain), run by the system
# Python in one session, so its closing line counts them all. PYTEST_ARGS: e.g. -k dlpack, -x.
test: test-unit test-fuzz test-py

# Unit tests: the modules that need no interpreter, built with ASan and UBSan, one binary per
# tests/unit/test_<module>.c.
UNIT_CC      := clang-19
UNIT_CFLAGS  := -std=gnu11 -D_GNU_SOURCE -g -O1 -fno-omit-frame-pointer -fsanitize=address,undefined \
                -fno-sanitize-recover=all -Wall -Wextra -Iharness
# HOST_SRCS: the modules that need no interpreter (everything but the embedded one, the
# commands' pipelines and the command table that names them): the unit tests, the fuzzers and
# scntool link these. test_cli adds the command table, with stand-ins for the pipelines.
HOST_SRCS    := $(filter-out harness/main.c harness/drv.c harness/cli.c harness/py%.c,$(wildcard harness/*.c))
UNIT_TESTS   := $(patsubst tests/unit/%.c,build/unit/%,$(wildcard tests/unit/test_*.c))

build/unit/%: tests/unit/%.c $(HOST_SRCS) harness/cli.c $(wildcard harness/*.h)
	@mkdir -p $(@D)
	$(UNIT_CC) $(UNIT_CFLAGS) -o $@ $< $(HOST_SRCS) $(if $(filter test_cli,$*),harness/cli.c) -lyaml -ljansson -lcmocka

# The scenario tool of the build scripts and the Python tools (toolchain/scntool.sh builds it).
SCNTOOL_CC ?= clang-19
build/host/scntool: harness/tools/scntool.c $(HOST_SRCS) $(wildcard harness/*.h)
	@mkdir -p $(@D)
	$(SCNTOOL_CC) -std=gnu11 -D_GNU_SOURCE -O1 -g -Wall -Wextra -Iharness -o $@.tmp $< $(HOST_SRCS) -lyaml -ljansson
	@mv $@.tmp $@

# The scenario tool as the unit tests are built (ASan, UBSan): what the table of its verbs runs
# (tests/e2e/test_surfaces.py), so a memory error fails a row even where it would not crash.
build/unit/scntool: harness/tools/scntool.c $(HOST_SRCS) $(wildcard harness/*.h)
	@mkdir -p $(@D)
	$(UNIT_CC) $(UNIT_CFLAGS) -o $@ $< $(HOST_SRCS) -lyaml -ljansson

test-unit: deps
	@$(MAKE) -s $(UNIT_TESTS)
	@set -e; for t in $(UNIT_TESTS); do ASAN_OPTIONS=detect_leaks=1 $$t; done

test-py:
	@bash toolchain/deps.sh test
	@python3 -m pytest tests/toolchain tests/e2e $(PYTEST_ARGS)

test-toolchain:
	@python3 -m pytest tests/toolchain $(PYTEST_ARGS)

test-e2e:
	@bash toolchain/deps.sh test
	@python3 -m pytest tests/e2e $(PYTEST_ARGS)

# make run SCENARIO=<name or .yaml> [PY= SAN= NUMPY= THREADS= ITERATIONS= RUNS= JOBS= SEED= TIMEOUT=
#          PROCESS=fork|fresh MINIMIZE=1 BUDGET=seconds DRY_RUN=1 CATALOG=file GROUP=races|none], or
#          PYTEST=<tests> [PYTEST_PER=module BUDGET=seconds] (BUDGET: the runs'; with MINIMIZE=1 the minimization's)
# The run's settings are the front door's arguments; the toolchain's variables (exported above)
# are read by the builders from the environment.
.PHONY: run
run:
	@python3 -m ftsan run $(if $(SCENARIO),'$(SCENARIO)') $(if $(PYTEST),--pytest '$(PYTEST)') \
	 $(if $(PYTEST_PER),--pytest-per '$(PYTEST_PER)') $(if $(CATALOG),--catalog '$(CATALOG)') $(if $(GROUP),--group '$(GROUP)') $(if $(THREADS),--threads '$(THREADS)') \
	 $(if $(ITERATIONS),--iterations '$(ITERATIONS)') $(if $(RUNS),--runs '$(RUNS)') $(if $(JOBS),--jobs '$(JOBS)') \
	 $(if $(TIMEOUT),--timeout '$(TIMEOUT)') $(if $(PROCESS),--process '$(PROCESS)') $(if $(SEED),--seed '$(SEED)') \
	 $(if $(filter 1,$(MINIMIZE)),--minimize) $(if $(BUDGET),--budget '$(BUDGET)') $(if $(filter 1,$(DRY_RUN)),--dry-run)

# make verify [SCENARIO=name] [VERSIONS=latest]: every scenario on its listed versions (or on
# VERSIONS), against its expectations.
.PHONY: verify
verify:
	@SCENARIO="$(SCENARIO)" VERSIONS="$(VERSIONS)" python3 -m ftsan verify

# make minimize REPORT=reports/<run-id> [FINDING=id] [BUDGET=seconds]: repro.py and repro.yaml
.PHONY: minimize
minimize:
	@python3 -m ftsan minimize $(if $(FINDING),--finding $(FINDING)) $(if $(BUDGET),--budget $(BUDGET)) $(or $(REPORT),reports/latest)

# make hunt MODULE=numpy [SEED=n BUDGET=seconds OUT=dir LIMIT=n PROCESS=fork|fresh KERNEL=file.c ONLY=np.f,np.g GUIDE=on|off CORPUS=dir;
# COVERAGE=1 builds the module with coverage and guides the hunt by it]: generated scenarios on the module's
# learned API; new signatures as scenarios under the hunt's directory (see ftsan/hunt.py). Any module:
# make hunt MODULE=pandas SRC="pandas=../pandas" NUMPY=2.5.5 (or PACKAGES="pandas==3.1.1" for its wheel)
.PHONY: hunt
hunt:
	@python3 -m ftsan hunt $(or $(MODULE),numpy) $(if $(SEED),--seed $(SEED)) $(if $(BUDGET),--budget $(BUDGET)) $(if $(OUT),--out $(OUT)) $(if $(LIMIT),--limit $(LIMIT)) $(if $(PROCESS),--process $(PROCESS)) $(if $(KERNEL),--kernel $(KERNEL)) $(if $(ONLY),--only $(ONLY)) $(if $(GUIDE),--guide $(GUIDE)) $(if $(CORPUS),--corpus $(CORPUS))

# make matrix [SHARD=i/n] [MATRIX=ci/matrix.yaml]; make matrix-merge [DIRS="..."]: the nightly grid
.PHONY: matrix matrix-merge
matrix:
	@SHARD="$(SHARD)" MATRIX="$(MATRIX)" python3 -m ftsan matrix
matrix-merge:
	@python3 -m ftsan matrix merge $(DIRS)

# make findings [SINCE=2026-12-01] [ID=id] [MERGE="shard.db ..."]: the findings store (FTSAN_DB, else
# findings.db in the cache) over time: list (new since SINCE), show one, or merge the nightly's
# shards into it; then the page, reports/findings/index.html
.PHONY: findings
findings:
	@$(if $(MERGE),python3 -m ftsan findings merge $(MERGE) &&) \
	 python3 -m ftsan findings $(if $(ID),show '$(ID)',list $(if $(SINCE),--since '$(SINCE)')) && \
	 python3 -m ftsan findings page

# make bisect SCENARIO=name RANGE=2.2.0..2.2.6 [SAN=] [RUNS=]: first NumPy release with or without the bug
.PHONY: bisect
bisect:
	@python3 -m ftsan bisect --scenario "$(SCENARIO)" --numpy "$(RANGE)" $(if $(filter-out tsan,$(SAN)),--san $(SAN)) $(if $(RUNS),--runs $(RUNS))

# Fuzzing: libFuzzer targets built with ASan and UBSan, seeded with the real fixtures and scenarios
# (tests/fuzz/run.sh). The parsers' targets share tests/fuzz/fuzz_parsers.c (-DFUZZ_TARGET_<name>
# picks one); any other tests/fuzz/fuzz_<name>.c is a target of its own: the emitter (emit) and
# the harness's command line (cli, with stand-ins for the pipelines, as test_cli has).
# `make test` runs each briefly (FUZZ_SECONDS); `make fuzz` runs each for FUZZ_RUNS executions.
FUZZ_PARSERS := scn tsan asan stderr faulthandler gdb events pystacks
FUZZ_OWN     := $(patsubst tests/fuzz/fuzz_%.c,%,$(filter-out tests/fuzz/fuzz_parsers.c,$(wildcard tests/fuzz/fuzz_*.c)))
FUZZ_TARGETS := $(FUZZ_PARSERS) $(FUZZ_OWN)
FUZZ_SECONDS ?= 10
FUZZ_RUNS    ?= 1000000
FUZZ_SRCS    := $(HOST_SRCS)
FUZZ_BINS    := $(FUZZ_TARGETS:%=build/fuzz/fuzz_%)
FUZZ_CFLAGS  := -std=gnu11 -D_GNU_SOURCE -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined -Iharness

$(FUZZ_PARSERS:%=build/fuzz/fuzz_%): build/fuzz/fuzz_%: tests/fuzz/fuzz_parsers.c $(FUZZ_SRCS) $(wildcard harness/*.h)
	@mkdir -p $(@D)
	$(UNIT_CC) $(FUZZ_CFLAGS) -DFUZZ_TARGET_$* -o $@ $< $(FUZZ_SRCS) -lyaml -ljansson

$(FUZZ_OWN:%=build/fuzz/fuzz_%): build/fuzz/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_SRCS) harness/cli.c $(wildcard harness/*.h)
	@mkdir -p $(@D)
	$(UNIT_CC) $(FUZZ_CFLAGS) -o $@ $< $(FUZZ_SRCS) $(if $(filter cli,$*),harness/cli.c) -lyaml -ljansson

.PHONY: fuzz test-fuzz fuzz-build
fuzz-build: deps
	@$(MAKE) -s $(FUZZ_BINS)

test-fuzz: fuzz-build
	@bash tests/fuzz/run.sh "$(FUZZ_TARGETS)" -max_total_time=$(FUZZ_SECONDS)

fuzz: fuzz-build
	@bash tests/fuzz/run.sh "$(FUZZ_TARGETS)" -runs=$(FUZZ_RUNS)
