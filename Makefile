# ftsan: find thread-safety bugs of scientific Python packages in free-threaded CPython.
# Every target installs what it needs; toolchains are cached outside the checkout.

PY       ?= 3.13.15
SAN      ?= tsan
NUMPY    ?= 2.2.5
PACKAGES ?=
export PY SAN NUMPY PACKAGES PY_SRC PYTHON

.PHONY: toolchain deps test test-toolchain

deps:
	@bash toolchain/deps.sh

# Builds what is missing; the last line printed is the interpreter's path.
toolchain:
	@bash toolchain/toolchain.sh

test: test-toolchain

test-toolchain:
	@bash tests/toolchain/run.sh

# make run SCENARIO=<name or .yaml> [PY= SAN= NUMPY= THREADS= ITERATIONS= RUNS= JOBS= SEED= TIMEOUT=]
.PHONY: run
run:
	@SCENARIO="$(SCENARIO)" THREADS="$(THREADS)" ITERATIONS="$(ITERATIONS)" RUNS="$(RUNS)" \
	 JOBS="$(JOBS)" SEED="$(SEED)" TIMEOUT="$(TIMEOUT)" bash toolchain/run.sh
