# The two commands of the README, and a few conveniences around CMake presets.
#   make run    install what is missing, build, start `wirekit serve` (wirekit.toml)
#   make test   install what is missing, build, run every test (dev build, then the ASan build),
#               then say how many were skipped and why
#   make package  the .deb of the release build (build/package/)
#   make tsan   the core and net unit tests under ThreadSanitizer (build/tsan; not part of test)
SHELL := /bin/bash
CONFIG ?= wirekit.toml
WIREKIT := build/dev/apps/wirekit/wirekit

.PHONY: all deps build run test asan tsan package fuzz bench format clean
all: build

deps:
	@scripts/deps.sh

build/%/build.ninja:
	cmake --preset $* >/dev/null

build: deps build/dev/build.ninja
	cmake --build --preset dev

run: build
	exec $(WIREKIT) serve --config $(CONFIG)

asan: deps build/asan/build.ninja
	cmake --build --preset asan

# Only the core and net tests: they cover what crosses threads (posting to loops, the thread
# pool, one server over several loops) and keep the TSan build small. A TSan report makes the
# binary exit with 66, so a race fails the target.
TSAN_TESTS := core_tests net_tests
tsan: deps build/tsan/build.ninja
	cmake --build --preset tsan --target $(TSAN_TESTS)
	@for t in $(TSAN_TESTS); do build/tsan/tests/unit/$$t || exit 1; done

# Each ctest run writes its JUnit file (CMakePresets.json) and the pytest files theirs
# (tests/CMakeLists.txt); old ones go first, so that the summary counts this run only.
TEST_BUILDS := build/dev build/asan
test: build asan
	@rm -rf $(addsuffix /ctest-results.xml,$(TEST_BUILDS)) $(addsuffix /test-results,$(TEST_BUILDS))
	@status=0; \
	ctest --preset dev && ctest --preset asan || status=$$?; \
	/usr/bin/python3 scripts/test_summary.py $(TEST_BUILDS); \
	exit $$status

package: deps build/release/build.ninja
	cmake --build --preset release
	cpack --preset release

# libFuzzer targets (clang); FUZZ_SECONDS per target, e.g. make fuzz FUZZ_SECONDS=300
FUZZ_SECONDS ?= 60
fuzz: deps build/fuzz/build.ninja
	cmake --build --preset fuzz
	@for t in build/fuzz/fuzz/*_fuzz; do \
	  name=$$(basename $$t _fuzz); mkdir -p build/fuzz/corpus/$$name; \
	  echo "== $$name ($(FUZZ_SECONDS)s)"; \
	  $$t build/fuzz/corpus/$$name fuzz/corpus/$$name -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 2>&1 | tail -n 12 || exit 1; \
	done

bench: build
	@scripts/deps.sh bench
	bench/run.sh

format:
	clang-format -i $$(git ls-files '*.cpp' '*.hpp')

clean:
	rm -rf build
