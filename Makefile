# make quickstart | make test | make build | make bench | make test-sanitize
# Every target installs missing Debian packages first (scripts/install-deps.sh).
BUILD_DIR ?= build
JOBS ?= $(shell nproc)
BUILD_TYPE ?= RelWithDebInfo
SANITIZE ?= OFF
# ccache hits across clones and build folders: paths are hashed relative to the checkout.
export CCACHE_BASEDIR := $(CURDIR)
export CCACHE_NOHASHDIR := 1
WERROR ?= OFF
# XGBoost's OpenMP threads must not spin-wait in tests that share 2 cores, and glibc's malloc uses
# huge pages (src/cli/cli.cc). Set here, `sluice` need not start itself again for them: under
# AddressSanitizer that doubled the time of the command tests.
export OMP_WAIT_POLICY ?= passive
export GLIBC_TUNABLES ?= glibc.malloc.hugetlb=1:glibc.malloc.mmap_threshold=33554432

.PHONY: deps configure build test test-sanitize quickstart bench bench-train bench-serve format clean

deps:
	@bash scripts/install-deps.sh

configure: deps
	@cmake -S . -B $(BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) \
		-DSLUICE_SANITIZE=$(SANITIZE) -DSLUICE_WERROR=$(WERROR) > /dev/null

build: configure
	@cmake --build $(BUILD_DIR) -j $(JOBS)

test: build
	@ctest --test-dir $(BUILD_DIR) --output-on-failure -j $(JOBS)

# The whole suite under AddressSanitizer + UndefinedBehaviorSanitizer, in its own build folder.
test-sanitize:
	@$(MAKE) --no-print-directory test BUILD_DIR=build-asan BUILD_TYPE=Debug SANITIZE=ON

quickstart: build
	@SLUICE=$(abspath $(BUILD_DIR))/apps/sluice/sluice bash examples/quickstart/run.sh

bench: build
	@bash bench/run.sh $(abspath $(BUILD_DIR))

# sluice train against pandas + xgboost + scikit-learn on 100k and 1M rows (~15 min; installs
# the Python packages it compares with: scripts/install-bench-deps.sh).
bench-train: build
	@bash scripts/install-bench-deps.sh
	@bash bench/train_bench.sh $(abspath $(BUILD_DIR))

# sluice serve against FastAPI + uvicorn + xgboost over REST, wrk load (~3 min; installs the
# Python packages it compares with).
bench-serve: build
	@bash scripts/install-bench-deps.sh
	@bash bench/serve_bench.sh --log --batch $(abspath $(BUILD_DIR))

format:
	@clang-format -i $$(git ls-files '*.h' '*.cc')

clean:
	rm -rf build build-asan
