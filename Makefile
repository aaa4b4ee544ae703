# SPDX-License-Identifier: AGPL-3.0-or-later
# poreclear — one Makefile, pkg-config for every dependency.
#   make            build build/poreclear (and build/libporeclear.a)
#   make run        the main job (installs missing Debian packages when root)
#   make test       unit + end-to-end tests, then again under ASan+UBSan
#   make bench      benchmarks with same-run baselines
#   make fuzz       libFuzzer targets, time-bounded (FUZZ_SECONDS, default 20 each)
#   make eval       detection quality on ../shared/data/acne04-dev
#   make train      retrain the learned detector (data/model/) from ../shared/data/acne04-train
#   make format     clang-format the tree
# BUILD=dir picks the output folder (default build); SAN=1 builds with ASan+UBSan in build/asan.

PKGS := spng libturbojpeg libwebp libexif cairo fftw3f sqlite3 libpq libmicrohttpd jansson \
        libsodium libical libcurl nettle

ifeq ($(SAN),1)
BUILD ?= build/asan
SANFLAGS := -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
OPT ?= -O1
else
BUILD ?= build
SANFLAGS :=
OPT ?= -O2
endif

CC ?= cc
# V=1 shows the full compiler lines.
ifeq ($(V),1)
Q :=
else
Q = @echo '  CC  $<';
endif
WARN := -Wall -Wextra -Wshadow -Wundef -Wwrite-strings -Wmissing-prototypes \
        -Wstrict-prototypes -Wpointer-arith -Wformat=2 -Wno-unused-parameter
# Read when make reads this file: on a machine still missing a package they are empty, so every
# target that may install packages (check-deps) builds through a second make, which reads them
# again after the install; a build started without that step stops with a clear message.
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
PKG_MISSING := $(shell pkg-config --exists $(PKGS) 2>/dev/null || echo yes)
NEED_PKGS = $(if $(PKG_MISSING),$(error pkg-config cannot find some of: $(PKGS); \
  run plain `make` (it installs them as root) or scripts/install-deps build))
CFLAGS ?= $(OPT) -g
ALL_CFLAGS := -std=c11 -D_GNU_SOURCE $(WARN) $(CFLAGS) $(SANFLAGS) -pthread \
              -Iinclude -Ilib $(PKG_CFLAGS) -MMD -MP
# oneDNN (libdnnl-dev) ships no pkg-config file: the learned detector (lib/model/) links it,
# and libgomp, its OpenMP runtime, whose thread count it sets per call.
LDLIBS := $(PKG_LIBS) -ldnnl -lgomp -lm -pthread

LIB_SRC := $(sort $(wildcard lib/*/*.c))
CLI_SRC := $(sort $(wildcard src/cli/*.c) $(wildcard src/web/*.c))
UNIT_SRC := $(sort $(wildcard tests/unit/test_*.c))
BENCH_SRC := $(sort $(wildcard bench/bench_*.c))
FUZZ_SRC := $(sort $(wildcard fuzz/fuzz_*.c))

LIB_OBJ := $(LIB_SRC:%.c=$(BUILD)/obj/%.o)
CLI_OBJ := $(CLI_SRC:%.c=$(BUILD)/obj/%.o)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
BENCH_BIN := $(BENCH_SRC:bench/%.c=$(BUILD)/bench/%)
LIBA := $(BUILD)/libporeclear.a

.PHONY: all run demo test test-build check-deps check-test-deps bench fuzz eval train format clean
.DEFAULT_GOAL := all

# Install what is missing first, then build in a second make that sees the new packages.
all: check-deps
	@$(MAKE) --no-print-directory $(BUILD)/poreclear

check-deps:
	@scripts/install-deps --check build

check-test-deps: check-deps
	@scripts/install-deps --check test

$(BUILD)/obj/%.o: %.c
	$(NEED_PKGS)@mkdir -p $(dir $@)
	$(Q)$(CC) $(ALL_CFLAGS) -c $< -o $@

$(LIBA): $(LIB_OBJ)
	@mkdir -p $(dir $@)
	@rm -f $@
	@echo '  AR  $@'; ar rcs $@ $^

$(BUILD)/poreclear: $(CLI_OBJ) $(LIBA)
	@echo "  LD  $@"; $(CC) $(CFLAGS) $(SANFLAGS) -o $@ $(CLI_OBJ) $(LIBA) $(LDLIBS)

$(BUILD)/tests/%: tests/unit/%.c $(LIBA)
	@mkdir -p $(dir $@)
	@echo "  LD  $@"; $(CC) $(ALL_CFLAGS) -Isrc -o $@ $< $(LIBA) $(LDLIBS) $(shell pkg-config --libs cmocka)

$(BUILD)/bench/%: bench/%.c $(LIBA)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -o $@ $< $(LIBA) $(LDLIBS)

# The source offer of AGPL-3.0 section 13 (docs/licensing.md): where this build's source is
# published, compiled into `poreclear --version` and the web app's about page, which also carry
# LICENSE and THIRD-PARTY.md (embedded by web_about.c). Packagers set it:
#   make SOURCE_URL=https://example.org/poreclear-0.1.0.tar.gz
SOURCE_URL ?=
ifneq ($(findstring ',$(SOURCE_URL))$(findstring ",$(SOURCE_URL))$(findstring \,$(SOURCE_URL)),)
$(error SOURCE_URL must be a plain address, without quotes or backslashes)
endif
$(BUILD)/obj/src/web/web_about.o: LICENSE THIRD-PARTY.md $(BUILD)/source-url
$(BUILD)/obj/src/web/web_about.o: ALL_CFLAGS += -DPC_SOURCE_URL='"$(SOURCE_URL)"'
# The analysis's pixel kernels at -O3 (loop vectorisation and unswitching): 12 % faster on a
# 640 x 640 photo, and the same output to the bit (no -ffast-math: floating-point operations
# are not reordered; `poreclear analyze --json -a` gave byte-identical JSON at -O2 and -O3 on
# 40 ACNE04 dev photos, both detectors).
ifneq ($(SAN),1)
$(BUILD)/obj/lib/analysis/%.o: ALL_CFLAGS += -O3
endif
$(BUILD)/source-url: FORCE
	@mkdir -p $(dir $@)
	@printf '%s\n' '$(SOURCE_URL)' | cmp -s - $@ || printf '%s\n' '$(SOURCE_URL)' >$@
.PHONY: FORCE
FORCE:

# Everything the test runner needs, for one build folder.
test-build: $(BUILD)/poreclear $(UNIT_BIN)

run: check-deps
	@$(MAKE) --no-print-directory $(BUILD)/poreclear
	@scripts/run-main $(BUILD)

demo: check-deps
	@$(MAKE) --no-print-directory $(BUILD)/poreclear
	@scripts/demo $(BUILD)

# The whole suite, plain then under AddressSanitizer + UndefinedBehaviorSanitizer.
# tests/run prints one closing line "N passed, N failed, N skipped" for both runs together.
test: check-deps check-test-deps
	@$(MAKE) --no-print-directory -j$$(nproc) BUILD=build test-build
	@$(MAKE) --no-print-directory -j$$(nproc) SAN=1 BUILD=build/asan test-build
	@tests/run build build/asan

bench: check-deps
	@$(MAKE) --no-print-directory -j$$(nproc) BUILD=build build/poreclear $(BENCH_SRC:bench/%.c=build/bench/%)
	@bench/run build

# libFuzzer with clang-14: the library is rebuilt with coverage instrumentation.
FUZZ_BUILD := build/fuzz
FUZZ_CC := clang-14
FUZZ_FLAGS := -fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer -g -O1
FUZZ_LIB_OBJ := $(LIB_SRC:%.c=$(FUZZ_BUILD)/obj/%.o)
FUZZ_BIN := $(FUZZ_SRC:fuzz/%.c=$(FUZZ_BUILD)/%)
FUZZ_SECONDS ?= 20

$(FUZZ_BUILD)/obj/%.o: %.c
	$(NEED_PKGS)@mkdir -p $(dir $@)
	$(FUZZ_CC) -std=c11 -D_GNU_SOURCE -pthread -Iinclude -Ilib $(PKG_CFLAGS) $(FUZZ_FLAGS) -c $< -o $@

$(FUZZ_BUILD)/libporeclear.a: $(FUZZ_LIB_OBJ)
	rm -f $@
	ar rcs $@ $^

$(FUZZ_BUILD)/fuzz_%: fuzz/fuzz_%.c $(FUZZ_BUILD)/libporeclear.a
	$(FUZZ_CC) -std=c11 -D_GNU_SOURCE -pthread -Iinclude -Ilib $(PKG_CFLAGS) \
	  -fsanitize=fuzzer,address,undefined -fno-omit-frame-pointer -g -O1 \
	  -o $@ $< $(FUZZ_BUILD)/libporeclear.a $(LDLIBS)

fuzz: check-deps check-test-deps
	@$(MAKE) --no-print-directory -j$$(nproc) $(FUZZ_BIN)
	@fuzz/run $(FUZZ_BUILD) $(FUZZ_SECONDS)

eval: check-deps
	@$(MAKE) --no-print-directory -j$$(nproc) BUILD=build build/poreclear
	@scripts/eval-acne04 build

# The learned detector: Debian's python3-torch on the CPU (scripts/install-deps train), fixed
# seeds, a checkpoint per epoch in build/train (a stopped run resumes), the weights, model card
# and parity fixture into data/model/. TRAIN_ARGS as shipped (data/model/MODEL.md): the whole
# 60-epoch one-cycle schedule, about 27 min on this quiet 2-core machine (41 min loaded).
TRAIN_ARGS ?= --epochs 60
train:
	@scripts/install-deps --check train
	@/usr/bin/python3 train/train.py $(TRAIN_ARGS)

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	rm -rf build

-include $(LIB_OBJ:.o=.d) $(CLI_OBJ:.o=.d)
