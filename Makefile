# pvf — build with make + pkg-config. See README.md.
#
#   make            build/bin/pvf, build/lib/libpvf.a, test binaries
#   make test       every test; last line "N passed, M failed"
#   make asan       the tests under ASan + UBSan (build-asan/)
#   make bench      benchmarks against node (V8), writes docs/BENCHMARKS.md
#   make fuzz       libFuzzer target (clang), build-fuzz/
#   make demo       pvf on the project's own fixtures

BUILD    ?= build
CC       ?= gcc
PKGS     := libzstd
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS))
PKG_LIBS   := $(shell pkg-config --libs $(PKGS))

OPT      ?= -O2 -g
CFLAGS_BASE := -std=gnu11 -Wall -Wextra -Werror -ffp-contract=off -fno-strict-aliasing \
               -Iinclude -Isrc $(PKG_CFLAGS)
CFLAGS   += $(OPT) $(CFLAGS_BASE) -MMD -MP
LDLIBS   += $(PKG_LIBS) -lm

LIB_SRCS := $(sort $(wildcard src/wasm/*.c src/runtime/*.c src/host/*.c src/worker/*.c src/util/*.c))
CLI_SRCS := $(sort $(wildcard src/cli/*.c))
TEST_SRCS := $(sort $(wildcard tests/unit/*.c))

LIB_OBJS := $(LIB_SRCS:%.c=$(BUILD)/obj/%.o)
CLI_OBJS := $(CLI_SRCS:%.c=$(BUILD)/obj/%.o)
TEST_OBJS := $(TEST_SRCS:%.c=$(BUILD)/obj/%.o)

LIB      := $(BUILD)/lib/libpvf.a
PVF      := $(BUILD)/bin/pvf
UNIT     := $(BUILD)/bin/pvf-unit-tests

.PHONY: all test asan bench fuzz demo clean deps
all: $(PVF) $(UNIT)

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

test: all
	BUILD=$(BUILD) tests/run-all.sh

asan:
	$(MAKE) BUILD=build-asan CC=clang OPT="-O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer" \
	    LDFLAGS="-fsanitize=address,undefined" test

bench: all
	bench/run.sh

demo: all
	tests/demo.sh

fuzz:
	$(MAKE) -f fuzz/Makefile

clean:
	rm -rf build build-asan build-fuzz

-include $(LIB_OBJS:.o=.d) $(CLI_OBJS:.o=.d) $(TEST_OBJS:.o=.d)
