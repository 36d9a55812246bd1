# The two commands of the README, and a few conveniences around CMake presets.
#   make run    install what is missing, build, start `wirekit serve` (wirekit.toml)
#   make test   install what is missing, build, run every test (dev build, then the ASan build)
SHELL := /bin/bash
CONFIG ?= wirekit.toml
WIREKIT := build/dev/apps/wirekit/wirekit

.PHONY: all deps build run test asan fuzz bench format clean
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

test: build asan
	ctest --preset dev
	ctest --preset asan

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
