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
# make install: where things go (DESTDIR prefixes every path, for packaging)
PREFIX   ?= /usr/local
LIBDIR   ?= $(PREFIX)/lib
WORKERS_DIR ?= $(PREFIX)/lib/pvf
PKGS     := libzstd zlib libxxhash libsodium libsecp256k1
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS))
PKG_LIBS   := $(shell pkg-config --libs $(PKGS))
# pvfd alone serves HTTP (the metrics) and speaks to systemd; libpvf needs neither.
PVFD_PKGS  := libmicrohttpd libsystemd
PVFD_CFLAGS := $(shell pkg-config --cflags $(PVFD_PKGS))
PVFD_LIBS  := $(shell pkg-config --libs $(PVFD_PKGS))

# Assertions (invariants of the compiler and interpreter) are on in the ASan build and in
# the fuzz build, off here (NDEBUG): they guard what tests and fuzzing should find.
OPT      ?= -O2 -g -DNDEBUG
# Position-independent (one set of objects makes both libraries), and only what the public
# headers mark PVF_API exported from the shared one (include/pvf/api.h).
CFLAGS_BASE := -std=gnu11 -Wall -Wextra -Werror -ffp-contract=off -fno-strict-aliasing \
               -fPIC -fvisibility=hidden -fno-semantic-interposition \
               -pthread -Iinclude -Isrc -I$(BUILD)/gen $(PKG_CFLAGS)
CFLAGS   += $(OPT) $(CFLAGS_BASE) -MMD -MP
LDLIBS   += $(PKG_LIBS) -lm -pthread
# Bind every symbol at start-up: a job process (a fresh fork of its worker) then never pays
# for lazy PLT resolution, and the GOT is read-only (full RELRO).
LDFLAGS  += -Wl,-z,now -Wl,-z,relro

# src/worker/main/*.c: one main() per worker binary (pvf-prepare-worker, pvf-execute-worker)
LIB_SRCS := $(sort $(wildcard src/wasm/*.c src/runtime/*.c src/author/*.c src/wire/*.c src/host/*.c src/client/*.c src/worker/*.c src/util/*.c))
WORKER_MAINS := $(sort $(wildcard src/worker/main/*.c))
CLI_SRCS := $(sort $(wildcard src/cli/*.c))
DAEMON_SRCS := $(sort $(wildcard src/daemon/*.c))
TEST_SRCS := $(sort $(wildcard tests/unit/*.c))

LIB_OBJS := $(LIB_SRCS:%.c=$(BUILD)/obj/%.o)
CLI_OBJS := $(CLI_SRCS:%.c=$(BUILD)/obj/%.o)
DAEMON_OBJS := $(DAEMON_SRCS:%.c=$(BUILD)/obj/%.o)
# what pvfd takes from the CLI: the option tables (--help, the man page) and its errors
DAEMON_CLI_OBJS := $(BUILD)/obj/src/cli/cli_options.o $(BUILD)/obj/src/cli/cli_error.o
TEST_OBJS := $(TEST_SRCS:%.c=$(BUILD)/obj/%.o)

# libpvf.a and libpvf.so for programs that use pvf: the public API only (tests/t-abi.sh); the
# static one is one relocatable object whose hidden symbols are made local, so nothing but pvf_*
# can collide in a program. The CLI, the workers and the unit tests link every object
# (libpvf-internal.a): they use the internals.
LIB      := $(BUILD)/obj/libpvf-internal.a
PUBLIC_A := $(BUILD)/lib/libpvf.a
version_field = $(shell sed -n 's/^\#define PVF_$(1) \([0-9]*\).*/\1/p' include/pvf/version.h)
VERSION  := $(call version_field,VERSION_MAJOR).$(call version_field,VERSION_MINOR).$(call version_field,VERSION_PATCH)
SONAME   := libpvf.so.$(call version_field,ABI_VERSION)
SHARED   := $(BUILD)/lib/$(SONAME).$(call version_field,VERSION_MINOR).$(call version_field,VERSION_PATCH)
PVF      := $(BUILD)/bin/pvf
PVFD     := $(BUILD)/bin/pvfd
UNIT     := $(BUILD)/bin/pvf-unit-tests
WORKERS  := $(WORKER_MAINS:src/worker/main/%.c=$(BUILD)/bin/pvf-%)

# The man pages: man/*.in with the release, the date of its debian/changelog entry (so a build is
# reproducible) and, for pvf(1), every command's section as the CLI's option tables make it.
MAN_DATE := $(shell date -u -d "$$(sed -n 's/^ -- .*>  //p' debian/changelog | head -1)" +%F 2>/dev/null)
# Each public header is also a grouped page, pvf_host(3) and so on, with a one-line page per
# function that points at its group (man/pages.sh, man/header.awk).
MAN1 := $(BUILD)/man/pvf.1
MAN8 := $(BUILD)/man/pvfd.8
MAN3 := $(BUILD)/man/libpvf.3
MAN_GROUPS := $(BUILD)/man/.groups

.PHONY: all test asan bench fuzz demo clean deps run install uninstall FORCE
all: $(PVF) $(PVFD) $(UNIT) $(WORKERS) $(PUBLIC_A) $(SHARED) $(MAN1) $(MAN3) $(MAN8) $(MAN_GROUPS)

$(MAN_GROUPS): $(wildcard include/pvf/*.h) man/pages.sh man/header.awk debian/changelog
	man/pages.sh $(BUILD)/man $(VERSION) $(MAN_DATE)
	@touch $@

$(BUILD)/man/pvf.1: man/pvf.1.in $(PVF)
	@mkdir -p $(dir $@)
	$(PVF) help --man >$@.commands
	sed -e 's|@VERSION@|$(VERSION)|; s|@DATE@|$(MAN_DATE)|' $< | \
	    awk -v f=$@.commands '/^@COMMANDS@$$/ { while ((getline l < f) > 0) print l; next } { print }' >$@
	rm -f $@.commands

$(BUILD)/man/pvfd.8: man/pvfd.8.in $(PVFD)
	@mkdir -p $(dir $@)
	$(PVFD) --man >$@.options
	sed -e 's|@VERSION@|$(VERSION)|; s|@DATE@|$(MAN_DATE)|' $< | \
	    awk -v f=$@.options '/^@OPTIONS@$$/ { print ".SH OPTIONS"; while ((getline l < f) > 0) print l; next } { print }' >$@
	rm -f $@.options

$(BUILD)/man/%.3: man/%.3.in Makefile
	@mkdir -p $(dir $@)
	sed -e 's|@VERSION@|$(VERSION)|; s|@DATE@|$(MAN_DATE)|' $< >$@

$(BUILD)/bin/pvf-%: $(BUILD)/obj/src/worker/main/%.o $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(LIB) $(LDLIBS)

# Makefile too: a change of flags rebuilds everything.
$(BUILD)/obj/%.o: %.c Makefile | $(BUILD)/gen/pvf_paths.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@

$(LIB): $(LIB_OBJS)
	@mkdir -p $(dir $@)
	rm -f $@
	ar rcs $@ $^

# The install's worker dir, compiled into the library (src/host/worker_paths.c); rewritten only
# when it changes, so `make install PREFIX=…` rebuilds just what depends on it.
$(BUILD)/gen/pvf_paths.h: FORCE
	@mkdir -p $(dir $@)
	@printf '/* generated by make: the worker dir of make install */\n#define PVF_WORKERS_DIR "%s"\n' \
	    '$(WORKERS_DIR)' >$@.tmp
	@cmp -s $@.tmp $@ && rm $@.tmp || mv $@.tmp $@
$(BUILD)/obj/src/host/worker_paths.o: $(BUILD)/gen/pvf_paths.h
FORCE:

$(PUBLIC_A): $(LIB_OBJS)
	@mkdir -p $(dir $@)
	$(LD) -r -o $(BUILD)/obj/libpvf-public.o $^
	objcopy --localize-hidden $(BUILD)/obj/libpvf-public.o
	rm -f $@
	ar rcs $@ $(BUILD)/obj/libpvf-public.o

$(SHARED): $(LIB_OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -shared -Wl,-soname,$(SONAME) -o $@ $^ $(LDLIBS)
	ln -sf $(notdir $@) $(BUILD)/lib/$(SONAME)
	ln -sf $(SONAME) $(BUILD)/lib/libpvf.so

$(PVF): $(CLI_OBJS) $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(CLI_OBJS) $(LIB) $(LDLIBS)

$(PVFD): $(DAEMON_OBJS) $(DAEMON_CLI_OBJS) $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(DAEMON_OBJS) $(DAEMON_CLI_OBJS) $(LIB) $(LDLIBS) $(PVFD_LIBS)

$(DAEMON_OBJS): CFLAGS += $(PVFD_CFLAGS)

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

# make install [PREFIX=/usr/local] [DESTDIR=] — the library (shared and static), its headers and
# pkg-config file, the CLI, the worker binaries in $(WORKERS_DIR) (where the library looks for
# them), the man pages. make uninstall removes exactly these.
INSTALLED_HEADERS := $(wildcard include/pvf/*.h)
install: all $(BUILD)/libpvf.pc
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(LIBDIR)/pkgconfig $(DESTDIR)$(WORKERS_DIR) \
	    $(DESTDIR)$(PREFIX)/include/pvf $(DESTDIR)$(PREFIX)/share/man/man1 $(DESTDIR)$(PREFIX)/share/man/man3 \
	    $(DESTDIR)$(PREFIX)/share/man/man8
	install -m 755 $(PVF) $(DESTDIR)$(PREFIX)/bin/pvf
	install -m 755 $(PVFD) $(DESTDIR)$(PREFIX)/bin/pvfd
	install -m 755 $(WORKERS) $(DESTDIR)$(WORKERS_DIR)/
	install -m 644 $(PUBLIC_A) $(DESTDIR)$(LIBDIR)/libpvf.a
	install -m 755 $(SHARED) $(DESTDIR)$(LIBDIR)/
	ln -sf $(notdir $(SHARED)) $(DESTDIR)$(LIBDIR)/$(SONAME)
	ln -sf $(SONAME) $(DESTDIR)$(LIBDIR)/libpvf.so
	install -m 644 $(INSTALLED_HEADERS) $(DESTDIR)$(PREFIX)/include/pvf/
	install -m 644 $(BUILD)/libpvf.pc $(DESTDIR)$(LIBDIR)/pkgconfig/libpvf.pc
	install -m 644 $(MAN1) $(DESTDIR)$(PREFIX)/share/man/man1/
	install -m 644 $(MAN8) $(DESTDIR)$(PREFIX)/share/man/man8/
	install -m 644 $(BUILD)/man/*.3 $(DESTDIR)$(PREFIX)/share/man/man3/

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/pvf $(DESTDIR)$(PREFIX)/bin/pvfd $(addprefix $(DESTDIR)$(WORKERS_DIR)/,$(notdir $(WORKERS)))
	rm -f $(DESTDIR)$(LIBDIR)/libpvf.a $(DESTDIR)$(LIBDIR)/$(notdir $(SHARED)) $(DESTDIR)$(LIBDIR)/$(SONAME) \
	    $(DESTDIR)$(LIBDIR)/libpvf.so $(DESTDIR)$(LIBDIR)/pkgconfig/libpvf.pc
	rm -f $(addprefix $(DESTDIR)$(PREFIX)/include/pvf/,$(notdir $(INSTALLED_HEADERS)))
	rm -f $(DESTDIR)$(PREFIX)/share/man/man1/pvf.1 $(DESTDIR)$(PREFIX)/share/man/man8/pvfd.8 \
	    $(DESTDIR)$(PREFIX)/share/man/man3/libpvf.3 \
	    $(DESTDIR)$(PREFIX)/share/man/man3/pvf_*.3
	-rmdir $(DESTDIR)$(WORKERS_DIR) $(DESTDIR)$(PREFIX)/include/pvf 2>/dev/null

$(BUILD)/libpvf.pc: libpvf.pc.in Makefile
	@mkdir -p $(dir $@)
	sed -e 's|@PREFIX@|$(PREFIX)|; s|@LIBDIR@|$(LIBDIR)|; s|@VERSION@|$(VERSION)|; s|@PKGS@|$(PKGS)|' $< >$@

-include $(LIB_OBJS:.o=.d) $(CLI_OBJS:.o=.d) $(DAEMON_OBJS:.o=.d) $(TEST_OBJS:.o=.d) $(WORKER_MAINS:%.c=$(BUILD)/obj/%.d)
