# Carrier — build, run, test.  See README.md.
#
#   make            build build/carrier, the tools and the front end
#   make run        install what is missing, build, serve on embedded defaults
#   make check      install what is missing, build, run every test suite
#   make SANITIZE=1 the same, built with ASan+UBSan into build-san/
#   make fuzz       run each libFuzzer harness briefly
#   make fuzz-ci    the same for CI's fixed budget (.ci/run)
#   make bench      benchmarks (see docs/BENCHMARKS.md)

BUILD ?= build
ifeq ($(SANITIZE),1)
BUILD := build-san
SANFLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
endif

PKGS := libuv sqlite3 libpq libsodium libcrypto libssl libssh libtelnet libutf8proc hiredis libsystemd
CC ?= cc
OPT ?= -O2
WARN := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
        -Wformat=2 -Wvla -Wpointer-arith -Wno-unused-parameter
CFLAGS := -std=c11 -D_GNU_SOURCE $(OPT) -g $(WARN) $(SANFLAGS) -Isrc \
          $(shell pkg-config --cflags $(PKGS) 2>/dev/null) -MMD -MP
LDFLAGS := $(SANFLAGS)
LDLIBS := $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lhttp_parser -lpthread -lm

SRC := $(sort $(wildcard src/*.c src/*/*.c))
LIBSRC := $(filter-out src/main.c,$(SRC))
LIBOBJ := $(LIBSRC:%.c=$(BUILD)/obj/%.o)
LIB := $(BUILD)/libcarrier.a

UNIT_SRC := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
TOOL_SRC := $(sort $(wildcard tools/*.c))
TOOL_BIN := $(TOOL_SRC:tools/%.c=$(BUILD)/%)
TESTTOOL_SRC := $(sort $(wildcard tests/tools/*.c))
TESTTOOL_BIN := $(TESTTOOL_SRC:tests/tools/%.c=$(BUILD)/tests/%)

.PHONY: all deps deps-check run check unit e2e browser web fuzz fuzz-ci bench bench-quick clean
all: $(BUILD)/carrier $(TOOL_BIN) web

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@

$(LIB): $(LIBOBJ)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/carrier: $(BUILD)/obj/src/main.o $(LIB)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/%: tools/%.c $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(LIB) $(LDLIBS)

$(BUILD)/tests/%: tests/unit/%.c $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(shell pkg-config --cflags cmocka vterm) $(LDFLAGS) -o $@ $< $(LIB) \
	    $(shell pkg-config --libs cmocka vterm) $(LDLIBS)

$(BUILD)/tests/%: tests/tools/%.c $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(shell pkg-config --cflags vterm) $(LDFLAGS) -o $@ $< $(LIB) \
	    $(shell pkg-config --libs vterm) $(LDLIBS)

# The front end: bundled by esbuild from web/ into $(BUILD)/web, served by the binary.
WEB_SRC := $(wildcard web/src/* web/index.html web/build.mjs)
# The art (and the actions table) beside it, found next to the executable.
ART := $(wildcard art/*)
web: $(BUILD)/web/.stamp $(BUILD)/art/.stamp
$(BUILD)/web/.stamp: $(WEB_SRC) web/package-lock.json
	@test -d web/node_modules || { echo "web/node_modules missing: run 'make deps'"; exit 1; }
	cd web && node build.mjs $(abspath $(BUILD))/web
	@touch $@
$(BUILD)/art/.stamp: $(ART)
	@mkdir -p $(BUILD)/art
	cp -r art/. $(BUILD)/art/
	@touch $@

deps:
	@scripts/deps.sh run
deps-check:
	@scripts/deps.sh check

run: deps
	@$(MAKE) --no-print-directory all
	$(BUILD)/carrier $(ARGS)

check: deps-check
	@$(MAKE) --no-print-directory all $(UNIT_BIN) $(TESTTOOL_BIN)
	@BUILD=$(BUILD) scripts/check.sh

# libFuzzer harnesses: clang, each harness linked against the library built for fuzzing.
FUZZ_BUILD := build-fuzz
FUZZ_SRC := $(sort $(wildcard fuzz/fuzz_*.c))
FUZZ_BIN := $(FUZZ_SRC:fuzz/%.c=$(FUZZ_BUILD)/%)
FUZZ_SECONDS ?= 20
fuzz: deps-check
	@$(MAKE) --no-print-directory BUILD=$(FUZZ_BUILD) CC=clang OPT=-O1 \
	    SANFLAGS="-fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer" \
	    $(FUZZ_BUILD)/libcarrier.a
	@$(MAKE) --no-print-directory BUILD=$(FUZZ_BUILD) CC=clang OPT=-O1 $(FUZZ_BIN)
	@scripts/fuzz.sh $(FUZZ_SECONDS) $(FUZZ_BIN)

# What CI runs (.ci/run): every harness for a fixed FUZZ_CI_SECONDS from its committed
# seeds; any crash, sanitizer report, leak or hang fails it.
FUZZ_CI_SECONDS ?= 15
fuzz-ci:
	@$(MAKE) --no-print-directory fuzz FUZZ_SECONDS=$(FUZZ_CI_SECONDS)

$(FUZZ_BUILD)/fuzz_%: fuzz/fuzz_%.c $(FUZZ_BUILD)/libcarrier.a
	clang $(filter-out $(SANFLAGS),$(CFLAGS)) -fsanitize=fuzzer,address,undefined \
	    -o $@ $< $(FUZZ_BUILD)/libcarrier.a $(LDLIBS)

clean:
	rm -rf build build-san build-fuzz

-include $(LIBOBJ:.o=.d) $(BUILD)/obj/src/main.d $(UNIT_BIN:=.d) $(TESTTOOL_BIN:=.d)

# Benchmarks (never part of make check): see docs/BENCHMARKS.md.
include bench/bench.mk
