# pvf — build with make + pkg-config. See README.md.
#
#   make            build/bin/pvf, the worker binaries, build/lib/libpvf.a, test binaries
#   make test       every test; last line "N passed, M failed"
#   make asan       the tests under ASan + UBSan (build-asan/)
#   make bench      benchmarks against node (V8), writes docs/BENCHMARKS.md
#   make fuzz       a libFuzzer target (clang; FUZZ_TARGET=fuzz_prepare|fuzz_scale|fuzz_protocol|fuzz_tiers), build-fuzz/
#   make demo       the host and its sandbox on the project's fixtures and a real runtime
#   make deps       install missing Debian packages (as root) or list them
#   make run        build, then prepare the adder PVF and validate a real block through the host

BUILD    ?= build
CC       ?= gcc
PKGS     := libzstd zlib libxxhash libsodium libsecp256k1
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS))
PKG_LIBS   := $(shell pkg-config --libs $(PKGS))

# Assertions (invariants of the compiler and interpreter) are on in the ASan build and in
# the fuzz build, off here (NDEBUG): they guard what tests and fuzzing should find.
OPT      ?= -O2 -g -DNDEBUG
CFLAGS_BASE := -std=gnu11 -Wall -Wextra -Werror -ffp-contract=off -fno-strict-aliasing \
               -pthread -Iinclude -Isrc $(PKG_CFLAGS)
CFLAGS   += $(OPT) $(CFLAGS_BASE) -MMD -MP
LDLIBS   += $(PKG_LIBS) -lm -pthread
# Bind every symbol at start-up: a job process (a fresh fork of its worker) then never pays
# for lazy PLT resolution, and the GOT is read-only (full RELRO).
LDFLAGS  += -Wl,-z,now -Wl,-z,relro

# src/worker/main/*.c: one main() per worker binary (pvf-prepare-worker, pvf-execute-worker)
LIB_SRCS := $(sort $(wildcard src/wasm/*.c src/runtime/*.c src/author/*.c src/wire/*.c src/host/*.c src/worker/*.c src/util/*.c))
WORKER_MAINS := $(sort $(wildcard src/worker/main/*.c))
CLI_SRCS := $(sort $(wildcard src/cli/*.c))
TEST_SRCS := $(sort $(wildcard tests/unit/*.c))

LIB_OBJS := $(LIB_SRCS:%.c=$(BUILD)/obj/%.o)
CLI_OBJS := $(CLI_SRCS:%.c=$(BUILD)/obj/%.o)
TEST_OBJS := $(TEST_SRCS:%.c=$(BUILD)/obj/%.o)

LIB      := $(BUILD)/lib/libpvf.a
PVF      := $(BUILD)/bin/pvf
UNIT     := $(BUILD)/bin/pvf-unit-tests
WORKERS  := $(WORKER_MAINS:src/worker/main/%.c=$(BUILD)/bin/pvf-%)

.PHONY: all test asan bench fuzz demo clean deps run
all: $(PVF) $(UNIT) $(WORKERS)

$(BUILD)/bin/pvf-%: $(BUILD)/obj/src/worker/main/%.o $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(LIB) $(LDLIBS)

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@

$(LIB): $(LIB_OBJS)
	@mkdir -p $(dir $@)
	rm -f $@
	ar rcs $@ $^

$(PVF): $(CLI_OBJS) $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(CLI_OBJS) $(LIB) $(LDLIBS)

$(UNIT): $(TEST_OBJS) $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(TEST_OBJS) $(LIB) $(LDLIBS)

# Missing Debian packages: installed when run as root, listed otherwise (scripts/deps.sh).
# The stamp makes this a no-op once everything is present. Targets that need the packages
# build through a sub-make so that pkg-config runs after they are installed.
DEPS_STAMP := $(BUILD)/.deps-ok

deps:
	@scripts/deps.sh

$(DEPS_STAMP): scripts/deps.sh
	@scripts/deps.sh; rc=$$?; \
	if [ $$rc = 0 ]; then mkdir -p $(@D) && touch $@; elif [ $$rc != 3 ]; then exit $$rc; fi

test: $(DEPS_STAMP)
	@$(MAKE) --no-print-directory all
	BUILD=$(BUILD) tests/run-all.sh

asan:
	$(MAKE) BUILD=build-asan CC=clang OPT="-O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer" \
	    LDFLAGS="-fsanitize=address,undefined" test

# The main job: prepare a real PVF and validate a real block with it, through the host.
run: $(DEPS_STAMP)
	@$(MAKE) --no-print-directory all
	$(PVF) prepare $${PVF_TESTDATA:-../shared/testdata}/pvf/kagome__pvf_hex_adder.wasm
	$(PVF) validate --code $${PVF_TESTDATA:-../shared/testdata}/pvf/kagome__pvf_hex_adder.wasm \
	    --params $${PVF_TESTDATA:-../shared/testdata}/inputs/adder/000.params.scale

bench: $(DEPS_STAMP)
	@$(MAKE) --no-print-directory all
	BUILD=$(BUILD) CC=$(CC) bench/run.sh

demo: $(DEPS_STAMP)
	@$(MAKE) --no-print-directory all
	BUILD=$(BUILD) tests/demo.sh

FUZZ_SECONDS ?= 60
fuzz: $(DEPS_STAMP)
	$(MAKE) -f fuzz/Makefile run FUZZ_SECONDS=$(FUZZ_SECONDS) PKGS="$(PKGS)"

clean:
	rm -rf build build-asan build-fuzz

-include $(LIB_OBJS:.o=.d) $(CLI_OBJS:.o=.d) $(TEST_OBJS:.o=.d) $(WORKER_MAINS:%.c=$(BUILD)/obj/%.d)
